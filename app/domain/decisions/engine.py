"""Strategy first, then every rule in order; each rule may only make the decision more careful."""

from collections.abc import Mapping, Sequence

from app.core.enums import Decision, Strategy
from app.domain.decisions.models import DecisionFacts, DecisionOutcome, Thresholds, more_careful
from app.domain.rules.base import DecisionRule
from app.domain.strategies.base import DecisionStrategy, with_earned_autonomy


class DecisionEngine:
    def __init__(
        self, strategies: Mapping[Strategy, DecisionStrategy], rules: Sequence[DecisionRule]
    ):
        self.strategies = dict(strategies)
        self.rules = list(rules)

    def decide(
        self, facts: DecisionFacts, *, strategy: Strategy, thresholds: Thresholds
    ) -> DecisionOutcome:
        decision, why = self.strategies[strategy].decide(facts, thresholds)
        decision, why = with_earned_autonomy(facts, thresholds, decision, why)
        return self.apply_rules(facts, decision, strategy=strategy, strategy_reason=why)

    def apply_rules(
        self, facts: DecisionFacts, decision: Decision, *, strategy: Strategy, strategy_reason: str
    ) -> DecisionOutcome:
        """Every rule in order on ``decision`` as it stands (a strategy's, or a person's)."""
        findings = []
        for rule in self.rules:
            finding = rule.check(facts, decision)
            if finding is None:
                continue
            # Every rule that fired is recorded, even when the decision was already as careful.
            findings.append(finding)
            decision = more_careful(decision, finding.decision)
        return DecisionOutcome(
            decision=decision,
            strategy=strategy,
            strategy_reason=strategy_reason,
            findings=findings,
        )
