from app.core.enums import Decision
from app.domain.decisions.models import DecisionFacts, Thresholds
from app.domain.strategies.base import can_auto_fix, is_fixable


class HybridStrategy:
    """Bands: auto ≥ auto threshold, approval between the two thresholds, escalate below."""

    def decide(self, facts: DecisionFacts, thresholds: Thresholds) -> tuple[Decision, str]:
        bar = thresholds.auto_for(facts.action, thresholds.auto)
        c = facts.confidence
        if not is_fixable(facts) or c < thresholds.approval:
            return (
                Decision.ESCALATE,
                f"confidence {c:.2f} < {thresholds.approval:.2f} or no safe fix",
            )
        if c >= bar and can_auto_fix(facts):
            return Decision.AUTO_FIX, f"confidence {c:.2f} ≥ {bar:.2f}"
        return Decision.NEEDS_APPROVAL, f"confidence {c:.2f} in approval band"
