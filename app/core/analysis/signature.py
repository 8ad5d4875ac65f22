"""A stable fingerprint of a failure: the same root cause in two runs gives the same signature.

The template keeps the error lines of an excerpt with everything run-specific masked — numbers,
hashes, UUIDs, dates, durations, versions, addresses, temp names — and paths cut to their file
name, so ``/home/runner/work/x/x/src/a.py`` and ``D:\\a\\x\\x\\src\\a.py`` read the same. The
lines are de-duplicated and sorted, so unrelated lines arriving in another order change nothing.
"""

import hashlib
import re

from app.core.analysis.excerpt import clean_lines, is_error_line

MAX_TEMPLATE_LINES = 40
FALLBACK_TAIL_LINES = 10

# Order matters: each rule runs on the output of the ones before it.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # URLs: keep the host (another registry is another cause), drop scheme, path and query.
    (
        re.compile(r"\b[a-z][a-z0-9+.-]*://(?:[^\s/@'\"<>]*@)?([^\s/:'\"<>?#]+)[^\s'\"<>]*"),
        r"<url:\1>",
    ),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    # Paths with at least one separator become <path>/basename (Windows or POSIX).
    (
        re.compile(
            r"(?<![\w.@+~<>-])"  # starts a token (not right after a placeholder)
            r"(?!(?:i/o|n/a|y/n)\b)"  # not an abbreviation
            r"(?=[\w.@+~:\\/-]*[a-z])"  # has a letter: "0/1" is a count
            r"(?:\b[a-z]:)?(?:[\\/]?[\w.@+~-]+)?(?:[\\/][\w.@+~-]+)*"  # drive, directories
            r"[\\/]([\w.@+~-]+)"  # file name
        ),
        r"<path>/\1",
    ),
    (
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}(?:[t ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?"
        ),
        "<time>",
    ),
    (re.compile(r"\b\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s?[ap]m)?\b"), "<time>"),
    (
        re.compile(
            r"\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+\d{1,2}\s+[a-z]{3}\s+\d{4}\s+<time>"
        ),
        "<time>",
    ),
    (re.compile(r"\b(?:sha\d+:)?(?=[0-9a-f]*\d)[0-9a-f]{7,}\b"), "<n>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"\btmp[a-z0-9_]{6,}\b"), "<tmp>"),
    # Kubernetes name suffixes: replica set hash then a 5-character pod suffix.
    (re.compile(r"-[bcdfghjklmnpqrstvwxz2456789]{5}\b"), "-<pod>"),
    (re.compile(r"\bv?\d+(?:\.\d+)+(?:[-+][0-9a-z.]+)?\b"), "<v>"),
    # Go-style durations first ("1h2m3.5s", "10m0s"), then "12.3s", "450ms", "2m 3s".
    (re.compile(r"\b(?:\d+h)?(?:\d+m)?\d+(?:\.\d+)?(?:ms|µs|us|ns|s)\b"), "<dur>"),
    (
        re.compile(
            r"\b\d+(?:\.\d+)?\s?(?:ms|µs|us|ns|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?)\b"
            r"(?:\s*\d+(?:\.\d+)?\s?(?:ms|s|sec|seconds?))?"
        ),
        "<dur>",
    ),
    (re.compile(r"<dur>(?:\s*<dur>)+"), "<dur>"),
    (re.compile(r"\d+"), "<n>"),
    (re.compile(r"(?:<n>[.,:_-]?)+<n>"), "<n>"),
    (re.compile(r"\s+"), " "),
)
_HAS_WORD = re.compile(r"[a-z]{2,}")


def normalize_line(line: str) -> str:
    """One line with every run-specific detail masked, lower-cased, whitespace collapsed."""
    text = line.lower()
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text.strip()


def _template_lines(excerpt: str) -> list[str]:
    lines = clean_lines(excerpt)
    chosen = [line for line in lines if is_error_line(line)]
    if not chosen:
        chosen = lines[-FALLBACK_TAIL_LINES:]
    seen: dict[str, None] = {}
    for line in chosen:
        normalized = normalize_line(line)
        # Lines left with no word at all (rulers, counters) say nothing about the cause.
        if _HAS_WORD.search(normalized.replace("<", " ").replace(">", " ")):
            seen.setdefault(normalized, None)
        if len(seen) >= MAX_TEMPLATE_LINES:
            break
    return sorted(seen)


def normalize_template(excerpt: str) -> str:
    """The sorted, de-duplicated, masked error lines of an excerpt, one per line."""
    return "\n".join(_template_lines(excerpt or ""))


def compute_signature(excerpt: str) -> tuple[str, str]:
    """``(template, sha256 hex of the template)`` for an excerpt."""
    template = normalize_template(excerpt)
    return template, hashlib.sha256(template.encode()).hexdigest()
