from dataclasses import dataclass

from app.core.enums import Decision
from app.domain.decisions.models import DecisionFacts, RuleFinding
from app.domain.escalation import EscalationReason


@dataclass(frozen=True)
class HourlyBudget:
    """At most N executed fixes per rolling hour, globally and per target: the one budget
    check, used by the decision rule below and by an approval about to plan its fix."""

    max_per_hour: int = 10
    max_per_hour_per_target: int = 3

    def exceeded(self, facts: DecisionFacts) -> str | None:
        """Why one more fix would go over the budget; None while it fits."""
        if facts.fixes_last_hour >= self.max_per_hour:
            return f"{facts.fixes_last_hour} fixes in the last hour (limit {self.max_per_hour})"
        if facts.fixes_last_hour_target >= self.max_per_hour_per_target:
            return (
                f"{facts.fixes_last_hour_target} fixes on {facts.target} in the last hour "
                f"(limit {self.max_per_hour_per_target})"
            )
        return None


class BlastRadiusRule:
    """Past the hourly budget, an automatic fix becomes a question for a person.

    The counts come from ``remediation_attempts`` read under a transaction-scoped advisory lock,
    so concurrent workers cannot both take the last slot.
    """

    name = "blast_radius"

    def __init__(self, max_per_hour: int = 10, max_per_hour_per_target: int = 3):
        self.budget = HourlyBudget(max_per_hour, max_per_hour_per_target)

    @classmethod
    def for_budget(cls, budget: HourlyBudget) -> "BlastRadiusRule":
        return cls(budget.max_per_hour, budget.max_per_hour_per_target)

    def check(self, facts: DecisionFacts, current: Decision) -> RuleFinding | None:
        if current is not Decision.AUTO_FIX:
            return None
        reason = self.budget.exceeded(facts)
        if reason is None:
            return None
        return RuleFinding(
            rule=self.name,
            decision=Decision.NEEDS_APPROVAL,
            reason=reason,
            key=EscalationReason.BLAST_RADIUS,
        )
