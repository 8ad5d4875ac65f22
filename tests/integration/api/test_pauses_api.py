"""The kill switch over HTTP: /api/v1/pause, /api/v1/resume and /api/v1/pauses against the real
database."""

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.main import create_app
from tests.support.incidents import analyzed_incident, insert

KEY = "pause-api-test-key-0123456789"
AUTH = {"X-API-Key": KEY}


@pytest.fixture
def http(container):
    container.settings.server.api_key = SecretStr(KEY)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/pauses"), ("post", "/api/v1/pause"), ("post", "/api/v1/resume")],
)
def test_without_the_api_key_every_pause_endpoint_is_401(http, method, path):
    response = getattr(http, method)(path, **({"json": {}} if method == "post" else {}))

    assert response.status_code == 401


def test_a_wrong_api_key_is_401_and_pauses_nothing(http, container):
    response = http.post("/api/v1/pause", json={}, headers={"X-API-Key": "wrong-key-0123456789"})

    assert response.status_code == 401
    assert container.pauses.active() == []


def test_without_api_key_set_pausing_through_the_api_is_refused_and_says_why(client, container):
    response = client.post("/api/v1/pause", json={})

    assert response.status_code == 401
    assert "API_KEY is not set" in response.json()["detail"]
    assert container.pauses.active() == []


def test_a_pause_with_the_key_is_201_and_answers_the_pause(http, container):
    response = http.post(
        "/api/v1/pause",
        json={"source": "github", "reason": "deploy freeze", "by": "ops@example.com"},
        headers=AUTH,
    )

    assert response.status_code == 201
    body = response.json()
    assert body["started"] is True
    pause = body["pause"]
    assert (pause["source"], pause["action"]) == ("github", None)
    assert pause["scope"] == "automatic fixes of github incidents"
    assert (pause["paused_by"], pause["reason"]) == ("ops@example.com", "deploy freeze")
    assert [p.id for p in container.pauses.active()] == [pause["id"]]


def test_pausing_what_is_paused_already_is_200_with_the_pause_in_force(http):
    first = http.post("/api/v1/pause", json={"action": "argocd_sync"}, headers=AUTH).json()

    again = http.post("/api/v1/pause", json={"action": "argocd_sync"}, headers=AUTH)

    assert again.status_code == 200
    assert again.json() == {"pause": first["pause"], "started": False}


def test_the_list_shows_every_pause_in_force_oldest_first(http):
    http.post("/api/v1/pause", json={}, headers=AUTH)
    http.post("/api/v1/pause", json={"source": "kubernetes", "action": "restart_pod"}, headers=AUTH)

    response = http.get("/api/v1/pauses", headers=AUTH)

    assert response.status_code == 200
    assert [(p["source"], p["action"], p["paused_by"]) for p in response.json()["pauses"]] == [
        (None, None, "api"),
        ("kubernetes", "restart_pod", "api"),
    ]


def test_a_resume_with_the_key_ends_that_pause_and_lists_those_left(http, container):
    http.post("/api/v1/pause", json={}, headers=AUTH)
    http.post("/api/v1/pause", json={"source": "github"}, headers=AUTH)

    response = http.post("/api/v1/resume", json={"source": "github"}, headers=AUTH)

    assert response.status_code == 200
    body = response.json()
    assert body["resumed"]["source"] == "github"
    assert [(p["source"], p["action"]) for p in body["pauses"]] == [(None, None)]
    assert [p.source for p in container.pauses.active()] == [None]


def test_resuming_a_scope_that_is_not_paused_is_404_naming_what_is(http):
    http.post("/api/v1/pause", json={"source": "argocd"}, headers=AUTH)

    response = http.post("/api/v1/resume", json={"source": "github"}, headers=AUTH)

    assert response.status_code == 404
    assert response.json()["detail"] == (
        "no pause of automatic fixes of github incidents is in force "
        "(in force: automatic fixes of argocd incidents)"
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"source": "gitlab"}, "source", "'github', 'argocd' or 'kubernetes'"),
        ({"action": "delete_everything"}, "action", "'rerun_failed_jobs'"),
        ({"action": "none"}, "action", "'none' runs nothing"),
        ({"reason": "x" * 501}, "reason", "at most 500 characters"),
        ({"by": "<!channel>"}, "by", "should match pattern"),
        ({"scope": "all"}, "scope", "Extra inputs are not permitted"),
    ],
    ids=["source", "action", "none", "reason", "by", "extra"],
)
def test_an_unknown_source_or_action_is_422_naming_what_is_accepted(
    http, container, body, field, message
):
    response = http.post("/api/v1/pause", json=body, headers=AUTH)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"][-1] == field
    assert message in error["msg"]
    assert container.pauses.active() == []


def test_resume_refuses_an_unknown_action_with_422(http):
    response = http.post("/api/v1/resume", json={"action": "reboot"}, headers=AUTH)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "action"]


def test_a_pause_through_the_api_holds_the_next_decision(http, container):
    http.post("/api/v1/pause", json={"action": "rerun_failed_jobs"}, headers=AUTH)
    [incident_id] = insert(container, analyzed_incident(repo="org/api", run_id=9601))

    container.decider(incident_id)

    detail = http.get(f"/api/v1/incidents/{incident_id}", headers=AUTH).json()
    assert detail["status"] == "awaiting_approval"
    assert detail["escalation_reason"] == "automatic_fixes_paused"
    assert "automatic rerun_failed_jobs paused by api at" in detail["decision_reason"]
