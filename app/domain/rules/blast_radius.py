from app.core.enums import Decision
from app.domain.decisions.models import DecisionFacts, RuleFinding
from app.domain.escalation import EscalationReason


class BlastRadiusRule:
    """At most N executed fixes per rolling hour, globally and per target; past that, a person decides.

    The counts come from ``remediation_attempts`` read under a transaction-scoped advisory lock,
    so concurrent workers cannot both take the last slot.
    """

    name = "blast_radius"

    def __init__(self, max_per_hour: int = 10, max_per_hour_per_target: int = 3):
        self.max_per_hour = max_per_hour
        self.max_per_hour_per_target = max_per_hour_per_target

    def check(self, facts: DecisionFacts, current: Decision) -> RuleFinding | None:
        if current is not Decision.AUTO_FIX:
            return None
        if facts.fixes_last_hour >= self.max_per_hour:
            return RuleFinding(
                rule=self.name,
                decision=Decision.NEEDS_APPROVAL,
                reason=f"{facts.fixes_last_hour} fixes in the last hour (limit {self.max_per_hour})",
                key=EscalationReason.BLAST_RADIUS,
            )
        if facts.fixes_last_hour_target >= self.max_per_hour_per_target:
            return RuleFinding(
                rule=self.name,
                decision=Decision.NEEDS_APPROVAL,
                reason=f"{facts.fixes_last_hour_target} fixes on {facts.target} in the last hour (limit {self.max_per_hour_per_target})",
                key=EscalationReason.BLAST_RADIUS,
            )
        return None
