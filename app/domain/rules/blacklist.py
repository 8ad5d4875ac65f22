"""Deny (action, target) pairs from config/remediation_rules.yaml."""

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from app.core.enums import Decision
from app.domain.decisions.models import DecisionFacts, RuleFinding
from app.domain.escalation import EscalationReason


class DenyEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: str = "*"  # an ActionKind value or "*"
    target: str | None = None  # regex on the target (repo / namespace / app)
    namespace: str | None = None  # regex on the namespace
    branch: str | None = None  # regex on the branch
    environments: list[str] = Field(default_factory=list)  # empty: every environment
    decision: Decision = Decision.ESCALATE
    reason: str

    def matches(self, facts: DecisionFacts) -> bool:
        if self.action != "*" and self.action != facts.action.value:
            return False
        if self.environments and facts.environment.value not in self.environments:
            return False
        return all(
            _full(pattern, value)
            for pattern, value in (
                (self.target, facts.target),
                (self.namespace, facts.namespace),
                (self.branch, facts.branch),
            )
            if pattern is not None
        )


def _full(pattern: str, value: str | None) -> bool:
    return value is not None and re.fullmatch(pattern, value) is not None


class BlacklistRule:
    name = "blacklist"

    def __init__(self, entries: list[DenyEntry]):
        self.entries = entries

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> "BlacklistRule":
        return cls([DenyEntry.model_validate(e) for e in data.get("deny", [])])

    @classmethod
    def from_file(cls, path: Path) -> "BlacklistRule":
        return cls.from_mapping(yaml.safe_load(path.read_text()) or {})

    def check(self, facts: DecisionFacts, current: Decision) -> RuleFinding | None:
        for entry in self.entries:
            if entry.matches(facts):
                return RuleFinding(
                    rule=self.name,
                    decision=entry.decision,
                    reason=entry.reason,
                    key=EscalationReason.BLOCKED_BY_RULE,
                )
        return None
