"""Cut a raw CI, Kubernetes or Argo CD log down to the part that explains the failure.

Secrets are masked before anything is kept. Then runner noise (timestamps, ANSI colours,
group markers) goes, consecutive repeats collapse, and the lines that carry an error marker
(with a little context) plus the tail of the failing step are kept within a line and byte
budget. Error lines win over the tail when the budget is tight.
"""

import bisect
import re
from collections.abc import Iterator, Sequence

from app.core.analysis.models import LogExcerpt
from app.core.redaction import mask_secrets

# GitHub Actions prefixes every line with an ISO timestamp (7 fractional digits, "Z").
_TIMESTAMP = re.compile(r"^\ufeff?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z ?", re.MULTILINE)
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NOISE_PREFIXES = ("##[group]", "##[endgroup]", "##[debug]", "##[command]")

# Words that mark a line as part of a failure, and whether the character after the word must
# not be a letter or digit. Every word must start at a word boundary. A literal scan with
# str.find is an order of magnitude faster than one regex alternation on a multi-megabyte log.
# Textual markers only: the signature reuses them on number-masked lines.
MARKER_WORDS: tuple[tuple[str, bool], ...] = (
    ("##[error]", False),
    ("error", False),
    ("err!", False),
    ("fatal", True),
    ("fail", False),
    ("exception", False),
    ("traceback", False),
    ("panic", False),
    ("assert", False),
    ("exit code", False),
    ("exit status", False),
    ("exited with", False),
    ("killed", True),
    ("oomkilled", False),
    ("out of memory", False),
    ("oom", True),
    ("timeout", False),
    ("timed out", False),
    ("deadline exceeded", False),
    ("denied", True),
    ("unauthori", False),
    ("forbidden", False),
    ("crashloopbackoff", False),
    ("imagepullbackoff", False),
    ("errimagepull", False),
    ("back-off", False),
    ("crash-looping", False),
    ("cannot", False),
    ("could not", False),
    ("couldn't", False),
    ("unable to", False),
    ("not found", False),
    ("refused", False),
    ("reset", True),
    ("econn", False),
    ("service unavailable", False),
    ("bad gateway", False),
    ("gateway time", False),
    ("rate limit", False),
    ("too many requests", False),
    ("toomanyrequests", False),
    ("shutdown signal", False),
    ("lost communication", False),
    ("expired", True),
    ("revoked", True),
    ("would reformat", False),
    ("unresolved", False),
    ("undefined", False),
    ("invalid", False),
    # Runner, platform and registry sentences that carry none of the words above.
    ("no space left", False),
    ("canceled", True),
    ("cancelled", True),
    ("no output", False),
    ("orphan process", False),
    ("not permitted", False),
    ("part of applications", False),
    ("unavailable", False),
    ("throttl", False),
    ("rate exceeded", False),
    ("x509", False),
    ("no such host", False),
    ("server misbehaving", False),
    ("terminal prompts disabled", False),
)

# Lines longer than this keep their head and their tail: a Maven or kubelet line often names
# the operation first and the cause ("Connection reset") at the very end.
MAX_LINE_CHARS = 1000
_LINE_HEAD = 600
CONTEXT_BEFORE = 2
CONTEXT_AFTER = 2

# Kept-line priorities: the error line itself, its context, then the tail of the log.
_ERROR, _CONTEXT, _TAIL = 3, 2, 1


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _marker_hits(lowered: str) -> Iterator[int]:
    """Offsets in a lower-cased text where a marker word starts (unsorted, may repeat)."""
    for word, closed in MARKER_WORDS:
        start = lowered.find(word)
        while start != -1:
            end = start + len(word)
            left_ok = start == 0 or not _word_char(lowered[start - 1]) or not word[0].isalpha()
            right_ok = not closed or end == len(lowered) or not _word_char(lowered[end])
            if left_ok and right_ok:
                yield start
            start = lowered.find(word, start + 1)
    # pytest marks the failing assertion and its explanation with "E" and spaces.
    if lowered.startswith("e   "):
        yield 0
    start = lowered.find("\ne   ")
    while start != -1:
        yield start + 1
        start = lowered.find("\ne   ", start + 1)


def is_error_line(line: str) -> bool:
    """Whether a (noise-free) line carries a failure marker."""
    return next(_marker_hits(line.lower()), None) is not None


def strip_noise(line: str) -> str:
    """Drop the runner timestamp, ANSI escape codes and control characters from one line."""
    line = _TIMESTAMP.sub("", line)
    line = _ANSI.sub("", line)
    return _CONTROL.sub("", line).rstrip()


