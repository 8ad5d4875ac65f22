"""High-risk actions run without a person only where the operator allowed them by name.

``HIGH_RISK_ACTIONS_ALLOWED`` is a comma-separated list of ``action:target`` entries, where
the target is what the hourly budget counts per target (``owner/repo`` for GitHub, the app
name for Argo CD, the namespace for Kubernetes) or a shell-style pattern of it (``octo-org/*``,
``*``). Anything else high-risk is at most proposed for approval.
"""

from collections.abc import Collection
from dataclasses import dataclass
from fnmatch import fnmatchcase

from app.core.enums import ActionKind, Decision
from app.core.errors import ConfigurationError
from app.domain.decisions.models import DecisionFacts, RuleFinding

SETTING = "HIGH_RISK_ACTIONS_ALLOWED"


@dataclass(frozen=True)
class Allowance:
    action: ActionKind
    target: str  # a target, or a pattern of targets

    def covers(self, action: ActionKind, target: str) -> bool:
        return action is self.action and fnmatchcase(target, self.target)


def parse_allowances(setting: str, high_risk: Collection[ActionKind]) -> list[Allowance]:
    """``"refresh_secret:octo-org/octo-repo, argocd_rollback:*"`` → allowances; refuses
    anything that is not a high-risk action with a target, so a typo never passes silently."""
    allowances = []
    for entry in filter(None, (part.strip() for part in setting.split(","))):
        action, _, target = (part.strip() for part in entry.partition(":"))
        known = {kind.value for kind in high_risk}
        if action not in known or not target:
            raise ConfigurationError(
                f"{SETTING} entry {entry!r} is not action:target with action one of "
                f"{', '.join(sorted(known))} (use action:* for every target)"
            )
        allowances.append(Allowance(ActionKind(action), target))
    return allowances


class HighRiskActionRule:
    """``high_risk``: the actions whose remediator declares a high risk."""

    name = "high_risk_action"

    def __init__(self, allowances: list[Allowance], *, high_risk: Collection[ActionKind]):
        self.allowances = allowances
        self.high_risk = frozenset(high_risk)

    @classmethod
    def from_setting(
        cls, setting: str, *, high_risk: Collection[ActionKind]
    ) -> "HighRiskActionRule":
        return cls(parse_allowances(setting, high_risk), high_risk=high_risk)

    def allows(self, action: ActionKind, target: str) -> bool:
        return any(allowance.covers(action, target) for allowance in self.allowances)

    def check(self, facts: DecisionFacts, current: Decision) -> RuleFinding | None:
        # Only an automatic fix needs an allowance: a person may still approve one.
        if current is not Decision.AUTO_FIX or facts.action not in self.high_risk:
            return None
        if self.allows(facts.action, facts.target):
            return None
        return RuleFinding(
            rule=self.name,
            decision=Decision.NEEDS_APPROVAL,
            reason=(
                f"{facts.action.value} is high-risk and {SETTING} does not allow it for "
                f"{facts.target or 'this target'}"
            ),
        )
