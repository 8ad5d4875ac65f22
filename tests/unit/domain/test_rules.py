"""Each rule, and the engine's promise that rules only make decisions more careful."""

from pathlib import Path

import pytest

from app.bootstrap import action_risks
from app.core.enums import ActionKind, Decision, Environment, Fixability, IncidentSource, Strategy
from app.domain.decisions.engine import DecisionEngine
from app.domain.decisions.models import DecisionFacts, RuleFinding, Thresholds
from app.domain.rules.blacklist import BlacklistRule
from app.domain.rules.blast_radius import BlastRadiusRule
from app.domain.rules.fixability import FixabilityRule
from app.domain.rules.recurrence import RecurrenceRule
from app.domain.rules.retry_budget import RetryBudgetRule
from app.domain.rules.storm import StormRule
from app.domain.strategies.hybrid import HybridStrategy

RISKS = action_risks()
RULES_FILE = Path(__file__).parents[3] / "config" / "remediation_rules.yaml"


def facts(**overrides) -> DecisionFacts:
    values = dict(
        incident_id=1,
        source=IncidentSource.GITHUB,
        environment=Environment.DEV,
        category="transient_network",
        action=ActionKind.RERUN_FAILED_JOBS,
        fixability=Fixability.AUTO,
        confidence=0.95,
        target="o/r",
        branch="main",
    )
    values.update(overrides)
    return DecisionFacts(**values)


def test_fixability_rule_escalates_manual():
    finding = FixabilityRule().check(facts(fixability=Fixability.MANUAL), Decision.AUTO_FIX)
    assert finding.decision is Decision.ESCALATE


def test_fixability_rule_escalates_action_none():
    finding = FixabilityRule().check(facts(action=ActionKind.NONE), Decision.AUTO_FIX)
    assert finding.decision is Decision.ESCALATE


def test_fixability_rule_is_silent_for_auto():
    assert FixabilityRule().check(facts(), Decision.AUTO_FIX) is None


def test_blacklist_denies_refresh_secret_in_prod_with_reason():
    rule = BlacklistRule.from_file(RULES_FILE)
    finding = rule.check(
        facts(action=ActionKind.REFRESH_SECRET, environment=Environment.PROD), Decision.AUTO_FIX
    )
    assert finding.decision is Decision.NEEDS_APPROVAL
    assert "secret" in finding.reason


def test_blacklist_allows_refresh_secret_in_dev():
    rule = BlacklistRule.from_file(RULES_FILE)
    assert rule.check(facts(action=ActionKind.REFRESH_SECRET), Decision.AUTO_FIX) is None


def test_blacklist_denies_anything_in_kube_system():
    rule = BlacklistRule.from_file(RULES_FILE)
    finding = rule.check(
        facts(
            action=ActionKind.RESTART_POD, namespace="kube-system", source=IncidentSource.KUBERNETES
        ),
        Decision.AUTO_FIX,
    )
    assert finding.decision is Decision.ESCALATE


def test_blacklist_protected_branch_pattern_in_prod():
    rule = BlacklistRule.from_file(RULES_FILE)
    finding = rule.check(
        facts(branch="release/2.1", environment=Environment.PROD), Decision.AUTO_FIX
    )
    assert finding.decision is Decision.NEEDS_APPROVAL


def test_retry_budget_escalates_when_reruns_used():
    finding = RetryBudgetRule(max_reruns=2, reruns=RISKS.reruns).check(
        facts(automatic_reruns_of_run=2), Decision.AUTO_FIX
    )
    assert finding.decision is Decision.ESCALATE


def test_retry_budget_allows_below_budget():
    assert (
        RetryBudgetRule(max_reruns=2, reruns=RISKS.reruns).check(
            facts(automatic_reruns_of_run=1), Decision.AUTO_FIX
        )
        is None
    )


def test_retry_budget_refuses_runs_older_than_30_days():
    finding = RetryBudgetRule(reruns=RISKS.reruns).check(facts(run_age_days=31), Decision.AUTO_FIX)
    assert finding.decision is Decision.ESCALATE


def test_retry_budget_refuses_past_githubs_attempt_limit():
    assert (
        RetryBudgetRule(reruns=RISKS.reruns)
        .check(facts(run_attempt=50), Decision.AUTO_FIX)
        .decision
        is Decision.ESCALATE
    )


def test_retry_budget_ignores_superseded_runs():
    finding = RetryBudgetRule(reruns=RISKS.reruns).check(
        facts(superseded_by_run_id=99), Decision.AUTO_FIX
    )
    assert finding.decision is Decision.IGNORE


def test_retry_budget_does_not_apply_to_non_rerun_actions():
    rule = RetryBudgetRule(max_reruns=0, reruns=RISKS.reruns)
    assert rule.check(facts(action=ActionKind.RESTART_POD), Decision.AUTO_FIX) is None


