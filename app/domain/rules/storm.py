from app.core.enums import Decision
from app.domain.decisions.models import DecisionFacts, RuleFinding
from app.domain.escalation import EscalationReason


class StormRule:
    """The same failure on many targets at once is one problem: one grouped decision, not N fixes."""

    name = "storm"

    def __init__(self, min_targets: int = 5):
        self.min_targets = min_targets

    def is_storm(self, facts: DecisionFacts) -> bool:
        return facts.storm_targets >= self.min_targets

    def check(self, facts: DecisionFacts, current: Decision) -> RuleFinding | None:
        if not self.is_storm(facts):
            return None
        return RuleFinding(
            rule=self.name,
            decision=Decision.NEEDS_APPROVAL,
            reason=f"same failure on {facts.storm_targets} targets within 15 minutes — grouped",
            key=EscalationReason.STORM,
        )
