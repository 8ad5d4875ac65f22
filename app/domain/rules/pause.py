"""While a person's pause covers an incident, a fix that would run alone is asked of a person.

A pause stops only what runs on its own: the decision is made and recorded as usual, and an
approval still runs the fix (the person who clicks is the one in control the pause asks for).
"""

from app.core.enums import Decision
from app.domain.decisions.models import DecisionFacts, RuleFinding
from app.domain.escalation import EscalationReason


class PauseRule:
    name = "paused"

    def check(self, facts: DecisionFacts, current: Decision) -> RuleFinding | None:
        if current is not Decision.AUTO_FIX or facts.pause is None:
            return None
        return RuleFinding(
            rule=self.name,
            decision=Decision.NEEDS_APPROVAL,
            reason=facts.pause.summary,
            key=EscalationReason.AUTOMATIC_FIXES_PAUSED,
        )
