"""A container's memory limit in a Kubernetes manifest file, read and changed in place: the
one value's line is rewritten, every other line (comments, order, quoting) kept, and the
result checked by parsing both files: they differ in that value only."""

import copy
import re
from typing import Any

from app.domain.config_fixes.checks import load_yaml

_DOCUMENT_START = re.compile(r"^---\s*(?:#.*)?$")
_NAME_ITEM = re.compile(r"^(?P<indent>\s*)-\s+name:\s*['\"]?(?P<name>[^'\"\s#]+)")
_KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[\w-]+):(?P<rest>.*)$")
_MEMORY = re.compile(r"^(?P<head>\s*memory:\s*)(?P<quote>['\"]?)(?P<value>[^'\"\s#]+)(?P=quote)")


def find_workload(text: str, kind: str, name: str) -> dict[str, Any] | None:
    """The document of ``kind`` named ``name`` in the file, or None."""
    documents, problem = load_yaml(text)
    if problem is not None:
        return None
    return next((d for d in documents if _is(d, kind, name)), None)


def memory_limit(document: dict[str, Any], container: str) -> str | None:
    for item in _containers(document):
        if item.get("name") == container:
            limits = (item.get("resources") or {}).get("limits") or {}
            value = limits.get("memory")
            return str(value) if value is not None else None
    return None


def with_memory_limit(text: str, kind: str, name: str, container: str, value: str) -> str | None:
    """The file with the container's memory limit set to ``value``; None when the file has no
    such limit to change in place (or the change would touch anything else)."""
    lines = text.split("\n")
    for start, end in _documents(lines):
        chunk = "\n".join(lines[start:end])
        if find_workload(chunk, kind, name) is None:
            continue
        index = _memory_line(lines, start, end, container)
        if index is None:
            return None
        match = _MEMORY.match(lines[index])
        if match is None:
            return None
        quote = match.group("quote")
        lines[index] = match.group("head") + f"{quote}{value}{quote}" + lines[index][match.end() :]
        changed = "\n".join(lines)
        return (
            changed
            if _only_the_limit_changed(text, changed, kind, name, container, value)
            else None
        )
    return None


def _documents(lines: list[str]) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for index, line in enumerate(lines):
        if _DOCUMENT_START.match(line):
            bounds.append((start, index))
            start = index + 1
    bounds.append((start, len(lines)))
    return bounds


def _memory_line(lines: list[str], start: int, end: int, container: str) -> int | None:
    """The ``memory:`` line under ``limits:`` of the list item ``- name: <container>``."""
    for index in range(start, end):
        item = _NAME_ITEM.match(lines[index])
        if item is None or item.group("name") != container:
            continue
        item_indent = len(item.group("indent"))
        in_limits, limits_indent = False, 0
        for inner in range(index + 1, end):
            line = lines[inner]
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            indent = len(line) - len(line.lstrip())
            if indent <= item_indent:
                break  # the next container, or the end of the list
            key = _KEY.match(line)
            if key and key.group("key") == "limits":
                in_limits, limits_indent = True, indent
            elif in_limits and indent <= limits_indent:
                in_limits = False
            elif in_limits and key and key.group("key") == "memory":
                return inner
    return None


def _only_the_limit_changed(
    before: str, after: str, kind: str, name: str, container: str, value: str
) -> bool:
    old, problem = load_yaml(before)
    new, problem_after = load_yaml(after)
    if problem is not None or problem_after is not None or len(old) != len(new):
        return False
    expected = copy.deepcopy(old)
    for document in expected:
        if _is(document, kind, name):
            for item in _containers(document):
                if item.get("name") == container:
                    item["resources"]["limits"]["memory"] = value
    return expected == new


def _is(document: Any, kind: str, name: str) -> bool:
    return (
        isinstance(document, dict)
        and document.get("kind") == kind
        and (document.get("metadata") or {}).get("name") == name
    )


def _containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    spec = ((document.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [c for c in spec.get("containers") or [] if isinstance(c, dict)]
