"""Every rule that asks for a person names its escalation key; the outcome picks the one that
decided; the runbook URL and the key a person sees come from that key."""

from pathlib import Path

import pytest

from app.bootstrap import action_risks
from app.core.enums import ActionKind, Decision, Environment, Fixability, IncidentSource, Strategy
from app.domain.decisions.engine import DecisionEngine
from app.domain.decisions.models import DecisionFacts, Thresholds
from app.domain.escalation import (
    TITLES,
    EscalationReason,
    parse_reason,
    reason_needing_person,
    runbook_url,
)
from app.domain.rules.blacklist import BlacklistRule
from app.domain.rules.blast_radius import BlastRadiusRule
from app.domain.rules.fixability import FixabilityRule
from app.domain.rules.recurrence import RecurrenceRule
from app.domain.rules.retry_budget import RetryBudgetRule
from app.domain.rules.storm import StormRule
from app.domain.strategies.conservative import ConservativeStrategy
from app.domain.strategies.hybrid import HybridStrategy

RULES_FILE = Path(__file__).parents[3] / "config" / "remediation_rules.yaml"


def facts(**overrides) -> DecisionFacts:
    values = dict(
        incident_id=1,
        source=IncidentSource.GITHUB,
        environment=Environment.DEV,
        category="transient_network",
        action=ActionKind.RERUN_FAILED_JOBS,
        fixability=Fixability.AUTO,
        confidence=0.99,
        target="o/r",
        branch="main",
    )
    values.update(overrides)
    return DecisionFacts(**values)


def engine() -> DecisionEngine:
    return DecisionEngine(
        {Strategy.HYBRID: HybridStrategy(), Strategy.CONSERVATIVE: ConservativeStrategy()},
        [
            FixabilityRule(),
            BlacklistRule.from_file(RULES_FILE),
            RetryBudgetRule(max_reruns=2, reruns=action_risks().reruns),
            BlastRadiusRule(max_per_hour=10, max_per_hour_per_target=3),
            RecurrenceRule(limit=3),
            StormRule(min_targets=5),
        ],
    )


def decide(strategy: Strategy = Strategy.HYBRID, **overrides):
    return engine().decide(facts(**overrides), strategy=strategy, thresholds=Thresholds())


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"fixability": Fixability.MANUAL}, EscalationReason.NEEDS_CODE_CHANGE),
        ({"action": ActionKind.NONE, "fixability": Fixability.UNKNOWN}, EscalationReason.NO_REMEDIATION),
        ({"namespace": "kube-system", "action": ActionKind.RESTART_POD}, EscalationReason.BLOCKED_BY_RULE),
        ({"automatic_reruns_of_run": 2}, EscalationReason.RERUN_BUDGET_EXHAUSTED),
        ({"run_age_days": 31.0}, EscalationReason.RUN_TOO_OLD),
        ({"run_attempt": 50}, EscalationReason.RUN_ATTEMPT_LIMIT),
        ({"fixes_last_hour": 10}, EscalationReason.BLAST_RADIUS),
        ({"fixes_last_hour_target": 3}, EscalationReason.BLAST_RADIUS),
        ({"recent_auto_fixes_of_signature": [4, 5, 6]}, EscalationReason.RECURRING_FAILURE),
        ({"storm_targets": 5}, EscalationReason.STORM),
    ],
)
def test_the_rule_that_decided_names_its_key(overrides, key):
    outcome = decide(**overrides)
    assert outcome.decision in (Decision.ESCALATE, Decision.NEEDS_APPROVAL)
    assert outcome.escalation_reason is key


def test_a_strategy_that_escalates_alone_was_not_sure_enough():
    outcome = decide(confidence=0.2)
    assert outcome.decision is Decision.ESCALATE and outcome.findings == []
    assert outcome.escalation_reason is EscalationReason.LOW_CONFIDENCE


def test_an_ordinary_approval_request_is_not_an_escalation():
    outcome = decide(Strategy.CONSERVATIVE, confidence=0.7)
    assert outcome.decision is Decision.NEEDS_APPROVAL
    assert outcome.escalation_reason is None


def test_an_auto_fix_has_no_escalation_key():
    assert decide().escalation_reason is None


def test_a_superseded_run_is_ignored_without_a_key():
    outcome = decide(superseded_by_run_id=99)
    assert outcome.decision is Decision.IGNORE
    assert outcome.escalation_reason is None


def test_the_more_careful_finding_decides_the_key():
    # The blast radius asks for approval, recurrence escalates: escalation wins, and its key.
    outcome = decide(fixes_last_hour=10, recent_auto_fixes_of_signature=[1, 2, 3])
    assert outcome.decision is Decision.ESCALATE
    assert outcome.escalation_reason is EscalationReason.RECURRING_FAILURE


def test_every_key_has_a_title():
    assert set(TITLES) == set(EscalationReason)


def test_runbook_url_names_the_page_of_the_key():
    url = runbook_url("https://example.org/docs/runbooks/", EscalationReason.STORM)
    assert url == "https://example.org/docs/runbooks/storm.md"


def test_an_unknown_stored_key_is_no_key():
    assert parse_reason("a_reason_from_a_newer_version") is None
    assert parse_reason(None) is None


def test_an_expired_approval_is_what_a_person_reads_about():
    reason = reason_needing_person("storm", status="awaiting_approval", approval_expired=True)
    assert reason is EscalationReason.APPROVAL_EXPIRED


def test_an_open_approval_shows_the_stored_key():
    reason = reason_needing_person("storm", status="awaiting_approval", approval_expired=False)
    assert reason is EscalationReason.STORM


def test_an_expired_request_matters_only_while_awaiting_approval():
    reason = reason_needing_person("fix_rejected", status="escalated", approval_expired=True)
    assert reason is EscalationReason.FIX_REJECTED
