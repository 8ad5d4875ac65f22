"""The dashboard over HTTP (TestClient): access by API_KEY, masking, empty states, valid SVG."""

import base64
import html
import json
import re
import time
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.adapters.database.tables import AuditEntry, Incident, RemediationAttempt, utcnow
from app.api.dashboard import COOKIE, sign_session
from app.core.enums import Environment
from app.domain.audit import AuditEvent
from tests.support.dashboard import dashboard_app
from tests.support.incidents import analyzed_incident, insert

KEY = "dashboard-key-0123456789abcdef"
TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0" + "P" * 16
SVG_BLOCK = re.compile(r"<svg\b.*?</svg>", re.S)
KPI = re.compile(r'data-kpi="(\w+)" data-value="([^"]*)"')


@pytest.fixture
def http(container) -> TestClient:
    return TestClient(dashboard_app(container), raise_server_exceptions=True)


@pytest.fixture
def keyed(container, http) -> TestClient:
    """API_KEY set: the dashboard needs a sign-in."""
    container.settings.server.api_key = SecretStr(KEY)
    return http


def basic(password: str, user: str = "anyone") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def sign_in(client: TestClient, key: str = KEY):
    return client.post(
        "/dashboard/login", data={"api_key": key, "next": "/dashboard"}, follow_redirects=False
    )


def shows_data(page: str) -> bool:
    return "data-kpi=" in page or 'class="incidents"' in page or "<svg" in page


def seed(container, count: int = 2) -> list[int]:
    return insert(
        container,
        *[analyzed_incident(repo=f"octo/repo-{i % 2}", run_id=100 + i) for i in range(count)],
    )


# --- access ---------------------------------------------------------------------------------
def test_without_a_key_in_dev_the_dashboard_is_open_and_says_so(http, container):
    seed(container)
    page = http.get("/dashboard")
    assert page.status_code == 200
    assert "Open dashboard." in page.text
    assert 'data-kpi="incidents_24h"' in page.text


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/incidents/1", "/dashboard?repo=a/b"])
def test_with_a_key_and_no_cookie_every_page_redirects_to_the_login_form(keyed, container, path):
    seed(container)
    answer = keyed.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/dashboard/login?next=%2Fdashboard")
    assert not shows_data(answer.text)


def test_the_login_form_has_an_api_key_field_and_no_data(keyed, container):
    seed(container)
    page = keyed.get("/dashboard/login")
    assert page.status_code == 200
    assert 'name="api_key"' in page.text and 'type="password"' in page.text
    assert not shows_data(page.text)
    assert "Open dashboard." not in page.text


def test_basic_auth_with_a_wrong_key_is_401_without_data(keyed, container):
    seed(container)
    answer = keyed.get("/dashboard", headers=basic("wrong"))
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Basic ")
    assert not shows_data(answer.text)


def test_malformed_basic_auth_is_401(keyed):
    answer = keyed.get("/dashboard", headers={"Authorization": "Basic !!not-base64!!"})
    assert answer.status_code == 401


def test_basic_auth_with_the_key_as_password_shows_the_dashboard(keyed, container):
    seed(container)
    answer = keyed.get("/dashboard", headers=basic(KEY, user="whoever"))
    assert answer.status_code == 200
    assert 'data-kpi="incidents_24h"' in answer.text


def test_signing_in_sets_a_signed_httponly_lax_cookie_that_does_not_hold_the_key(keyed):
    answer = sign_in(keyed)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard"
    header = answer.headers["set-cookie"]
    assert "httponly" in header.lower()
    assert "samesite=lax" in header.lower()
    assert "Path=/dashboard" in header
    value = answer.cookies[COOKIE]
    assert KEY not in value and KEY not in header
    assert re.fullmatch(r"v1\.\d+\.[0-9a-f]{64}", value)


def test_the_session_cookie_opens_the_dashboard(keyed, container):
    seed(container)
    sign_in(keyed)
    page = keyed.get("/dashboard")
    assert page.status_code == 200
    assert 'data-kpi="incidents_24h"' in page.text
    assert 'action="/dashboard/logout"' in page.text


