"""GitHub that never answers: bounded retries, then escalation; the worker is free again."""

import socket
import threading
import time

import pytest

from app.adapters.database.tables import Incident
from app.bootstrap import build_container
from tests.conftest import _truncate, make_settings
from tests.support.incidents import analyzed_incident, insert


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


def test_read_timeouts_end_in_escalation_within_a_bound(database_url, silent_server):
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
        assert incident.status == "escalated"
        assert "ReadTimeout" in incident.decision_reason
        assert elapsed < 20  # two tries of 0.3 s plus backoff: the worker is not parked
    finally:
        _truncate(container)
        container.close()
