"""Decision value objects. Pure: the service layer gathers the facts, the domain decides."""

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from app.core.enums import ActionKind, Decision, Environment, Fixability, IncidentSource, Strategy
from app.domain.decisions.fix_history import FixHistory
from app.domain.escalation import EscalationReason
from app.domain.pauses import Pause

# How careful a decision is. Rules may only move a decision up this scale.
CAREFULNESS = {
    Decision.AUTO_FIX: 0,
    Decision.NEEDS_APPROVAL: 1,
    Decision.ESCALATE: 2,
    Decision.IGNORE: 3,
}


@dataclass(frozen=True)
class ActionRisks:
    """What the rules and strategies know of actions. Each remediator class declares its risk
    and whether it re-runs a workflow run; the composition root gathers them here."""

    # Run alone by the slack_first strategy.
    low: frozenset[ActionKind]
    # Costly to undo: never run without a person unless HIGH_RISK_ACTIONS_ALLOWED names the target.
    high: frozenset[ActionKind]
    # Re-run a GitHub workflow run: bounded by the retry budget.
    reruns: frozenset[ActionKind]


def more_careful(current: Decision, proposed: Decision) -> Decision:
    """The more careful of two decisions."""
    return proposed if CAREFULNESS[proposed] > CAREFULNESS[current] else current


class Thresholds(BaseModel):
    """Confidence bands. ``per_action`` (from calibration) overrides ``auto`` for one action."""

    model_config = ConfigDict(frozen=True)

    auto: float = 0.85
    conservative_auto: float = 0.95
    approval: float = 0.60
    per_action: dict[str, float] = Field(default_factory=dict)

    def auto_for(self, action: ActionKind, base: float) -> float:
        return self.per_action.get(action.value, base)


class EarnedAutonomy(BaseModel):
    """What the evidence about the incident's action on its failure (signature) allows, judged
    for the strategy in force (app/domain/learning/autonomy.py)."""

    model_config = ConfigDict(frozen=True)

    automatic: bool  # earned: the action runs alone for this failure
    taken_back: bool = False  # earned once, then lost and not earned again: never alone
    summary: str  # the evidence in words, for the decision's reason


class DecisionFacts(BaseModel):
    """Everything a strategy and the rules need about one incident, gathered beforehand."""

    model_config = ConfigDict(frozen=True)

    incident_id: int
    source: IncidentSource
    environment: Environment
    category: str
    action: ActionKind
    fixability: Fixability
    confidence: float
    target: str = ""  # repo / namespace / app, the unit of the per-target budget
    branch: str | None = None
    namespace: str | None = None
    # retry budget
    run_attempt: int | None = None
    run_age_days: float | None = None
    automatic_reruns_of_run: int = 0
    superseded_by_run_id: int | None = None
    # blast radius
    fixes_last_hour: int = 0
    fixes_last_hour_target: int = 0
    # recurrence and storms
    signature_hash: str | None = None
    recent_auto_fixes_of_signature: list[int] = Field(default_factory=list)
    storm_targets: int = 1
    # the fixes that worked on this target by this action lately (None: no target or action)
    fixes_of_target: FixHistory | None = None
    # earned autonomy (None: no signature, or an action no remediator runs)
    autonomy: EarnedAutonomy | None = None
    # the person's pause that covers this incident's source and action, if any
    pause: Pause | None = None


class RuleFinding(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule: str
    decision: Decision
    reason: str
    key: EscalationReason | None = None  # why a person is needed, when the finding asks for one
    # what a person reads to act on the finding, line by line (shown as the diagnosis)
    diagnosis: list[str] = Field(default_factory=list)


class DecisionOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    decision: Decision
    strategy: Strategy
    strategy_reason: str
    findings: list[RuleFinding] = Field(default_factory=list)

    @property
    def escalation_reason(self) -> EscalationReason | None:
        """The key of the finding that set the final decision; a strategy that escalates on
        its own did so because it was not sure enough. None when no person is needed."""
        if self.decision in (Decision.AUTO_FIX, Decision.IGNORE):
            return None
        for finding in self.findings:
            if finding.decision is self.decision and finding.key is not None:
                return finding.key
        if self.decision is Decision.ESCALATE:
            return EscalationReason.LOW_CONFIDENCE
        return None

    @property
    def diagnosis(self) -> list[str]:
        """The diagnosis of the findings that set the final decision, in rule order."""
        return [
            line
            for finding in self.findings
            if finding.decision is self.decision
            for line in finding.diagnosis
        ]

    @property
    def reason(self) -> str:
        if self.findings:
            return "; ".join(f"{f.rule}: {f.reason}" for f in self.findings)
        return self.strategy_reason
