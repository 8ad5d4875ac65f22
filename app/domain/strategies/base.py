"""A strategy maps confidence and fixability to a first decision; rules then refine it."""

from typing import Protocol

from app.core.enums import ActionKind, Decision, Fixability
from app.domain.decisions.models import DecisionFacts, Thresholds


class DecisionStrategy(Protocol):
    def decide(self, facts: DecisionFacts, thresholds: Thresholds) -> tuple[Decision, str]: ...


def is_fixable(facts: DecisionFacts) -> bool:
    """A fix exists and no one said it needs a human."""
    return facts.action is not ActionKind.NONE and facts.fixability is not Fixability.MANUAL


def can_auto_fix(facts: DecisionFacts) -> bool:
    """Only failures the classifier called ``auto`` may run without a person on confidence
    alone."""
    return is_fixable(facts) and facts.fixability is Fixability.AUTO


def with_earned_autonomy(
    facts: DecisionFacts, thresholds: Thresholds, decision: Decision, why: str
) -> tuple[Decision, str]:
    """The strategy's decision, with what the evidence earned: an action whose lower bound
    clears what its risk requires under this strategy runs alone, one whose autonomy was taken
    back never does. That holds for an action the classifier was unsure of (``unknown``: a
    person approved it until then) as for one it called ``auto``; a failure a person must fix
    (``manual``) never runs alone. A per-action threshold applied by ``calibrate --apply``
    overrides the evidence for that action: the strategy's confidence bands alone decide."""
    earned = facts.autonomy
    if earned is None or not is_fixable(facts) or facts.action.value in thresholds.per_action:
        return decision, why
    if earned.automatic:
        return Decision.AUTO_FIX, f"earned autonomy: {earned.summary}"
    if earned.taken_back and decision is Decision.AUTO_FIX:
        return Decision.NEEDS_APPROVAL, f"autonomy taken back: {earned.summary}"
    return decision, why
