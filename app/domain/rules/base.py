"""A rule looks at the facts and the current decision and may only make it more careful."""

from typing import Protocol

from app.core.enums import Decision
from app.domain.decisions.models import DecisionFacts, RuleFinding


class DecisionRule(Protocol):
    name: str

    def check(self, facts: DecisionFacts, current: Decision) -> RuleFinding | None:
        """A finding when the rule fires; None when it has nothing to say."""
        ...
