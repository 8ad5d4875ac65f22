from app.core.enums import ActionKind, Decision, Fixability
from app.domain.decisions.models import DecisionFacts, RuleFinding
from app.domain.escalation import EscalationReason


class FixabilityRule:
    """A failure a human must fix (manual, or no action) is escalated, whatever the confidence."""

    name = "fixability"

    def check(self, facts: DecisionFacts, current: Decision) -> RuleFinding | None:
        if facts.fixability is Fixability.MANUAL:
            return RuleFinding(
                rule=self.name,
                decision=Decision.ESCALATE,
                reason="needs a code or config change by a person",
                key=EscalationReason.NEEDS_CODE_CHANGE,
            )
        if facts.action is ActionKind.NONE:
            return RuleFinding(
                rule=self.name,
                decision=Decision.ESCALATE,
                reason="no remediation action applies",
                key=EscalationReason.NO_REMEDIATION,
            )
        return None
