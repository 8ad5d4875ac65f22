"""The decision step and the approvals: strategies and rules, one hourly budget, one attempt
planner, the thresholds and earned autonomy."""

from datetime import timedelta

from app.adapters.database.engine import Database
from app.bootstrap.container import Overrides
from app.bootstrap.registries import REMEDIATOR_CLASSES, action_risks
from app.bootstrap.resources import config_path
from app.core.config import Settings
from app.core.enums import Strategy
from app.core.metrics import Metrics
from app.core.ports import Queue
from app.domain.decisions.engine import DecisionEngine
from app.domain.decisions.models import Thresholds
from app.domain.learning.autonomy import AutonomyPolicy
from app.domain.remediators.refresh_secret import SecretSource
from app.domain.rules.base import DecisionRule
from app.domain.rules.blacklist import BlacklistRule
from app.domain.rules.blast_radius import BlastRadiusRule, HourlyBudget
from app.domain.rules.fixability import FixabilityRule
from app.domain.rules.high_risk import HighRiskActionRule
from app.domain.rules.pause import PauseRule
from app.domain.rules.recurrence import RecurrenceRule
from app.domain.rules.retry_budget import RetryBudgetRule
from app.domain.rules.storm import StormRule
from app.domain.rules.symptom_not_cause import SymptomNotCauseRule
from app.domain.strategies.base import DecisionStrategy
from app.domain.strategies.conservative import ConservativeStrategy
from app.domain.strategies.hybrid import HybridStrategy
from app.domain.strategies.slack_first import SlackFirstStrategy
from app.services.approvals import ApprovalService
from app.services.attempt_planner import AttemptPlanner
from app.services.autonomy import AutonomyService
from app.services.decision import DecisionService
from app.services.learning import calibrated_thresholds


def hourly_budget(settings: Settings) -> HourlyBudget:
    """The one hourly budget: the decision rules and approvals check the same limits."""
    return HourlyBudget(
        settings.decision.max_fixes_per_hour, settings.decision.max_fixes_per_hour_per_target
    )


def build_decision_engine(settings: Settings) -> tuple[DecisionEngine, StormRule]:
    risks = action_risks()
    strategies: dict[Strategy, DecisionStrategy] = {
        Strategy.CONSERVATIVE: ConservativeStrategy(),
        Strategy.SLACK_FIRST: SlackFirstStrategy(low_risk=risks.low),
        Strategy.HYBRID: HybridStrategy(),
    }
    storm = StormRule(settings.decision.storm_targets)
    decision = settings.decision
    rules: list[DecisionRule] = [
        FixabilityRule(),
        HighRiskActionRule.from_setting(decision.high_risk_actions_allowed, high_risk=risks.high),
        BlacklistRule.from_file(config_path(decision.rules_file)),
        RetryBudgetRule(decision.max_rerun_attempts, reruns=risks.reruns),
        # Before recurrence: when both fire, the key and diagnosis are the target's history.
        SymptomNotCauseRule(decision.cause_remains_after),
        RecurrenceRule(settings.decision.recurrence_limit),
        storm,
        BlastRadiusRule.for_budget(hourly_budget(settings)),
        PauseRule(),  # a person's pause of automatic fixes
    ]
    return DecisionEngine(strategies, rules), storm


def build_autonomy(settings: Settings) -> AutonomyService:
    """Earned autonomy: the precision each risk requires, for the strategy in force."""
    decision = settings.decision
    return AutonomyService(
        policy=AutonomyPolicy(
            low=decision.autonomy_precision_low,
            medium=decision.autonomy_precision_medium,
            high=decision.autonomy_precision_high,
            revoke_after=decision.autonomy_revoke_after,
            prior_weight=decision.autonomy_prior_weight,
        ),
        strategy=settings.effective_strategy,
        risks={remediator.action: remediator.risk for remediator in REMEDIATOR_CLASSES},
        reruns=action_risks().reruns,
        enabled=decision.autonomy,
    )


def settings_thresholds(settings: Settings) -> Thresholds:
    return Thresholds(
        auto=settings.decision.confidence_threshold,
        conservative_auto=settings.decision.conservative_threshold,
        approval=settings.decision.approval_threshold,
    )


def build_decisions(
    settings: Settings,
    db: Database,
    queue: Queue,
    secret_sources: list[SecretSource],
    metrics: Metrics,
    overrides: Overrides,
) -> tuple[DecisionService, ApprovalService]:
    """The decision step and the approvals: one planner, one budget, the same rules."""
    engine, storm = build_decision_engine(settings)
    planner = AttemptPlanner(
        budget=hourly_budget(settings),
        dry_run=settings.effective_dry_run or settings.decision.shadow_mode,
        secret_names=[source.name for source in secret_sources],
    )
    approval_ttl = timedelta(minutes=settings.decision.approval_ttl_minutes)
    decider = DecisionService(
        db,
        engine,
        environment=settings.environment,
        strategy=settings.effective_strategy,
        thresholds=overrides.get("thresholds")
        or calibrated_thresholds(db, settings_thresholds(settings)),
        storm_rule=storm,
        planner=planner,
        rerun_actions=action_risks().reruns,
        shadow=settings.decision.shadow_mode,
        approval_ttl=approval_ttl,
        metrics=metrics,
        autonomy=build_autonomy(settings),
        fix_history_window=timedelta(days=settings.decision.cause_remains_window_days),
    )
    approvals = ApprovalService(
        db,
        queue,
        approvers=settings.slack.approvers,
        ttl=approval_ttl,
        decider=decider,
        planner=planner,
    )
    return decider, approvals
