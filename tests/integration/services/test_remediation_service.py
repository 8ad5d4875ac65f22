"""Exactly-once remediation, the crash-after-POST case, escalation paths, the reconciler."""

from datetime import timedelta

import httpx
import pytest
import respx
from sqlalchemy import select

from app.adapters.database.tables import Incident, RemediationAttempt
from app.bootstrap import build_container
from app.services.worker import IncidentWorker
from tests.conftest import _truncate, make_settings
from tests.support.github_api import API, REPO, RUN_ID, WORKFLOW_ID, failed_run
from tests.support.incidents import analyzed_incident, insert

RERUN = f"{API}/repos/{REPO}/actions/runs/{RUN_ID}/rerun-failed-jobs"


class WorkerKilled(BaseException):
    """Stands for the process dying: nothing in the worker catches it."""


@pytest.fixture
def live(database_url):
    settings = make_settings(
        database_url, github_token="ghp_" + "e" * 36, dry_run=False, github_max_retries=2
    )
    container = build_container(settings, database_url=database_url)
    yield container
    _truncate(container)
    container.close()


def auto_fixed(live) -> int:
    """An incident decided AUTO_FIX: remediating, with its planned attempt written."""
    [incident_id] = insert(live, analyzed_incident(repo=REPO, run_id=RUN_ID))
    live.decider(incident_id)
    return incident_id


def mock_run(respx_mock, run):
    respx_mock.get(f"{API}/repos/{REPO}/actions/runs/{RUN_ID}").respond(200, json=run)
    respx_mock.get(f"{API}/repos/{REPO}/actions/workflows/{WORKFLOW_ID}/runs").respond(
        200, json={"total_count": 1, "workflow_runs": [run]}
    )


def state(live, incident_id):
    with live.db.session() as session:
        incident = session.get(Incident, incident_id)
        attempt = session.execute(
            select(RemediationAttempt).where(RemediationAttempt.incident_id == incident_id)
        ).scalar_one()
        return incident, attempt


def test_crash_after_post_leads_to_exactly_one_post_across_the_retry(live):
    incident_id = auto_fixed(live)
    posts: list[httpx.Request] = []

    def accept_then_die(request):
        posts.append(request)
        raise WorkerKilled()

    with respx.mock(assert_all_called=False) as respx_mock:
        mock_run(respx_mock, failed_run())
        respx_mock.post(RERUN).mock(side_effect=accept_then_die)
        with pytest.raises(WorkerKilled):
            live.remediation(incident_id)
    incident, attempt = state(live, incident_id)
    assert incident.status == "remediating" and attempt.status == "running"

    # GitHub did start attempt 2; a new worker re-claims the stuck incident.
    with respx.mock(assert_all_called=False) as respx_mock:
        mock_run(respx_mock, failed_run(attempt=2, status="in_progress", conclusion=None))
        second_post = respx_mock.post(RERUN).respond(201, json={})
        retry = IncidentWorker(
            live.db, live.processor, claim_timeout=timedelta(seconds=0), worker_id="second"
        )
        assert retry.drain() == 1
    assert len(posts) == 1 and not second_post.called
    incident, attempt = state(live, incident_id)
    assert incident.status == "verifying"
    assert attempt.status == "succeeded"
    assert "already at attempt 2" in attempt.result["detail"]


def test_run_superseded_between_decision_and_execution_is_not_rerun(live):
    incident_id = auto_fixed(live)
    with respx.mock(assert_all_called=False) as respx_mock:
        run = failed_run()
        respx_mock.get(f"{API}/repos/{REPO}/actions/runs/{RUN_ID}").respond(200, json=run)
        respx_mock.get(f"{API}/repos/{REPO}/actions/workflows/{WORKFLOW_ID}/runs").respond(
            200, json={"total_count": 2, "workflow_runs": [failed_run(run_id=RUN_ID + 5), run]}
        )
        post = respx_mock.post(RERUN).respond(201, json={})
        live.remediation(incident_id)
    assert not post.called
    incident, attempt = state(live, incident_id)
    assert attempt.status == "skipped"
    assert incident.status == "escalated" and "superseded" in incident.decision_reason


def test_github_401_escalates_without_a_retry_storm(live):
    incident_id = auto_fixed(live)
    with respx.mock(assert_all_called=False) as respx_mock:
        mock_run(respx_mock, failed_run())
        post = respx_mock.post(RERUN).respond(401, json={"message": "Bad credentials"})
        live.remediation(incident_id)
    assert post.call_count == 1
    incident, attempt = state(live, incident_id)
    assert incident.status == "escalated"
    assert attempt.status == "failed"