def test_blast_radius_global_limit_asks_for_approval():
    finding = BlastRadiusRule(10, 3).check(facts(fixes_last_hour=10), Decision.AUTO_FIX)
    assert finding.decision is Decision.NEEDS_APPROVAL
    assert "limit 10" in finding.reason


def test_blast_radius_per_target_limit():
    finding = BlastRadiusRule(10, 3).check(facts(fixes_last_hour_target=3), Decision.AUTO_FIX)
    assert finding.decision is Decision.NEEDS_APPROVAL


def test_blast_radius_below_limits_is_silent():
    assert (
        BlastRadiusRule(10, 3).check(
            facts(fixes_last_hour=9, fixes_last_hour_target=2), Decision.AUTO_FIX
        )
        is None
    )


def test_recurrence_escalates_with_the_earlier_incidents():
    finding = RecurrenceRule(3).check(
        facts(recent_auto_fixes_of_signature=[4, 5, 6]), Decision.AUTO_FIX
    )
    assert finding.decision is Decision.ESCALATE
    assert "recurring" in finding.reason and "#4" in finding.reason


def test_recurrence_below_limit_is_silent():
    assert (
        RecurrenceRule(3).check(facts(recent_auto_fixes_of_signature=[4, 5]), Decision.AUTO_FIX)
        is None
    )


def test_storm_groups_at_the_threshold():
    assert (
        StormRule(5).check(facts(storm_targets=5), Decision.AUTO_FIX).decision
        is Decision.NEEDS_APPROVAL
    )
    assert StormRule(5).check(facts(storm_targets=4), Decision.AUTO_FIX) is None


class _Loosening:
    name = "loosening"

    def check(self, facts, current):
        return RuleFinding(rule=self.name, decision=Decision.AUTO_FIX, reason="try to loosen")


@pytest.mark.parametrize("start", [Decision.NEEDS_APPROVAL, Decision.ESCALATE])
def test_engine_never_lets_a_rule_loosen_a_decision(start):
    confidence = 0.7 if start is Decision.NEEDS_APPROVAL else 0.1
    engine = DecisionEngine({Strategy.HYBRID: HybridStrategy()}, [_Loosening()])
    outcome = engine.decide(
        facts(confidence=confidence), strategy=Strategy.HYBRID, thresholds=Thresholds()
    )
    assert outcome.decision is start


def test_engine_records_every_rule_that_fired():
    engine = DecisionEngine(
        {Strategy.HYBRID: HybridStrategy()}, [FixabilityRule(), RecurrenceRule(1)]
    )
    outcome = engine.decide(
        facts(fixability=Fixability.MANUAL, recent_auto_fixes_of_signature=[1]),
        strategy=Strategy.HYBRID,
        thresholds=Thresholds(),
    )
    assert [f.rule for f in outcome.findings] == ["fixability", "recurrence"]
    assert outcome.decision is Decision.ESCALATE


def _approved(engine: DecisionEngine, **values) -> Decision:
    return engine.apply_rules(
        facts(**values),
        Decision.NEEDS_APPROVAL,
        strategy=Strategy.HYBRID,
        strategy_reason="approved by U1",
    ).decision


def test_rules_on_an_approved_fix_stop_it_when_one_escalates():
    engine = DecisionEngine({}, [RecurrenceRule(2)])
    assert _approved(engine, recent_auto_fixes_of_signature=[1, 2]) is Decision.ESCALATE


def test_rules_on_an_approved_fix_do_not_ask_again_for_budget_or_risk():
    """Rules that only turn an automatic fix into a question are met by the approval."""
    from app.domain.rules.high_risk import HighRiskActionRule

    engine = DecisionEngine(
        {}, [HighRiskActionRule([], high_risk=RISKS.high), BlastRadiusRule(10, 3)]
    )
    decision = _approved(engine, action=ActionKind.REFRESH_SECRET, fixes_last_hour=10)
    assert decision is Decision.NEEDS_APPROVAL


def test_the_hourly_budget_says_why_one_more_fix_does_not_fit():
    from app.domain.rules.blast_radius import HourlyBudget

    budget = HourlyBudget(10, 3)
    assert budget.exceeded(facts(fixes_last_hour=9, fixes_last_hour_target=2)) is None
    assert budget.exceeded(facts(fixes_last_hour=10)) == ("10 fixes in the last hour (limit 10)")
    assert budget.exceeded(facts(fixes_last_hour_target=3)) == (
        "3 fixes on o/r in the last hour (limit 3)"
    )


# --- high-risk actions --------------------------------------------------------------------
HIGH_RISK = [ActionKind.REFRESH_SECRET, ActionKind.ARGOCD_ROLLBACK]


