from collections.abc import Collection

from app.core.enums import ActionKind, Decision
from app.domain.decisions.models import DecisionFacts, Thresholds
from app.domain.strategies.base import can_auto_fix, is_fixable


class SlackFirstStrategy:
    """Default outside prod: only low-risk actions (those whose remediator declares a low risk)
    run alone; everything else asks in Slack."""

    def __init__(self, low_risk: Collection[ActionKind]):
        self.low_risk = frozenset(low_risk)

    def decide(self, facts: DecisionFacts, thresholds: Thresholds) -> tuple[Decision, str]:
        bar = thresholds.auto_for(facts.action, thresholds.auto)
        low_risk = facts.action in self.low_risk
        if low_risk and can_auto_fix(facts) and facts.confidence >= bar:
            return (
                Decision.AUTO_FIX,
                f"low-risk {facts.action.value}, confidence {facts.confidence:.2f} ≥ {bar:.2f}",
            )
        if is_fixable(facts):
            why = (
                "not a low-risk action"
                if not low_risk
                else f"confidence {facts.confidence:.2f} < {bar:.2f}"
            )
            return Decision.NEEDS_APPROVAL, why
        return Decision.ESCALATE, "no safe fix known"