def test_github_down_puts_the_remediation_back_to_wait_and_frees_the_worker(live):
    # It used to escalate at once; now it waits for a later retry (escalating only after
    # DEPENDENCY_WAIT_LIMIT_MINUTES), its attempt row still open for that retry.
    incident_id = auto_fixed(live)
    with respx.mock(assert_all_called=False) as respx_mock:
        respx_mock.get(f"{API}/repos/{REPO}/actions/runs/{RUN_ID}").mock(
            side_effect=httpx.ConnectTimeout("no answer")
        )
        live.processor.process(incident_id)
    incident, attempt = state(live, incident_id)
    assert incident.status == "remediating" and incident.claimed_at is None
    assert incident.not_before is not None
    assert "ConnectTimeout" in incident.last_error
    assert attempt.status == "planned"


def test_a_failed_fix_records_the_remediation_failed_key(live):
    incident_id = auto_fixed(live)
    with respx.mock(assert_all_called=False) as respx_mock:
        mock_run(respx_mock, failed_run())
        respx_mock.post(RERUN).respond(401, json={"message": "Bad credentials"})
        live.remediation(incident_id)
    incident, _ = state(live, incident_id)
    assert incident.escalation_reason == "remediation_failed"


def test_a_fix_not_executed_records_the_remediation_aborted_key(live):
    incident_id = auto_fixed(live)
    with respx.mock(assert_all_called=False) as respx_mock:
        run = failed_run()
        respx_mock.get(f"{API}/repos/{REPO}/actions/runs/{RUN_ID}").respond(200, json=run)
        respx_mock.get(f"{API}/repos/{REPO}/actions/workflows/{WORKFLOW_ID}/runs").respond(
            200, json={"total_count": 2, "workflow_runs": [failed_run(run_id=RUN_ID + 5), run]}
        )
        live.remediation(incident_id)
    incident, _ = state(live, incident_id)
    assert incident.escalation_reason == "remediation_aborted"


def test_a_fix_deferred_too_often_records_the_remediation_deferred_key(live):
    incident_id = auto_fixed(live)
    for _ in range(5):
        with respx.mock(assert_all_called=False) as respx_mock:
            mock_run(respx_mock, failed_run())
            respx_mock.post(RERUN).respond(429, headers={"Retry-After": "600"})
            live.processor.process(incident_id)
    incident, _ = state(live, incident_id)
    assert incident.status == "escalated"
    assert incident.escalation_reason == "remediation_deferred"


def test_long_retry_after_defers_instead_of_blocking(live):
    incident_id = auto_fixed(live)
    with respx.mock(assert_all_called=False) as respx_mock:
        mock_run(respx_mock, failed_run())
        respx_mock.post(RERUN).respond(429, headers={"Retry-After": "600"})
        live.processor.process(incident_id)
    incident, attempt = state(live, incident_id)
    assert incident.status == "remediating" and incident.claimed_at is None
    assert incident.not_before is not None
    assert attempt.status == "deferred"


def reconcile_runs(live, runs):
    with respx.mock(assert_all_called=False) as respx_mock:
        respx_mock.get(f"{API}/repos/{REPO}/actions/runs").respond(
            200, json={"total_count": len(runs), "workflow_runs": runs}
        )
        return live.new_sweeper().tasks["reconcile"]()


def test_reconciler_ingests_a_failed_run_no_webhook_delivered_once(live):
    live.settings.github.repositories = REPO
    first = reconcile_runs(live, [failed_run(run_id=888)])
    second = reconcile_runs(live, [failed_run(run_id=888)])
    assert len(first["ingested"]) == 1 and second["ingested"] == []
    with live.db.session() as session:
        incidents = session.execute(select(Incident)).scalars().all()
    assert len(incidents) == 1
    assert incidents[0].reconciled is True and incidents[0].run_id == 888


def test_a_repository_name_github_would_not_give_aborts_naming_the_field_without_a_call(live):
    # A row stored before names were checked at ingest: its parameters fail validation.
    [incident_id] = insert(live, analyzed_incident(repo="octo/.", run_id=RUN_ID))
    live.decider(incident_id)
    with respx.mock(assert_all_called=False) as respx_mock:
        route = respx_mock.route().respond(200, json={})
        live.remediation(incident_id)
    incident, attempt = state(live, incident_id)
    assert not route.called
    assert attempt.status == "skipped"
    assert attempt.result["detail"].startswith("invalid parameters: repo")
    assert incident.escalation_reason == "remediation_aborted"
    assert "repo" in incident.decision_reason
