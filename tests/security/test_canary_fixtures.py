"""Canary secrets planted in the string fields of every sender's published payloads (GitHub,
Argo CD, Kubernetes), posted through the real routes, never reach a database row or a read
answer (the incidents API, the metrics summary, the dashboard).

Hypothesis picks the delivery, which fields get a canary (one, some, or every string field),
which secret shape and where in the field it goes; a derandomized run of a modest number of
examples keeps it deterministic and bounded in time.
"""

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.api import dashboard
from app.api.v1 import webhooks
from app.bootstrap import build_container
from app.main import create_app
from tests.conftest import FIXTURES, _truncate, make_settings
from tests.security.test_canaries import database_text
from tests.support.github_deliveries import post_github

K8S_TOKEN = "k8s-canary-route-token"
ARGO_TOKEN = "argocd-canary-route-token"

# (what is planted, the part that must never be seen again). Shapes the masking knows by
# their look, and secrets it only knows by their context (a URL password, a labelled value).
CANARIES: tuple[tuple[str, str], ...] = tuple(
    (planted, planted if secret is None else secret)
    for planted, secret in (
        ("ghp_C4n4ry0123456789abcdefghijklmnopqrst", None),
        ("github_pat_11C4N4RY0_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ", None),
        ("xoxb-1234567890-C4n4ry-abcdefghijklmnop", None),
        ("AKIAC4N4RY0123456789", None),
        ("nvapi-C4n4ryabcdefghijklmnopqrstuvwxyz0123", None),
        ("glpat-C4n4ry0123456789abcd", None),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjNG40cnkifQ.c2lnbmF0dXJlQzRuNHJ5", None),
        ("https://deploy:C4n4ryUrlPa55@git.example/app.git", "C4n4ryUrlPa55"),
        ("Authorization: Bearer C4n4ryBearer0123456789", "C4n4ryBearer0123456789"),
        ("password=C4n4ryPassw0rd", "C4n4ryPassw0rd"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIC4n4ryKeyBody0123\n-----END RSA PRIVATE KEY-----",
            "MIIC4n4ryKeyBody0123",
        ),
    )
)
# A value that only its key marks as a secret.
KEYED_CANARY = "C4n4ryKeyedValue42"
SECRET_KEYS = ("token", "password", "client_secret", "apiKey", "private_key", "Authorization")


def _deliveries() -> list[tuple[str, str]]:
    """(sender, fixture path) for every published payload of the three senders."""
    found = []
    for sender in ("github", "argocd", "kubernetes"):
        for path in sorted((FIXTURES / sender).glob("*.json")):
            found.append((sender, str(path.relative_to(FIXTURES))))
    return found


DELIVERIES = _deliveries()


def string_paths(value: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(value, str):
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in string_paths(item, (*path, key))]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in string_paths(item, (*path, i))]
    return []


def object_paths(value: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        inner = [p for key, item in value.items() for p in object_paths(item, (*path, key))]
        return [path, *inner]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in object_paths(item, (*path, i))]
    return []


def at(value: Any, path: tuple) -> Any:
    for step in path:
        value = value[step]
    return value


def put(value: Any, path: tuple, item: Any) -> None:
    at(value, path[:-1])[path[-1]] = item


@st.composite
def planted_deliveries(draw) -> dict[str, Any]:
    sender, fixture = draw(st.sampled_from(DELIVERIES))
    payload = json.loads((FIXTURES / fixture).read_text())
    paths = string_paths(payload)
    # Mostly a few fields, so that most deliveries still parse and make incidents; sometimes
    # every string field at once.
    how_many = draw(st.sampled_from(["one", "few", "few", "every"]))
    if how_many == "every":
        chosen = paths
    else:
        most = 1 if how_many == "one" else 4
        chosen = draw(st.lists(st.sampled_from(paths), min_size=1, max_size=most, unique=True))
    secrets = set()
    for path in chosen:
        planted, secret = draw(st.sampled_from(CANARIES))
        original = at(payload, path)
        put(
            payload,
            path,
            draw(st.sampled_from([planted, f"{original} {planted}", f"{planted} {original}"])),
        )
        secrets.add(secret)
    if draw(st.booleans()):
        where = draw(st.sampled_from(object_paths(payload)))
        at(payload, where)[draw(st.sampled_from(SECRET_KEYS))] = KEYED_CANARY
        secrets.add(KEYED_CANARY)
    delivery = str(uuid.uuid4())
    if sender == "github" and draw(st.booleans()):
        planted, secret = draw(st.sampled_from(CANARIES[:7]))  # a header value is one line
        delivery = f"{delivery} {planted}"
        secrets.add(secret)
    return {
        "sender": sender,
        "event": Path(fixture).name.split("__")[1],
        "payload": payload,
        "delivery": delivery,
        "secrets": secrets,
    }


@pytest.fixture(scope="module")
def routes(new_database):
    from app.adapters.database.migrate import upgrade

    url = new_database("codehealer_canary")
    upgrade(url)
    container = build_container(
        make_settings(url, k8s_webhook_token=K8S_TOKEN, argocd_webhook_token=ARGO_TOKEN),
        database_url=url,
    )
    app = create_app(container)
    paths = {getattr(route, "path", "") for route in app.routes}
    if "/webhooks/argocd" not in paths:
        app.include_router(webhooks.router)
    if "/dashboard" not in paths:
        app.include_router(dashboard.router)
    with TestClient(app, raise_server_exceptions=False) as http:
        yield container, http
    container.close()


def post(http: TestClient, delivery: dict[str, Any]):
    body = json.dumps(delivery["payload"]).encode()
    if delivery["sender"] == "github":
        return post_github(http, body, event=delivery["event"], delivery=delivery["delivery"])
    token = ARGO_TOKEN if delivery["sender"] == "argocd" else K8S_TOKEN
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return http.post(f"/webhooks/{delivery['sender']}", content=body, headers=headers)


def read_answers(http: TestClient) -> dict[str, str]:
    listed = http.get("/api/v1/incidents", params={"limit": 200})
    answers = {
        "list": listed.text,
        "metrics": http.get("/api/v1/metrics/summary").text,
        "dashboard": http.get("/dashboard").text,
    }
    for item in listed.json()["items"]:
        answers[f"incident {item['id']}"] = http.get(f"/api/v1/incidents/{item['id']}").text
        answers[f"page {item['id']}"] = http.get(f"/dashboard/incidents/{item['id']}").text
    return answers


@settings(
    max_examples=100,
    derandomize=True,  # the same examples on every run
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(delivery=planted_deliveries())
def test_canaries_planted_in_real_payloads_never_reach_the_database_or_a_read_answer(
    routes, delivery
):
    container, http = routes
    _truncate(container)

    response = post(http, delivery)

    assert response.status_code < 500, response.text
    places = {"database": database_text(container), **read_answers(http)}
    leaks = [
        (where, secret)
        for where, content in places.items()
        for secret in delivery["secrets"]
        if secret in content
    ]
    assert leaks == []
