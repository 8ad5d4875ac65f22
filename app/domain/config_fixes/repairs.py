"""Deterministic repairs of the YAML mistakes people make most: a tab for indentation, a line
indented off its siblings, a duplicated key, a plain value YAML cannot read as text (``*`` or
``&`` first, ``: `` or `` #`` inside, ``yes``/``no``/``on``/``off``).

Each repair changes one line (or removes one duplicated entry) near the line the log or the
parser names; the first candidate that validates wins, so a repair never makes a file that
does not parse or lacks its structure. None when no single repair makes the file valid: a
person (or the model) must look.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from app.domain.config_fixes.checks import load_yaml, problems
from app.domain.config_fixes.location import ConfigKind


@dataclass(frozen=True)
class Repair:
    text: str
    summary: str  # what was changed, in words, for the commit and the pull request


_KEY_VALUE = re.compile(r"^(?P<lead>\s*(?:-\s+)?)(?P<key>[^\s#'\"][^:#]*?):\s+(?P<value>\S.*?)\s*$")
_LIST_ITEM = re.compile(r"^(?P<lead>\s*-\s+)(?P<value>[^\s'\"{\[].*?)\s*$")
_KEY_ONLY = re.compile(r"^(?P<indent>\s*)(?P<key>[^\s#-][^:#]*?):\s*(?:#.*)?$")
# A plain scalar YAML cannot read as the text it looks like.
_NEEDS_QUOTES = re.compile(r"^[*&!%@`|>]|: | #|^(?:yes|no|on|off|y|n)$", re.IGNORECASE)
NEARBY = 2  # lines either side of the named line a repair may touch

LineRepair = Callable[[list[str], int], tuple[list[str], str] | None]


def repair_yaml(kind: ConfigKind, text: str, line: int) -> Repair | None:
    """The first single repair near ``line`` (1-based) after which the file is valid."""
    if kind not in (ConfigKind.WORKFLOW, ConfigKind.YAML):
        return None
    if "\t" in text:
        untabbed = _untab(text)
        if not problems(kind, untabbed):
            return Repair(untabbed, "replaced tab indentation with spaces")
    lines = text.split("\n")
    for index in _nearby(lines, line, _parser_line(text)):
        for repair in (_quote_value, _remove_duplicate, _reindent):
            attempt = repair(lines, index)
            if attempt is None:
                continue
            candidate, summary = attempt
            fixed = "\n".join(candidate)
            if fixed != text and not problems(kind, fixed):
                return Repair(fixed, summary)
    return None


def _nearby(lines: list[str], *named: int | None) -> Iterator[int]:
    """0-based indexes: each named line first, then its neighbours, nearest first."""
    seen: set[int] = set()
    for distance in range(NEARBY + 1):
        for line in filter(None, named):
            for index in {line - 1 - distance, line - 1 + distance}:
                if 0 <= index < len(lines) and index not in seen:
                    seen.add(index)
                    yield index


def _parser_line(text: str) -> int | None:
    _, problem = load_yaml(text)
    return problem.line if problem is not None else None


def _untab(text: str) -> str:
    return "\n".join(_untab_line(line) for line in text.split("\n"))


def _untab_line(line: str) -> str:
    stripped = line.lstrip(" \t")
    lead = line[: len(line) - len(stripped)]
    return lead.replace("\t", "  ") + stripped


def _quote_value(lines: list[str], index: int) -> tuple[list[str], str] | None:
    match = _KEY_VALUE.match(lines[index]) or _LIST_ITEM.match(lines[index])
    if match is None:
        return None
    value = match.group("value")
    if value[0] in "'\"" or not _NEEDS_QUOTES.search(value):
        return None
    quoted = "'" + value.replace("'", "''") + "'"
    key = match.groupdict().get("key")
    head = f"{match.group('lead')}{key}: " if key else match.group("lead")
    summary = f"quoted the value of {key!r}" if key else "quoted a list item"
    return [*lines[:index], head + quoted, *lines[index + 1 :]], f"{summary} on line {index + 1}"


def _remove_duplicate(lines: list[str], index: int) -> tuple[list[str], str] | None:
    """Drop the later of two equal keys of one mapping when their entries are the same."""
    match = _KEY_ONLY.match(lines[index]) or _KEY_VALUE.match(lines[index])
    if match is None:
        return None
    key, indent = match.group("key"), _indent(lines[index])
    entry = _entry(lines, index)
    for other in range(index + 1, len(lines)):
        if lines[other].strip() and _indent(lines[other]) < indent:
            return None  # the mapping ended: no later duplicate
        later = _KEY_ONLY.match(lines[other]) or _KEY_VALUE.match(lines[other])
        if later and _indent(lines[other]) == indent and later.group("key") == key:
            duplicate = _entry(lines, other)
            if [line.strip() for line in duplicate] != [line.strip() for line in entry]:
                return None  # two different entries: which one is right is not ours to say
            kept = [*lines[:other], *lines[other + len(duplicate) :]]
            return kept, f"removed the duplicate key {key!r} on line {other + 1}"
    return None


def _reindent(lines: list[str], index: int) -> tuple[list[str], str] | None:
    """Indent the line as the line before it, or one level deeper or shallower: the first
    width at which the file parses (the caller then checks its structure)."""
    line = lines[index]
    previous = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), None)
    if not line.strip() or previous is None:
        return None
    base = _indent(previous)
    for width in (base, base + 2, base - 2, base - 4):
        if width < 0 or width == _indent(line):
            continue
        candidate = [*lines[:index], " " * width + line.lstrip(), *lines[index + 1 :]]
        if load_yaml("\n".join(candidate))[1] is None:
            return candidate, f"re-indented line {index + 1} to {width} spaces"
    return None


def _entry(lines: list[str], index: int) -> list[str]:
    """A key's line and the more indented lines under it."""
    indent, end = _indent(lines[index]), index + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
        end += 1
    while end > index + 1 and not lines[end - 1].strip():
        end -= 1
    return lines[index:end]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))
