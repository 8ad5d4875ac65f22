"""The kill switch in the domain: which pause holds a fix, and what the pause rule does."""

from datetime import UTC, datetime

import pytest

from app.core.enums import ActionKind, Decision, Environment, Fixability, IncidentSource, Strategy
from app.domain.decisions.engine import DecisionEngine
from app.domain.decisions.models import DecisionFacts
from app.domain.escalation import EscalationReason
from app.domain.pauses import Pause, matching_pause
from app.domain.rules.pause import PauseRule

GITHUB, ARGOCD = IncidentSource.GITHUB, IncidentSource.ARGOCD
RERUN, SYNC = ActionKind.RERUN_FAILED_JOBS, ActionKind.ARGOCD_SYNC
AT = datetime(2026, 12, 5, 13, 0, tzinfo=UTC)


def facts(**overrides) -> DecisionFacts:
    values = dict(
        incident_id=1,
        source=GITHUB,
        environment=Environment.DEV,
        category="transient_network",
        action=RERUN,
        fixability=Fixability.AUTO,
        confidence=0.99,
        target="org/api",
    )
    return DecisionFacts(**{**values, **overrides})


def pause(
    pause_id: int = 1, *, source=None, action=None, minute: int = 0, reason: str = ""
) -> Pause:
    return Pause(
        id=pause_id,
        source=source,
        action=action,
        paused_by="UAPPROVER1",
        paused_at=AT.replace(minute=minute),
        reason=reason,
    )


@pytest.mark.parametrize(("source", "action"), [(GITHUB, RERUN), (ARGOCD, SYNC)])
def test_a_global_pause_holds_every_source_and_action(source, action):
    assert matching_pause([pause()], source=source, action=action) == pause()


def test_a_source_pause_holds_only_that_source():
    paused = pause(source=GITHUB)

    assert matching_pause([paused], source=GITHUB, action=RERUN) == paused
    assert matching_pause([paused], source=ARGOCD, action=SYNC) is None


def test_an_action_pause_holds_that_action_from_every_source():
    paused = pause(action=RERUN)

    assert matching_pause([paused], source=GITHUB, action=RERUN) == paused
    assert matching_pause([paused], source=GITHUB, action=ActionKind.RERUN_NO_CACHE) is None


def test_a_pause_of_a_source_and_an_action_needs_both_to_match():
    paused = pause(source=ARGOCD, action=SYNC)

    assert matching_pause([paused], source=ARGOCD, action=SYNC) == paused
    assert matching_pause([paused], source=GITHUB, action=SYNC) is None
    assert matching_pause([paused], source=ARGOCD, action=ActionKind.ARGOCD_ROLLBACK) is None


def test_of_several_covering_pauses_the_one_set_first_holds():
    later, first = pause(1, action=RERUN, minute=30), pause(2, source=GITHUB, minute=5)

    assert matching_pause([later, first], source=GITHUB, action=RERUN) == first


def test_no_pause_holds_nothing():
    assert matching_pause([], source=GITHUB, action=RERUN) is None


def test_the_summary_says_what_is_paused_by_whom_when_and_why():
    assert pause(reason="deploy freeze").summary == (
        "all automatic fixes paused by UAPPROVER1 at 2026-12-05 13:00 UTC (deploy freeze)"
    )
    assert pause(source=GITHUB, action=RERUN).scope == (
        "automatic rerun_failed_jobs of github incidents"
    )


def test_the_pause_rule_turns_an_automatic_fix_into_an_approval_request_naming_the_pause():
    finding = PauseRule().check(facts(pause=pause()), Decision.AUTO_FIX)

    assert finding is not None
    assert finding.decision is Decision.NEEDS_APPROVAL
    assert finding.key is EscalationReason.AUTOMATIC_FIXES_PAUSED
    assert finding.reason.startswith("all automatic fixes paused by UAPPROVER1 at 2026-12-05")


@pytest.mark.parametrize("current", [Decision.NEEDS_APPROVAL, Decision.ESCALATE, Decision.IGNORE])
def test_the_pause_rule_leaves_decisions_that_run_nothing_alone(current):
    assert PauseRule().check(facts(pause=pause()), current) is None


def test_the_pause_rule_says_nothing_without_a_pause():
    assert PauseRule().check(facts(), Decision.AUTO_FIX) is None


def test_an_approval_checked_again_under_a_pause_still_runs():
    engine = DecisionEngine({}, [PauseRule()])

    outcome = engine.apply_rules(
        facts(pause=pause()),
        Decision.NEEDS_APPROVAL,
        strategy=Strategy.HYBRID,
        strategy_reason="approved by UAPPROVER1",
    )

    assert outcome.decision is Decision.NEEDS_APPROVAL
    assert outcome.findings == []