def clean_lines(raw_log: str) -> list[str]:
    """Noise-free, non-empty lines with consecutive repeats collapsed into one."""
    # A bare \r is a progress bar redrawing its line: each redraw becomes its own line and
    # the repeat collapse below removes the copies.
    text = raw_log.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", _ANSI.sub("", _TIMESTAMP.sub("", text)))
    lines: list[str] = []
    for raw_line in text.split("\n"):
        line = raw_line.rstrip()
        if not line or line.lstrip().startswith(_NOISE_PREFIXES):
            continue
        if lines and lines[-1] == line:
            continue
        lines.append(line)
    return lines


def error_line_indexes(lines: Sequence[str]) -> set[int]:
    """Indexes of the lines that carry a failure marker, found in one pass over the text."""
    starts: list[int] = []
    offset = 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    lowered = "\n".join(lines).lower()
    if len(lowered) != offset - 1:
        # Lower-casing changed a length (rare Unicode): fall back to line by line.
        return {i for i, line in enumerate(lines) if is_error_line(line)}
    return {bisect.bisect_right(starts, hit) - 1 for hit in _marker_hits(lowered)}


def _failing_step_end(lines: Sequence[str]) -> int:
    """Where the failing step ends: just after the last ``##[error]`` annotation (and its
    context), so post-job cleanup does not crowd the step out of the tail; else the log's end."""
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].lstrip()[:9].lower() == "##[error]":
            return min(len(lines), index + 1 + CONTEXT_AFTER)
    return len(lines)


def _priorities(lines: Sequence[str], tail_lines: int) -> list[int]:
    priority = [0] * len(lines)
    end = _failing_step_end(lines)
    for index in range(max(0, end - tail_lines), end):
        priority[index] = _TAIL
    errors = error_line_indexes(lines)
    for index in errors:
        low, high = max(0, index - CONTEXT_BEFORE), min(len(lines), index + CONTEXT_AFTER + 1)
        for neighbour in range(low, high):
            priority[neighbour] = max(priority[neighbour], _CONTEXT)
    for index in errors:
        priority[index] = _ERROR
    return priority


def _select(priority: Sequence[int], max_lines: int) -> list[int]:
    """Indexes to keep: best priority first; among equals, the first and the last win."""
    candidates = [i for i, p in enumerate(priority) if p > 0]
    if len(candidates) <= max_lines:
        return candidates
    kept: list[int] = []
    for level in (_ERROR, _CONTEXT, _TAIL):
        room = max_lines - len(kept)
        if room <= 0:
            break
        level_indexes = [i for i in candidates if priority[i] == level]
        if len(level_indexes) > room:
            # The first errors usually name the cause, the last ones the consequence.
            head = (room + 1) // 2
            tail = room - head
            level_indexes = level_indexes[:head] + (level_indexes[-tail:] if tail else [])
        kept.extend(level_indexes)
    return sorted(kept)


def _shorten(line: str) -> str:
    if len(line) <= MAX_LINE_CHARS:
        return line
    return line[:_LINE_HEAD] + " … " + line[len(line) - (MAX_LINE_CHARS - _LINE_HEAD - 3) :]


def _fit_bytes(lines: list[str], priority: list[int], max_bytes: int) -> list[str]:
    """Drop the lowest-priority lines (latest first among equals) until the text fits."""
    size = sum(len(line.encode()) + 1 for line in lines) - 1
    if size <= max_bytes:
        return lines
    dropped: set[int] = set()
    for index in sorted(range(len(lines)), key=lambda i: (priority[i], -i)):
        if size <= max_bytes or len(dropped) == len(lines) - 1:
            break
        dropped.add(index)
        size -= len(lines[index].encode()) + 1
    return [line for i, line in enumerate(lines) if i not in dropped]


def build_excerpt(
    raw_log: str, *, max_bytes: int = 8192, max_lines: int = 200, tail_lines: int = 30
) -> LogExcerpt:
    """The masked, de-noised lines of ``raw_log`` that explain the failure, within the caps."""
    lines = clean_lines(mask_secrets(raw_log or ""))
    if not lines:
        return LogExcerpt(text="", lines=0, truncated=False)
    priority = _priorities(lines, max(0, tail_lines))
    keep = _select(priority, max(1, max_lines))
    kept = [_shorten(lines[i]) for i in keep]
    fitted = _fit_bytes(kept, [priority[i] for i in keep], max(1, max_bytes))
    shortened = any(len(lines[i]) > MAX_LINE_CHARS for i in keep)
    text = "\n".join(fitted)
    if len(text.encode()) > max_bytes:
        # One line larger than the whole budget: cut it at a character boundary.
        text = text.encode()[:max_bytes].decode(errors="ignore")
        shortened = True
    truncated = shortened or len(fitted) < len(lines)
    return LogExcerpt(text=text, lines=text.count("\n") + 1 if text else 0, truncated=truncated)