def test_a_wrong_key_in_the_form_shows_the_form_again_with_an_error_and_no_cookie(keyed):
    answer = sign_in(keyed, "not-the-key")
    assert answer.status_code == 401
    assert "That key is not right." in answer.text
    assert 'name="api_key"' in answer.text
    assert COOKIE not in answer.cookies
    assert not shows_data(answer.text)


@pytest.mark.parametrize(
    "forge",
    [
        lambda good: good[:-1] + ("0" if good[-1] != "0" else "1"),  # another signature
        lambda good: "v1.9999999999." + good.split(".")[2],  # a later expiry, old signature
        lambda good: sign_session("another-key", expires_at=int(time.time()) + 3600),
        lambda good: sign_session(KEY, expires_at=int(time.time()) - 1),  # expired
        lambda good: "v1.12.34",
        lambda good: KEY,
    ],
    ids=["signature", "expiry", "other-key", "expired", "garbage", "raw-key"],
)
def test_a_tampered_or_expired_cookie_sends_back_to_the_login_form(keyed, container, forge):
    seed(container)
    good = sign_in(keyed).cookies[COOKIE]
    keyed.cookies.clear()
    keyed.cookies.set(COOKIE, forge(good), path="/dashboard")
    answer = keyed.get("/dashboard", follow_redirects=False)
    assert answer.status_code == 303
    assert not shows_data(answer.text)


