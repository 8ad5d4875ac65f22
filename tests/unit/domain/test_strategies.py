"""Each strategy's band edges."""

import pytest

from app.bootstrap import action_risks
from app.core.enums import ActionKind, Decision, Environment, Fixability, IncidentSource
from app.domain.decisions.models import DecisionFacts, Thresholds
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
