"""50 concurrent posts of one delivery → exactly one delivery row and one incident."""

import threading

import httpx
import uvicorn
from sqlalchemy import func, select

from app.adapters.database.tables import Incident, WebhookDelivery
from app.main import create_app
from tests.conftest import fixture_bytes
from tests.support.github_deliveries import post_github


def serve_in_thread(app) -> tuple[uvicorn.Server, threading.Thread, str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}"


def test_fifty_concurrent_posts_of_one_delivery_store_one_row_and_one_incident(container):
    body = fixture_bytes("github/derived__workflow_run__completed.failure.payload.json")
    server, thread, base = serve_in_thread(create_app(container))
    barrier = threading.Barrier(50)
    answers: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            barrier.wait()
            answers.append(post_github(http, body, delivery="the-same-delivery"))

    try:
        senders = [threading.Thread(target=send) for _ in range(50)]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
    finally:
        server.should_exit = True
        thread.join(timeout=10)

    assert len(answers) == 50
    assert sorted({a.status_code for a in answers}) in ([200, 202], [202])
    assert sum(a.status_code == 202 for a in answers) == 1
    assert len({a.json()["incident_id"] for a in answers}) == 1
    with container.db.session() as session:
        assert session.execute(select(func.count()).select_from(WebhookDelivery)).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(Incident)).scalar_one() == 1
