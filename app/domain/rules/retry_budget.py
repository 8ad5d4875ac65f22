from collections.abc import Collection

from app.core.enums import ActionKind, Decision
from app.domain.decisions.models import DecisionFacts, RuleFinding
from app.domain.escalation import EscalationReason

# GitHub refuses re-runs after 30 days and past 50 attempts of one run.
GITHUB_RERUN_MAX_AGE_DAYS = 30
GITHUB_RERUN_MAX_ATTEMPTS = 50


class RetryBudgetRule:
    """Bounded automatic reruns per run; never rerun what GitHub won't or what is superseded.

    Applies to ``reruns``: the actions whose remediator re-runs a workflow run."""

    name = "retry_budget"

    def __init__(self, max_reruns: int = 2, *, reruns: Collection[ActionKind]):
        self.max_reruns = max_reruns
        self.reruns = frozenset(reruns)

    def check(self, facts: DecisionFacts, current: Decision) -> RuleFinding | None:
        if facts.action not in self.reruns:
            return None
        if facts.superseded_by_run_id is not None:
            return self._finding(
                Decision.IGNORE, f"superseded by newer run {facts.superseded_by_run_id}", None
            )
        if facts.run_age_days is not None and facts.run_age_days > GITHUB_RERUN_MAX_AGE_DAYS:
            return self._finding(
                Decision.ESCALATE,
                f"run is {facts.run_age_days:.0f} days old; GitHub re-runs only within {GITHUB_RERUN_MAX_AGE_DAYS}",
                EscalationReason.RUN_TOO_OLD,
            )
        if (facts.run_attempt or 1) >= GITHUB_RERUN_MAX_ATTEMPTS:
            return self._finding(
                Decision.ESCALATE,
                f"run attempt {facts.run_attempt} reached GitHub's limit of {GITHUB_RERUN_MAX_ATTEMPTS}",
                EscalationReason.RUN_ATTEMPT_LIMIT,
            )
        if facts.automatic_reruns_of_run >= self.max_reruns:
            return self._finding(
                Decision.ESCALATE,
                f"{facts.automatic_reruns_of_run} automatic reruns already (budget {self.max_reruns})",
                EscalationReason.RERUN_BUDGET_EXHAUSTED,
            )
        return None

    def _finding(
        self, decision: Decision, reason: str, key: EscalationReason | None
    ) -> RuleFinding:
        return RuleFinding(rule=self.name, decision=decision, reason=reason, key=key)
