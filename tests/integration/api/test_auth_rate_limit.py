"""Failed key checks per client address: X-API-Key, the dashboard sign-in form and HTTP Basic
share one limit; past it every key check, right or wrong, is a 429 with Retry-After."""

import base64

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.main import create_app

KEY = "rate-limit-test-key-0123456789"
WRONG = "not-the-key-0123456789abcdef"
OTHER_ADDRESS = ("203.0.113.9", 40000)


@pytest.fixture
def app(container):
    container.settings.server.api_key = SecretStr(KEY)
    return create_app(container)


@pytest.fixture
def http(app):
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def limit(container) -> int:
    return container.settings.server.auth_failure_limit


def api(http: TestClient, key: str | None):
    return http.get("/api/v1/incidents", headers={} if key is None else {"X-API-Key": key})


def sign_in(http: TestClient, key: str):
    return http.post(
        "/dashboard/login", data={"api_key": key, "next": "/dashboard"}, follow_redirects=False
    )


def basic(http: TestClient, password: str):
    token = base64.b64encode(f"ops:{password}".encode()).decode()
    return http.get("/dashboard", headers={"Authorization": f"Basic {token}"})


def assert_limited(response) -> None:
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 300


def test_past_the_limit_even_the_right_api_key_is_refused(http, limit):
    assert [api(http, WRONG).status_code for _ in range(limit)] == [401] * limit
    refused = api(http, KEY)
    assert_limited(refused)
    assert refused.json()["error"] == "TooManyAttemptsError"


def test_past_the_limit_the_sign_in_form_sets_no_cookie(http, limit):
    assert {sign_in(http, WRONG).status_code for _ in range(limit)} == {401}
    refused = sign_in(http, KEY)
    assert_limited(refused)
    assert "set-cookie" not in refused.headers
    assert "Too many wrong keys" in refused.text


def test_past_the_limit_basic_auth_is_refused(http, limit):
    assert {basic(http, WRONG).status_code for _ in range(limit)} == {401}
    assert_limited(basic(http, KEY))


def test_the_three_ways_in_share_one_limit(http, limit):
    for attempt in range(limit):
        (api, sign_in, basic)[attempt % 3](http, WRONG)
    assert_limited(api(http, KEY))
    assert_limited(sign_in(http, KEY))
    assert_limited(basic(http, KEY))


def test_another_address_is_not_limited(app, http, limit):
    for _ in range(limit):
        api(http, WRONG)
    with TestClient(app, client=OTHER_ADDRESS) as elsewhere:
        assert api(elsewhere, KEY).status_code == 200


def test_requests_without_a_key_do_not_count(http, limit):
    for _ in range(limit * 2):
        assert api(http, None).status_code == 401
    assert api(http, KEY).status_code == 200


def test_the_429_is_documented_with_its_retry_after_header(app):
    for path in ("/api/v1/incidents", "/api/v1/metrics/summary"):
        answer = app.openapi()["paths"][path]["get"]["responses"]["429"]
        assert "Retry-After" in answer["headers"]
