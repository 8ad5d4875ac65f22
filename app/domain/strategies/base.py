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
    """Only failures the classifier called ``auto`` may run without a person."""
    return is_fixable(facts) and facts.fixability is Fixability.AUTO
