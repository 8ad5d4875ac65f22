"""A worker dies in the middle of an incident: whatever working state it left the incident in,
the incident is claimed again once its claim is stale (by the worker and by ``sweep``) and
resumed where it was, never doing a side effect twice."""

from datetime import timedelta

import pytest
import respx
from sqlalchemy import select, update

from app.adapters.database.tables import AuditEntry, Incident, RemediationAttempt, utcnow
from app.bootstrap import build_container
from app.core.enums import IncidentStatus
from app.domain.audit import AuditEvent
from tests.conftest import FIXTURES, _truncate, make_settings
from tests.support.github_api import (
    API,
    REPO,
    RUN_ID,
    WORKFLOW_ID,
    attempt_jobs,
    failed_run,
    mock_log_download,
)
from tests.support.incidents import analyzed_incident, insert

CLAIM_TIMEOUT = timedelta(minutes=10)
NETWORK_LOG = (FIXTURES / "ci_logs" / "040_npm_econnreset_actions.log").read_text()
RERUN = f"{API}/repos/{REPO}/actions/runs/{RUN_ID}/rerun-failed-jobs"


@pytest.fixture
def live(database_url):
    """GitHub configured and real execution, as in production."""
    settings = make_settings(
        database_url,
        github_token="ghp_" + "s" * 36,
        dry_run=False,
        github_max_retries=1,
        worker_claim_timeout_seconds=int(CLAIM_TIMEOUT.total_seconds()),
    )
    container = build_container(settings, database_url=database_url)
    yield container
    _truncate(container)
    container.close()


def left_by_dead_worker(container, incident_id: int, *, ago: timedelta) -> None:
    """The state a worker killed ``ago`` leaves behind: its claim, never released."""
    with container.db.session() as session:
        session.execute(
            update(Incident)
            .where(Incident.id == incident_id)
            .values(claimed_at=utcnow() - ago, claimed_by="host:4242:w1")
        )


def stuck(container, status: IncidentStatus, *, ago: timedelta = CLAIM_TIMEOUT * 2) -> int:
    incident = analyzed_incident(repo=REPO, run_id=RUN_ID)
    incident.status = status
    [incident_id] = insert(container, incident)
    left_by_dead_worker(container, incident_id, ago=ago)
    return incident_id


def load(container, incident_id: int) -> Incident:
    with container.db.session() as session:
        return session.get(Incident, incident_id)


def audit_events(container, incident_id: int) -> list[str]:
    with container.db.session() as session:
        return list(
            session.execute(
                select(AuditEntry.event)
                .where(AuditEntry.incident_id == incident_id)
                .order_by(AuditEntry.id)
            ).scalars()
        )


def test_worker_decides_an_incident_a_dead_worker_left_analyzed(container):
    incident_id = stuck(container, IncidentStatus.ANALYZED)

    assert container.new_worker().drain() == 1

    incident = load(container, incident_id)
    assert incident.decision is not None
    assert audit_events(container, incident_id) == [AuditEvent.DECISION_MADE]


def test_sweep_decides_an_incident_a_dead_worker_left_analyzed(container):
    incident_id = stuck(container, IncidentStatus.ANALYZED)

    report = container.new_sweeper().run()

    assert report["reclaimed"] == 1
    assert load(container, incident_id).decision is not None


def test_an_analyzed_incident_whose_worker_is_still_within_its_claim_is_left_alone(container):
    incident_id = stuck(container, IncidentStatus.ANALYZED, ago=timedelta(minutes=1))

    assert container.new_worker().drain() == 0
    assert load(container, incident_id).decision is None


def test_a_dry_run_plan_already_decided_is_not_claimed_again(container):
    incident_id = stuck(container, IncidentStatus.ANALYZED)
    container.decider(incident_id)  # dry run: decided, recorded as planned, still analyzed
    assert load(container, incident_id).status == IncidentStatus.ANALYZED

    assert container.new_worker().drain() == 0
    assert audit_events(container, incident_id) == [AuditEvent.DECISION_MADE]


