"""GitHub that never answers: every call ends within its deadline, the incidents that need
GitHub wait for a later retry (not escalated), the workers are free, and once GitHub answers
again the waiting incidents are analyzed. An incident that waited the limit escalates."""

import json
import socket
import threading
import time
import uuid
from datetime import timedelta

import pytest
import respx
from sqlalchemy import select, update

from app.adapters.database.tables import Incident, RemediationAttempt, utcnow
from app.bootstrap import build_container
from app.core.enums import IncidentStatus
from tests.conftest import FIXTURES, _truncate, make_settings
from tests.support.github_api import (
    JOB_ID,
    LOG_HOST,
    REPO,
    WORKFLOW_ID,
    attempt_jobs,
    run_webhook,
)
from tests.support.incidents import analyzed_incident, insert
from tests.support.ingest import github_delivery

NETWORK_LOG = (FIXTURES / "ci_logs" / "040_npm_econnreset_actions.log").read_text()


@pytest.fixture
def silent_server():
    """Accepts TCP connections on loopback and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    listener.close()


@pytest.fixture
def hung_github(database_url, silent_server):
    """A container whose GitHub accepts connections and never answers (short timeouts)."""
    settings = make_settings(
        database_url,
        github_token="ghp_" + "g" * 36,
        dry_run=True,
        github_api_url=silent_server,
        github_timeout_seconds=0.3,
        github_max_retries=2,
    )
    container = build_container(settings, database_url=database_url)
    yield container
    _truncate(container)
    container.close()


def received_failures(container, count: int) -> list[int]:
    ids = []
    for i in range(count):
        payload = json.loads(run_webhook(run_id=61_000 + i))
        [outcome] = container.ingest.receive(github_delivery(payload, delivery_id=str(uuid.uuid4())))
        ids.append(outcome.incident_id)
    return ids


def incidents(container, ids: list[int]) -> list[Incident]:
    with container.db.session() as session:
        rows = session.execute(select(Incident).where(Incident.id.in_(ids)).order_by(Incident.id))
        return list(rows.scalars())


def time_passes(container, ids: list[int], *, seconds: float) -> None:
    """Moves the clocks that decide when waiting incidents are tried again: their retry
    time in the database, and the circuit breaker's reset time."""
    with container.db.session() as session:
        session.execute(
            update(Incident)
            .where(Incident.id.in_(ids))
            .values(not_before=utcnow() - timedelta(seconds=1))
        )
    container.github.breaker.clock = lambda: time.monotonic() + seconds


def github_answers(respx_mock, base: str, run_ids: list[int]) -> None:
    for run_id in run_ids:
        respx_mock.get(f"{base}/repos/{REPO}/actions/runs/{run_id}/attempts/1/jobs").respond(
            200, json=attempt_jobs()
        )
    respx_mock.get(f"{base}/repos/{REPO}/actions/jobs/{JOB_ID}/logs").respond(
        302, headers={"Location": f"{LOG_HOST}/logs/{JOB_ID}?sig=abc"}
    )
    respx_mock.get(f"{LOG_HOST}/logs/{JOB_ID}").respond(200, text=NETWORK_LOG)
    # The workflow's last successful run, which the failure is compared with: none yet.
    respx_mock.get(f"{base}/repos/{REPO}/actions/workflows/{WORKFLOW_ID}/runs").respond(
        200, json={"total_count": 0, "workflow_runs": []}
    )


