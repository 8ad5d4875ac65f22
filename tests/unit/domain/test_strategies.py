"""Each strategy's band edges, and earned autonomy on top of them."""

import pytest

from app.bootstrap import action_risks
from app.core.enums import (
    ActionKind,
    Decision,
    Environment,
    Fixability,
    IncidentSource,
    Strategy,
)
from app.domain.decisions.engine import DecisionEngine
from app.domain.decisions.models import DecisionFacts, EarnedAutonomy, Thresholds
from app.domain.rules.blacklist import BlacklistRule
from app.domain.rules.fixability import FixabilityRule
from app.domain.strategies.conservative import ConservativeStrategy
from app.domain.strategies.hybrid import HybridStrategy
from app.domain.strategies.slack_first import SlackFirstStrategy

RISKS = action_risks()
THRESHOLDS = Thresholds(auto=0.85, conservative_auto=0.95, approval=0.60)


def facts(
    confidence: float, *, action=ActionKind.RERUN_FAILED_JOBS, fixability=Fixability.AUTO
) -> DecisionFacts:
    return DecisionFacts(
        incident_id=1,
        source=IncidentSource.GITHUB,
        environment=Environment.DEV,
        category="transient_network",
        action=action,
        fixability=fixability,
        confidence=confidence,
    )


@pytest.mark.parametrize(
    ("confidence", "expected"),
    [(0.95, Decision.AUTO_FIX), (0.9499, Decision.NEEDS_APPROVAL), (0.10, Decision.NEEDS_APPROVAL)],
)
def test_conservative_band_edges(confidence, expected):
    assert ConservativeStrategy().decide(facts(confidence), THRESHOLDS)[0] is expected


def test_conservative_escalates_what_is_not_fixable():
    decision, _ = ConservativeStrategy().decide(facts(0.99, action=ActionKind.NONE), THRESHOLDS)
    assert decision is Decision.ESCALATE


@pytest.mark.parametrize(
    ("confidence", "expected"), [(0.85, Decision.AUTO_FIX), (0.8499, Decision.NEEDS_APPROVAL)]
)
def test_slack_first_band_edge_for_low_risk_actions(confidence, expected):
    assert (
        SlackFirstStrategy(low_risk=RISKS.low).decide(facts(confidence), THRESHOLDS)[0] is expected
    )


@pytest.mark.parametrize(
    "action",
    [ActionKind.RERUN_FAILED_JOBS, ActionKind.RERUN_NO_CACHE, ActionKind.ARGOCD_HARD_REFRESH],
)
def test_slack_first_auto_fixes_each_low_risk_action(action):
    assert (
        SlackFirstStrategy(low_risk=RISKS.low).decide(facts(0.9, action=action), THRESHOLDS)[0]
        is Decision.AUTO_FIX
    )


def test_slack_first_asks_for_other_actions_even_when_sure():
    decision, why = SlackFirstStrategy(low_risk=RISKS.low).decide(
        facts(0.99, action=ActionKind.RESTART_POD), THRESHOLDS
    )
    assert decision is Decision.NEEDS_APPROVAL
    assert "low-risk" in why


@pytest.mark.parametrize(
    ("confidence", "expected"),
    [
        (0.85, Decision.AUTO_FIX),
        (0.8499, Decision.NEEDS_APPROVAL),
        (0.60, Decision.NEEDS_APPROVAL),
        (0.5999, Decision.ESCALATE),
    ],
)
def test_hybrid_band_edges(confidence, expected):
    assert HybridStrategy().decide(facts(confidence), THRESHOLDS)[0] is expected


def test_unknown_fixability_never_auto_fixes():
    decision, _ = HybridStrategy().decide(facts(0.99, fixability=Fixability.UNKNOWN), THRESHOLDS)
    assert decision is Decision.NEEDS_APPROVAL


def test_calibrated_per_action_threshold_replaces_the_default():
    calibrated = Thresholds(auto=0.85, per_action={"rerun_failed_jobs": 0.70})
    assert HybridStrategy().decide(facts(0.72), calibrated)[0] is Decision.AUTO_FIX


