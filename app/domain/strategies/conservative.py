from app.core.enums import Decision
from app.domain.decisions.models import DecisionFacts, Thresholds
from app.domain.strategies.base import can_auto_fix, is_fixable


class ConservativeStrategy:
    """Production default: auto-fix only when very sure; anything fixable otherwise asks."""

    def decide(self, facts: DecisionFacts, thresholds: Thresholds) -> tuple[Decision, str]:
        bar = thresholds.auto_for(facts.action, thresholds.conservative_auto)
        if can_auto_fix(facts) and facts.confidence >= bar:
            return Decision.AUTO_FIX, f"confidence {facts.confidence:.2f} ≥ {bar:.2f}"
        if is_fixable(facts):
            return (
                Decision.NEEDS_APPROVAL,
                f"fixable, confidence {facts.confidence:.2f} < {bar:.2f}",
            )
        return Decision.ESCALATE, "no safe fix known"
