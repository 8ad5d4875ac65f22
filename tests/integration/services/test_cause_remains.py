"""The symptom-not-cause rule over the real database: memory raised again and again on one
Deployment escalates the next raise with the history of the raises."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.adapters.database.repositories.flakes import FlakeRepository
from app.adapters.database.tables import Incident, RemediationAttempt, utcnow
from app.bootstrap import build_container
from app.core.enums import IncidentStatus
from tests.conftest import _truncate, make_settings
from tests.support.incidents import analyzed_incident, insert
from tests.support.memory_raises import LIMITS, decide_next, raised, three_raises


@pytest.fixture
def live(database_url):
    settings = make_settings(
        database_url,
        github_token="ghp_" + "d" * 36,
        dry_run=False,
    )
    container = build_container(settings, database_url=database_url)
    yield container
    _truncate(container)
    container.close()


def test_three_memory_raises_of_one_deployment_escalate_the_next_with_their_history(live):
    earlier = three_raises(live)

    incident = decide_next(live)

    assert incident.status == IncidentStatus.ESCALATED
    assert incident.escalation_reason == "cause_remains"
    assert "the fix works but the cause remains" in incident.decision_reason
    assert ", ".join(f"#{i}" for i in earlier) in incident.decision_reason
    diagnosis = incident.details["diagnosis"]
    assert diagnosis[0].startswith(
        "The memory limit of Deployment shop/cart in cluster prod was raised 3 times in 7 days"
    )
    for i, incident_id in enumerate(earlier):
        line = diagnosis[1 + i]
        assert f"(#{incident_id})" in line
        assert f"limit raised {LIMITS[i]} → {LIMITS[i + 1]} (container app)" in line
    assert "most likely a leak" in diagnosis[-1]


def test_the_escalation_plans_no_raise(live):
    three_raises(live)

    incident = decide_next(live)

    with live.db.session() as session:
        stmt = select(func.count()).where(RemediationAttempt.incident_id == incident.id)
        assert session.execute(stmt).scalar_one() == 0


def test_two_raises_leave_the_next_one_to_the_other_rules(live):
    raised(live, days_ago=3, before="256Mi", after="384Mi")
    raised(live, days_ago=1, before="384Mi", after="576Mi")

    incident = decide_next(live)

    assert incident.escalation_reason != "cause_remains"
    assert "diagnosis" not in incident.details


def test_raises_older_than_the_window_do_not_count(live):
    raised(live, days_ago=9, before="256Mi", after="384Mi")
    raised(live, days_ago=3, before="384Mi", after="576Mi")
    raised(live, days_ago=1, before="576Mi", after="864Mi")

    incident = decide_next(live)

    assert incident.escalation_reason != "cause_remains"


def test_raises_of_another_deployment_do_not_count(live):
    three_raises(live, owner="checkout")

    incident = decide_next(live)

    assert incident.escalation_reason != "cause_remains"


def test_dry_run_raises_do_not_count(live):
    three_raises(live, dry_run=True)

    incident = decide_next(live)

    assert incident.escalation_reason != "cause_remains"


@pytest.fixture
def built(database_url):
    """Containers built with other settings, closed after the test."""
    containers = []

    def build(**overrides):
        settings = make_settings(database_url, dry_run=False, **overrides)
        containers.append(build_container(settings, database_url=database_url))
        return containers[-1]

    yield build
    if containers:
        _truncate(containers[0])
    for container in containers:
        container.close()


def test_cause_remains_after_sets_how_many_raises_escalate(built):
    strict = built(cause_remains_after=2)
    raised(strict, days_ago=3, before="256Mi", after="384Mi")
    raised(strict, days_ago=1, before="384Mi", after="576Mi")

    assert decide_next(strict).escalation_reason == "cause_remains"


def test_cause_remains_window_days_sets_how_far_back_raises_count(built):
    short = built(cause_remains_window_days=2)
    three_raises(short)  # 5, 3 and 1 days ago: one of them in the last two days

    assert decide_next(short).escalation_reason != "cause_remains"


# --- the same flaky test re-run ------------------------------------------------------------------
FLAKY_TEST = "tests/test_checkout.py::test_pays_twice"


def rerun_of_flaky_test(live, run_id: int, *, days_ago: float) -> int:
    """A failure of workflow 77 in org/shop naming the flaky test, re-run and verified."""
    at = utcnow() - timedelta(days=days_ago)
    incident = analyzed_incident(repo="org/shop", run_id=run_id, category="flaky_test")
    incident.status, incident.created_at = IncidentStatus.RESOLVED, at
    incident.workflow_id, incident.workflow_name = 77, "CI"
    incident.head_sha, incident.failing_tests = f"{run_id:040x}", [FLAKY_TEST]
    [incident_id] = insert(live, incident)
    with live.db.session() as session:
        session.add(
            RemediationAttempt(
                incident_id=incident_id,
                action="rerun_failed_jobs",
                target="org/shop",
                status="verified",
                actor="auto",
                started_at=at + timedelta(minutes=1),
                finished_at=at + timedelta(minutes=2),
            )
        )
        FlakeRepository(session).record(
            [FLAKY_TEST],
            verdict="flaky",
            repo="org/shop",
            head_sha=incident.head_sha,
            run_id=run_id,
            incident_id=incident_id,
            at=at,
        )
    return incident_id


def test_the_same_flaky_test_re_run_three_times_escalates_naming_it(live):
    for run_id, days in ((501, 6), (502, 4), (503, 2)):
        rerun_of_flaky_test(live, run_id, days_ago=days)
    incident = analyzed_incident(repo="org/shop", run_id=504, category="flaky_test")
    incident.workflow_id, incident.workflow_name = 77, "CI"
    incident.failing_tests = [FLAKY_TEST]
    [incident_id] = insert(live, incident)

    live.decider(incident_id)

    with live.db.session() as session:
        decided = session.get_one(Incident, incident_id)
    assert decided.escalation_reason == "cause_remains"
    assert decided.details["diagnosis"][:2] == [
        "rerun_failed_jobs ran on workflow CI of org/shop 3 times in 7 days for the same "
        "failing tests. Fix or quarantine:",
        f"• {FLAKY_TEST}: failed in 3 of those runs and in this one; flaky on 3 commits "
        "(a re-run passed), broken on 0 commits (a re-run failed again)",
    ]