# --- earned autonomy, on top of every strategy ---------------------------------------------------
EARNED = EarnedAutonomy(automatic=True, summary="10 of 10 re-runs passed")
TAKEN_BACK = EarnedAutonomy(automatic=False, taken_back=True, summary="0 of 1 re-runs passed")


def engine() -> DecisionEngine:
    strategies = {
        Strategy.CONSERVATIVE: ConservativeStrategy(),
        Strategy.SLACK_FIRST: SlackFirstStrategy(low_risk=RISKS.low),
        Strategy.HYBRID: HybridStrategy(),
    }
    release_freeze = BlacklistRule.from_mapping(
        {"deny": [{"action": "*", "branch": "release", "reason": "release freeze"}]}
    )
    return DecisionEngine(strategies, [FixabilityRule(), release_freeze])


def earned_facts(autonomy, *, confidence=0.2, fixability=Fixability.AUTO, branch=None):
    return facts(confidence, fixability=fixability).model_copy(
        update={"autonomy": autonomy, "branch": branch}
    )


@pytest.mark.parametrize("strategy", list(Strategy))
def test_an_earned_action_runs_alone_whatever_its_confidence(strategy):
    outcome = engine().decide(earned_facts(EARNED), strategy=strategy, thresholds=THRESHOLDS)

    assert outcome.decision is Decision.AUTO_FIX
    assert outcome.reason == "earned autonomy: 10 of 10 re-runs passed"


def test_an_action_whose_autonomy_was_taken_back_never_runs_alone_on_confidence():
    outcome = engine().decide(
        earned_facts(TAKEN_BACK, confidence=0.99),
        strategy=Strategy.SLACK_FIRST,
        thresholds=THRESHOLDS,
    )

    assert outcome.decision is Decision.NEEDS_APPROVAL
    assert outcome.reason.startswith("autonomy taken back")


def test_an_action_not_earned_yet_is_decided_by_the_confidence_bands():
    not_yet = EarnedAutonomy(automatic=False, summary="3 of 3 re-runs passed")

    def decided(confidence: float) -> Decision:
        fresh = earned_facts(not_yet, confidence=confidence)
        return engine().decide(fresh, strategy=Strategy.SLACK_FIRST, thresholds=THRESHOLDS).decision

    high, low = decided(0.9), decided(0.2)

    assert (high, low) == (Decision.AUTO_FIX, Decision.NEEDS_APPROVAL)


def test_a_threshold_applied_by_calibrate_overrides_the_evidence_for_its_action():
    applied = THRESHOLDS.model_copy(update={"per_action": {"rerun_failed_jobs": 0.5}})

    outcome = engine().decide(earned_facts(EARNED), strategy=Strategy.HYBRID, thresholds=applied)

    assert outcome.decision is Decision.ESCALATE  # confidence 0.2, below the approval band


@pytest.mark.parametrize("strategy", list(Strategy))
def test_an_action_a_person_approved_until_now_runs_alone_once_earned(strategy):
    outcome = engine().decide(
        earned_facts(EARNED, fixability=Fixability.UNKNOWN),
        strategy=strategy,
        thresholds=THRESHOLDS,
    )

    assert outcome.decision is Decision.AUTO_FIX


def test_an_unsure_action_not_earned_yet_still_asks_a_person():
    not_yet = EarnedAutonomy(automatic=False, summary="3 of 3 re-runs passed")

    outcome = engine().decide(
        earned_facts(not_yet, confidence=0.99, fixability=Fixability.UNKNOWN),
        strategy=Strategy.HYBRID,
        thresholds=THRESHOLDS,
    )

    assert outcome.decision is Decision.NEEDS_APPROVAL


def test_evidence_never_makes_a_failure_a_person_must_fix_run_alone():
    outcome = engine().decide(
        earned_facts(EARNED, fixability=Fixability.MANUAL),
        strategy=Strategy.HYBRID,
        thresholds=THRESHOLDS,
    )

    assert outcome.decision is Decision.ESCALATE


def test_the_rules_still_apply_on_top_of_earned_autonomy():
    outcome = engine().decide(
        earned_facts(EARNED, branch="release"), strategy=Strategy.HYBRID, thresholds=THRESHOLDS
    )

    assert outcome.decision is Decision.ESCALATE
    assert outcome.reason == "blacklist: release freeze"
