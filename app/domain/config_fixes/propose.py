"""From a broken file to the fix CodeHealer proposes, or the reason it proposes none.

The deterministic repairs come first; a model (when one is configured) is asked only when
they find nothing. Whatever made it, a fix is proposed only when it validates and the guard
lets it through.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from app.domain.config_fixes.checks import problems
from app.domain.config_fixes.guard import edit_refusal, unified_diff
from app.domain.config_fixes.location import ConfigLocation
from app.domain.config_fixes.repairs import repair_yaml


class FixModel(Protocol):
    """A model that proposes the whole fixed file (the NIM chat adapter implements it)."""

    def propose_fix(
        self, *, path: str, content: str, line: int, message: str, diagnosis: str
    ) -> str | None:
        """The fixed file, or None when the model has no fix."""
        ...


class FixAuthor(StrEnum):
    RULES = "rules"  # a deterministic repair
    MODEL = "model"  # the configured model's proposal


@dataclass(frozen=True)
class ProposedFix:
    path: str
    original: str
    fixed: str
    summary: str
    author: FixAuthor

    @property
    def diff(self) -> str:
        return unified_diff(self.path, self.original, self.fixed)


@dataclass(frozen=True)
class NoFix:
    reason: str


def propose_fix(
    location: ConfigLocation,
    original: str,
    *,
    model: FixModel | None = None,
    diagnosis: str = "",
) -> ProposedFix | NoFix:
    """The fix of ``original`` (the file ``location`` names) to propose, or why there is none."""
    kind = location.kind
    if kind is None:
        return NoFix(f"{location.path} is not a configuration file CodeHealer can validate")
    before = problems(kind, original)
    repair = repair_yaml(kind, original, location.line) if before else None
    if repair is not None:
        fix = ProposedFix(location.path, original, repair.text, repair.summary, FixAuthor.RULES)
        return _guarded(fix)
    if model is None:
        found = f" ({before[0]})" if before else ""
        return NoFix(
            f"no single repair makes {location.path} valid{found}, and no model is configured"
        )
    fixed = model.propose_fix(
        path=location.path,
        content=original,
        line=location.line,
        message=location.message,
        diagnosis=diagnosis,
    )
    if fixed is None or fixed == original:
        return NoFix(f"the model proposed no fix of {location.path}")
    after = problems(kind, fixed)
    if after:
        return NoFix(f"the model's fix of {location.path} is not valid: {after[0]}")
    summary = f"fixed {location.path} near line {location.line} ({location.message or 'syntax'})"
    return _guarded(ProposedFix(location.path, original, fixed, summary, FixAuthor.MODEL))


def _guarded(fix: ProposedFix) -> ProposedFix | NoFix:
    refused = edit_refusal(fix.path, fix.original, fix.fixed)
    return NoFix(f"refused: {refused}") if refused is not None else fix