def test_a_decision_that_crashed_is_tried_again_after_its_delay(container):
    incident_id = stuck(container, IncidentStatus.ANALYZED)

    def crash(_: int) -> None:
        raise RuntimeError("database went away mid-decision")

    from app.services.pipeline import EventProcessor

    EventProcessor(container.db, [crash]).process(incident_id)
    released = load(container, incident_id)
    assert released.status == IncidentStatus.ANALYZED and released.claimed_at is None
    with container.db.session() as session:  # the delay has passed
        session.execute(update(Incident).values(not_before=utcnow() - timedelta(seconds=1)))

    assert container.new_worker().drain() == 1
    assert load(container, incident_id).decision is not None


def test_sweep_starts_over_the_analysis_a_dead_worker_left_analyzing(database_url):
    settings = make_settings(
        database_url, github_token="ghp_" + "a" * 36, dry_run=True, github_max_retries=1
    )
    container = build_container(settings, database_url=database_url)
    try:
        incident_id = stuck(container, IncidentStatus.ANALYZING)
        with respx.mock(assert_all_called=False) as respx_mock:
            jobs = respx_mock.get(f"{API}/repos/{REPO}/actions/runs/{RUN_ID}/attempts/1/jobs")
            jobs.respond(200, json=attempt_jobs())
            mock_log_download(respx_mock, NETWORK_LOG)
            report = container.new_sweeper().run()
        assert report["reclaimed"] == 1 and jobs.called
        incident = load(container, incident_id)
        assert incident.category == "transient_network"
        assert incident.decision is not None
    finally:
        _truncate(container)
        container.close()


def test_sweep_finishes_a_remediation_whose_worker_died_after_the_post_without_posting_again(
    live,
):
    [incident_id] = insert(live, analyzed_incident(repo=REPO, run_id=RUN_ID))
    live.decider(incident_id)
    with live.db.session() as session:  # the dead worker had marked it running, then POSTed
        session.execute(update(RemediationAttempt).values(status="running"))
    left_by_dead_worker(live, incident_id, ago=CLAIM_TIMEOUT * 2)
    assert load(live, incident_id).status == IncidentStatus.REMEDIATING

    with respx.mock(assert_all_called=False) as respx_mock:
        run = failed_run(attempt=2, status="in_progress", conclusion=None)  # GitHub did re-run
        respx_mock.get(f"{API}/repos/{REPO}/actions/runs/{RUN_ID}").respond(200, json=run)
        respx_mock.get(f"{API}/repos/{REPO}/actions/workflows/{WORKFLOW_ID}/runs").respond(
            200, json={"total_count": 1, "workflow_runs": [run]}
        )
        post = respx_mock.post(RERUN).respond(201, json={})
        report = live.new_sweeper().run()

    assert report["reclaimed"] == 1
    assert not post.called
    assert load(live, incident_id).status == IncidentStatus.VERIFYING


def test_a_verifying_incident_is_left_to_the_verification_sweep(live):
    incident_id = stuck(live, IncidentStatus.VERIFYING)
    with live.db.session() as session:  # re-run long ago; its completion webhook never came
        session.execute(update(Incident).values(updated_at=utcnow() - timedelta(hours=1)))

    assert live.new_worker().drain() == 0
    with respx.mock(assert_all_called=False) as respx_mock:
        done = failed_run(attempt=2, conclusion="success")
        respx_mock.get(f"{API}/repos/{REPO}/actions/runs/{RUN_ID}").respond(200, json=done)
        respx_mock.get(f"{API}/repos/{REPO}/actions/runs").respond(
            200, json={"total_count": 0, "workflow_runs": []}
        )
        report = live.new_sweeper().run()

    assert report["reclaimed"] == 0
    assert report["stale_attempts"]["closed"] == 1
    assert load(live, incident_id).status == IncidentStatus.RESOLVED