def test_read_timeouts_put_the_incident_back_to_wait_within_a_bound(database_url, silent_server):
    # Until now a GitHub that did not answer escalated the incident at once; it now waits
    # for a later retry instead, and escalates only after the wait limit (next tests).
    settings = make_settings(
        database_url,
        github_token="ghp_" + "g" * 36,
        dry_run=False,
        github_api_url=silent_server,
        github_timeout_seconds=0.3,
        github_max_retries=2,
    )
    container = build_container(settings, database_url=database_url)
    try:
        [incident_id] = insert(container, analyzed_incident(repo="org/r", run_id=77))
        started = time.monotonic()
        container.processor.process(incident_id)
        elapsed = time.monotonic() - started
        with container.db.session() as session:
            incident = session.get(Incident, incident_id)
            attempt = session.execute(select(RemediationAttempt)).scalar_one()
        assert incident.status == IncidentStatus.REMEDIATING  # decided, not escalated
        assert incident.claimed_at is None and incident.not_before > utcnow()
        assert "ReadTimeout" in incident.last_error
        assert incident.details["waiting_on"]["service"] == "GitHub"
        assert attempt.status == "planned"  # nothing was sent; the retry pre-validates again
        assert elapsed < 20  # two tries of 0.3 s plus backoff: the worker is not parked
    finally:
        _truncate(container)
        container.close()


def test_hung_github_parks_every_incident_frees_the_worker_and_analysis_resumes_when_it_answers(
    hung_github, silent_server
):
    ids = received_failures(hung_github, 8)

    started = time.monotonic()
    processed = hung_github.new_worker().drain()
    elapsed = time.monotonic() - started

    assert processed == 8
    assert elapsed < 30  # bounded tries, then the open circuit refuses without waiting
    waiting = incidents(hung_github, ids)
    assert {i.status for i in waiting} == {IncidentStatus.RECEIVED}
    assert all(i.not_before > utcnow() for i in waiting)
    assert all(i.details["waiting_on"]["service"] == "GitHub" for i in waiting)
    assert any("circuit is open" in i.last_error for i in waiting)
    assert hung_github.new_worker().drain() == 0  # nobody retries before their time

    time_passes(hung_github, ids, seconds=120)
    run_ids = [i.run_id for i in waiting]
    with respx.mock(assert_all_called=False) as respx_mock:
        github_answers(respx_mock, silent_server, run_ids)
        assert hung_github.new_worker().drain() == 8

    analyzed = incidents(hung_github, ids)
    assert all(i.category == "transient_network" for i in analyzed)
    assert all(i.decision is not None for i in analyzed)
    assert not any(i.status == IncidentStatus.ESCALATED for i in analyzed)
    assert all(i.processing_attempts == 1 for i in analyzed)  # waiting cost no tries


def test_an_incident_that_waited_the_limit_for_github_escalates_saying_so(hung_github):
    [incident_id] = received_failures(hung_github, 1)
    assert hung_github.new_worker().drain() == 1
    with hung_github.db.session() as session:  # it has been waiting since 2 h 10 min ago
        incident = session.get(Incident, incident_id)
        record = {**incident.details["waiting_on"]}
        record["since"] = (utcnow() - timedelta(hours=2, minutes=10)).isoformat()
        incident.details = {**incident.details, "waiting_on": record}
        incident.not_before = utcnow() - timedelta(seconds=1)

    assert hung_github.new_worker().drain() == 1

    [incident] = incidents(hung_github, [incident_id])
    assert incident.status == IncidentStatus.ESCALATED
    assert incident.decision_reason.startswith("GitHub unreachable for 2 h 10 min")
    assert incident.escalation_reason == "integration_unavailable"


def test_one_incident_cannot_hold_a_worker_past_its_time_budget(database_url, silent_server):
    settings = make_settings(
        database_url,
        github_token="ghp_" + "g" * 36,
        dry_run=True,
        github_api_url=silent_server,
        github_timeout_seconds=30,  # each read alone could take longer than the budget
        worker_incident_deadline_seconds=1,
    )
    container = build_container(settings, database_url=database_url)
    try:
        [incident_id] = received_failures(container, 1)
        started = time.monotonic()
        assert container.new_worker().drain() == 1
        assert time.monotonic() - started < 5
        [incident] = incidents(container, [incident_id])
        assert incident.status == IncidentStatus.RECEIVED and incident.not_before > utcnow()
    finally:
        _truncate(container)
        container.close()
