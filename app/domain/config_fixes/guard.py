"""Edits CodeHealer refuses to propose, each with its reason (the incident is escalated).

A configuration fix may repair syntax; it must never change who or what gets access. So it
refuses files under infrastructure folders (Terraform and the like), and any edit whose added
or removed lines touch permissions, secrets or tokens, the ``pull_request_target`` trigger
(it runs with write access on code from forks), privileged containers or cluster roles. It
also refuses large edits: a syntax repair changes a few lines.
"""

import difflib
import re
from pathlib import PurePosixPath

MAX_CHANGED_LINES = 20
RISKY_FOLDERS = frozenset({"terraform", "infrastructure", "infra", ".terraform", "iam", "rbac"})
RISKY_FILES = frozenset({"CODEOWNERS", ".gitmodules"})
RISKY_SUFFIXES = frozenset({".tf", ".tfvars", ".hcl"})
# What widens access, by the words that say so in workflows, manifests and Dockerfiles.
RISKY_WORDS = re.compile(
    r"permissions|pull_request_target|workflow_run|secrets?\b|secrets\.|token|password|"
    r"credential|id-token|write-all|privileged|hostNetwork|hostPID|hostPath|allowPrivilege|"
    r"capabilities|runAsUser:\s*0|ClusterRole|RoleBinding|serviceAccount|sudo|chmod\s+777|"
    r"curl[^\n]*\|\s*(?:ba)?sh",
    re.IGNORECASE,
)


def path_refusal(path: str) -> str | None:
    """Why a fix of ``path`` is refused, or None."""
    parts = PurePosixPath(path)
    folders = {part.lower() for part in parts.parts[:-1]}
    risky = sorted(folders & RISKY_FOLDERS)
    if risky:
        return f"{path} is under {risky[0]}/: infrastructure is changed by people, not proposed"
    if parts.name in RISKY_FILES or parts.suffix in RISKY_SUFFIXES:
        return f"{path} controls ownership or infrastructure: changed by people, not proposed"
    return None


def edit_refusal(path: str, original: str, fixed: str) -> str | None:
    """Why the edit from ``original`` to ``fixed`` is refused, or None when it may be proposed."""
    refused = path_refusal(path)
    if refused is not None:
        return refused
    changed = changed_lines(original, fixed)
    if not changed:
        return "the fix changes nothing"
    if len(changed) > MAX_CHANGED_LINES:
        return (
            f"the fix changes {len(changed)} lines of {path}; a syntax repair changes at most "
            f"{MAX_CHANGED_LINES}"
        )
    for line in changed:
        word = RISKY_WORDS.search(line)
        if word is not None:
            return (
                f"the fix touches {word.group(0)!r} in {path} ({line.strip()[:80]!r}): an edit "
                "that could change access (permissions, secrets, tokens, triggers) is for a person"
            )
    return None


def changed_lines(original: str, fixed: str) -> list[str]:
    """The lines removed or added, as a unified diff lists them."""
    diff = difflib.unified_diff(original.splitlines(), fixed.splitlines(), lineterm="", n=0)
    return [line[1:] for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def unified_diff(path: str, original: str, fixed: str) -> str:
    """The edit as ``git diff`` shows it."""
    return "\n".join(
        difflib.unified_diff(
            original.splitlines(),
            fixed.splitlines(),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
            lineterm="",
        )
    )
