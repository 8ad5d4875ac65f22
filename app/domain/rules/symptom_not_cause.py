from app.core.enums import ActionKind, Decision
from app.domain.decisions.fix_history import (
    cause_remains_headline,
    cause_remains_summary,
    repeated_fixes,
)
from app.domain.decisions.models import DecisionFacts, RuleFinding
from app.domain.escalation import EscalationReason


class SymptomNotCauseRule:
    """The same action fixed the same target ``limit`` times in the window: each fix works,
    the cause remains. Stop treating the symptom and tell a person, with the history.

    The recurrence rule watches one failure (its signature) fixed automatically again within
    a day, on any target; this one watches one target (a Deployment, a pod, a workflow, an app)
    given the same fix over days, automatically or approved, the slow repeat that rule's day
    does not see: a memory limit raised every other day, a test re-run every week.
    """

    name = "symptom_not_cause"

    def __init__(self, limit: int = 3):
        self.limit = limit

    def check(self, facts: DecisionFacts, current: Decision) -> RuleFinding | None:
        history = facts.fixes_of_target
        if history is None or facts.action is ActionKind.NONE:
            return None
        fixes = repeated_fixes(facts.action, history)
        if len(fixes) < self.limit:
            return None
        return RuleFinding(
            rule=self.name,
            decision=Decision.ESCALATE,
            reason=cause_remains_headline(facts.action, history, fixes),
            key=EscalationReason.CAUSE_REMAINS,
            diagnosis=cause_remains_summary(facts.action, history, fixes),
        )
