from app.core.enums import Decision
from app.domain.decisions.models import DecisionFacts, RuleFinding
from app.domain.escalation import EscalationReason


class RecurrenceRule:
    """A failure auto-fixed again and again is masking a deeper problem: stop and escalate."""

    name = "recurrence"

    def __init__(self, limit: int = 3):
        self.limit = limit

    def check(self, facts: DecisionFacts, current: Decision) -> RuleFinding | None:
        earlier = facts.recent_auto_fixes_of_signature
        if len(earlier) < self.limit:
            return None
        listed = ", ".join(f"#{i}" for i in earlier[:10])
        return RuleFinding(
            rule=self.name,
            decision=Decision.ESCALATE,
            reason=f"recurring — needs a permanent fix (auto-fixed {len(earlier)} times in 24 h: {listed})",
            key=EscalationReason.RECURRING_FAILURE,
        )