@pytest.mark.parametrize("action", HIGH_RISK)
def test_a_high_risk_action_not_allowed_for_its_target_asks_for_approval(action):
    from app.domain.rules.high_risk import HighRiskActionRule

    finding = HighRiskActionRule.from_setting("", high_risk=RISKS.high).check(
        facts(action=action), Decision.AUTO_FIX
    )

    assert finding.decision is Decision.NEEDS_APPROVAL
    assert action.value in finding.reason and "HIGH_RISK_ACTIONS_ALLOWED" in finding.reason


def test_a_high_risk_action_allowed_for_its_repository_runs():
    from app.domain.rules.high_risk import HighRiskActionRule

    rule = HighRiskActionRule.from_setting(
        "refresh_secret:octo-org/octo-repo", high_risk=RISKS.high
    )

    allowed = facts(action=ActionKind.REFRESH_SECRET, target="octo-org/octo-repo")
    assert rule.check(allowed, Decision.AUTO_FIX) is None


def test_an_allowance_for_one_repository_does_not_cover_another():
    from app.domain.rules.high_risk import HighRiskActionRule

    rule = HighRiskActionRule.from_setting(
        "refresh_secret:octo-org/octo-repo", high_risk=RISKS.high
    )

    other = facts(action=ActionKind.REFRESH_SECRET, target="octo-org/octo-repo-fork")
    assert rule.check(other, Decision.AUTO_FIX).decision is Decision.NEEDS_APPROVAL


def test_an_allowance_for_one_action_does_not_cover_another():
    from app.domain.rules.high_risk import HighRiskActionRule

    rule = HighRiskActionRule.from_setting("refresh_secret:*", high_risk=RISKS.high)

    rollback = facts(action=ActionKind.ARGOCD_ROLLBACK, target="guestbook")
    assert rule.check(rollback, Decision.AUTO_FIX).decision is Decision.NEEDS_APPROVAL


@pytest.mark.parametrize(
    ("setting", "target"),
    [
        ("argocd_rollback:*", "guestbook"),
        ("argocd_rollback: guest* , refresh_secret:a/b", "guestbook"),
    ],
)
def test_a_wildcard_allowance_covers_the_targets_it_matches(setting, target):
    from app.domain.rules.high_risk import HighRiskActionRule

    rule = HighRiskActionRule.from_setting(setting, high_risk=RISKS.high)

    assert (
        rule.check(facts(action=ActionKind.ARGOCD_ROLLBACK, target=target), Decision.AUTO_FIX)
        is None
    )


def test_low_risk_actions_need_no_allowance():
    from app.domain.rules.high_risk import HighRiskActionRule

    assert (
        HighRiskActionRule.from_setting("", high_risk=RISKS.high).check(facts(), Decision.AUTO_FIX)
        is None
    )


def test_a_high_risk_action_already_waiting_for_approval_is_left_as_it_is():
    from app.domain.rules.high_risk import HighRiskActionRule

    rule = HighRiskActionRule.from_setting("", high_risk=RISKS.high)

    assert rule.check(facts(action=ActionKind.REFRESH_SECRET), Decision.NEEDS_APPROVAL) is None


@pytest.mark.parametrize(
    "setting",
    ["refresh_secret", "refresh_secret:", "rerun_failed_jobs:*", "refresh_secrets:o/r", ":o/r"],
)
def test_an_allowance_that_is_not_a_high_risk_action_and_a_target_is_refused(setting):
    from app.core.errors import ConfigurationError
    from app.domain.rules.high_risk import HighRiskActionRule

    with pytest.raises(ConfigurationError, match="HIGH_RISK_ACTIONS_ALLOWED"):
        HighRiskActionRule.from_setting(setting, high_risk=RISKS.high)


def test_the_engine_built_from_settings_holds_back_a_high_risk_action():
    from app.bootstrap import build_decision_engine
    from tests.conftest import make_settings

    engine, _ = build_decision_engine(make_settings())
    outcome = engine.decide(
        facts(action=ActionKind.REFRESH_SECRET, confidence=0.99),
        strategy=Strategy.HYBRID,
        thresholds=Thresholds(),
    )

    assert outcome.decision is Decision.NEEDS_APPROVAL
    assert [f.rule for f in outcome.findings] == ["high_risk_action"]


def test_the_high_risk_rule_holds_whatever_action_a_remediator_declares_high_risk():
    from app.domain.rules.high_risk import HighRiskActionRule

    rule = HighRiskActionRule.from_setting("", high_risk={ActionKind.RESTART_POD})
    finding = rule.check(facts(action=ActionKind.RESTART_POD), Decision.AUTO_FIX)
    assert finding is not None and finding.decision is Decision.NEEDS_APPROVAL