def test_signing_out_clears_the_cookie(keyed):
    sign_in(keyed)
    answer = keyed.post("/dashboard/logout", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard/login"
    assert "Max-Age=0" in answer.headers["set-cookie"] or "expires=" in answer.headers["set-cookie"]
    assert keyed.get("/dashboard", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "target", ["https://evil.example/dashboard", "//evil.example/dashboard", "/api/v1/incidents"]
)
def test_after_sign_in_the_redirect_never_leaves_the_dashboard(keyed, target):
    answer = keyed.post(
        "/dashboard/login", data={"api_key": KEY, "next": target}, follow_redirects=False
    )
    assert answer.headers["location"] == "/dashboard"


def test_prod_without_an_api_key_never_shows_data(http, container):
    seed(container)
    container.settings.environment = Environment.PROD
    container.settings.server.api_key = None
    assert http.get("/dashboard", follow_redirects=False).status_code == 303
    assert "locked" in http.get("/dashboard/login").text
    for attempt in ("", "anything"):
        answer = http.post("/dashboard/login", data={"api_key": attempt}, follow_redirects=False)
        assert answer.status_code == 401 and COOKIE not in answer.cookies
        assert not shows_data(answer.text)
        assert http.get("/dashboard", headers=basic(attempt)).status_code == 401


def test_pages_carry_a_strict_content_security_policy_and_no_store(http):
    answer = http.get("/dashboard")
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"


def test_the_stylesheet_is_served_without_a_sign_in(keyed):
    answer = keyed.get("/dashboard/static/dashboard.css")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/css")
    assert "http" not in answer.text  # nothing fetched from elsewhere


# --- content --------------------------------------------------------------------------------
def test_without_incidents_the_page_says_how_to_send_a_test_webhook(http):
    page = http.get("/dashboard").text
    assert "No incidents yet" in page
    assert "scripts/test_webhook.sh" in page
    assert "uv run codehealer send-sample" in page


def test_kpi_tiles_hold_the_values_of_the_metrics_api(http, container):
    seed(container, 3)
    tiles = {k: json.loads(html.unescape(v)) for k, v in KPI.findall(http.get("/dashboard").text)}
    api = http.get("/api/v1/metrics/summary").json()
    assert tiles == {key: api[key] for key in tiles}
    assert set(tiles) == {
        "incidents_24h",
        "incidents_7d",
        "auto_resolution_rate",
        "false_positive_rate",
        "mttr_seconds",
        "pending_approvals",
        "remediations_last_hour",
    }


@pytest.mark.parametrize("with_data", [False, True], ids=["empty", "seeded"])
def test_every_chart_on_the_page_is_valid_svg_with_an_accessible_name(http, container, with_data):
    if with_data:
        seed(container, 4)
    svgs = SVG_BLOCK.findall(http.get("/dashboard").text)
    assert len(svgs) == 5
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.get("aria-label") and root.find("{http://www.w3.org/2000/svg}title") is not None


def test_filters_narrow_the_incident_table(http, container):
    ids = seed(container, 4)
    page = http.get("/dashboard", params={"repo": "octo/repo-1", "source": "github"}).text
    shown = {int(i) for i in re.findall(r'data-incident-id="(\d+)"', page)}
    assert shown == {ids[1], ids[3]}


def test_a_filter_holding_a_nul_character_is_dropped_not_a_database_error(http, container):
    seed(container)
    assert http.get("/dashboard", params={"repo": "octo\x00/repo", "category": "\x00"}).is_success


def test_filters_matching_nothing_say_so(http, container):
    seed(container)
    page = http.get("/dashboard", params={"status": "resolved"}).text
    assert "No incidents match these filters." in page


def test_incident_page_masks_a_token_planted_in_the_excerpt(http, container):
    incident = analyzed_incident(repo="octo/repo", run_id=1)
    incident.excerpt = f"npm ERR! code ECONNRESET\nexport GITHUB_TOKEN={TOKEN}\nusing {TOKEN}"
    incident.title = f"leak {TOKEN}"
    incident.evidence = [f"token {TOKEN}"]
    (incident_id,) = insert(container, incident)
    with container.db.session() as session:
        session.add(
            AuditEntry(
                incident_id=incident_id, event=AuditEvent.PROCESSING_WAITING, details={"log": TOKEN}
            )
        )
    for path in (f"/dashboard/incidents/{incident_id}", "/dashboard"):
        page = http.get(path)
        assert page.status_code == 200
        assert TOKEN not in page.text and TOKEN[:20] not in page.text
    assert "[REDACTED" in http.get(f"/dashboard/incidents/{incident_id}").text


def test_markup_in_incident_text_is_escaped(http, container):
    incident = analyzed_incident(repo="octo/repo", run_id=1)
    incident.title = "<script>alert(1)</script>"
    incident.excerpt = "<img src=x onerror=alert(2)>"
    (incident_id,) = insert(container, incident)
    for path in (f"/dashboard/incidents/{incident_id}", "/dashboard"):
        page = http.get(path).text
        assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in http.get(f"/dashboard/incidents/{incident_id}").text


def test_incident_page_shows_analysis_attempts_and_timeline(http, container):
    (incident_id,) = seed(container, 1)
    with container.db.session() as session:
        session.add(
            RemediationAttempt(
                incident_id=incident_id, action="rerun_failed_jobs", status="verified",
                result={"detail": "re-run requested"},
            )
        )  # fmt: skip
        session.add(
            AuditEntry(incident_id=incident_id, event=AuditEvent.DECISION_MADE, actor="auto")
        )
    page = http.get(f"/dashboard/incidents/{incident_id}").text
    assert "transient_network" in page and "rerun_failed_jobs" in page
    assert "re-run requested" in page and "verified" in page
    assert AuditEvent.DECISION_MADE in page


def test_similar_incidents_link_to_their_pages(http, container):
    first, second = seed(container, 2)
    with container.db.session() as session:
        incident = session.get(Incident, second)
        incident.similar = [{"incident_id": first, "similarity": 0.93, "outcome": "resolved"}]
    page = http.get(f"/dashboard/incidents/{second}").text
    assert f'href="/dashboard/incidents/{first}"' in page
    assert "0.93" in page


@pytest.mark.parametrize("incident_id", ["999999", "abc", "9" * 40, "-1"])
def test_an_unknown_incident_is_a_404_page(http, incident_id):
    answer = http.get(f"/dashboard/incidents/{incident_id}")
    assert answer.status_code == 404
    assert "No such incident" in answer.text


def test_incidents_older_than_the_chart_period_are_not_charted(http, container):
    (incident_id,) = seed(container, 1)
    with container.db.session() as session:
        session.get(Incident, incident_id).created_at = utcnow() - timedelta(days=30)
    page = http.get("/dashboard").text
    assert "No incidents in this period yet" in page
    assert f'data-incident-id="{incident_id}"' in page
