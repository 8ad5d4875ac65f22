"""The incident page links the runbook of why a person is needed; the dashboard serves them."""

import html
import re
from datetime import timedelta

from pydantic import SecretStr

from app.adapters.database.tables import Approval, utcnow
from tests.support.incidents import analyzed_incident, insert

RUNBOOK_LINK = re.compile(r'<p class="runbook-callout" id="runbook">.*?<a href="([^"]+)">Runbook</a>', re.S)


def escalated(container, *, key: str | None, status: str = "escalated") -> int:
    incident = analyzed_incident(repo="octo/api", run_id=700)
    incident.status = status
    incident.decision = "escalate"
    incident.escalation_reason = key
    [incident_id] = insert(container, incident)
    return incident_id


def runbook_href(page: str) -> str | None:
    match = RUNBOOK_LINK.search(page)
    return html.unescape(match.group(1)) if match else None


def test_an_escalated_incident_page_links_the_dashboards_runbook_of_its_reason(client, container):
    incident_id = escalated(container, key="log_access_denied")

    page = client.get(f"/dashboard/incidents/{incident_id}").text

    assert runbook_href(page) == "/dashboard/runbooks/log_access_denied.md"
    assert "Logs refused: credentials missing or wrong" in page


def test_with_runbook_base_url_the_incident_page_links_there(client, container):
    container.settings.dashboard.runbook_base_url = "https://git.example.com/ops/codehealer/docs/runbooks/"
    incident_id = escalated(container, key="storm")

    page = client.get(f"/dashboard/incidents/{incident_id}").text

    assert runbook_href(page) == "https://git.example.com/ops/codehealer/docs/runbooks/storm.md"


def test_an_incident_that_needs_nobody_has_no_runbook_link(client, container):
    incident_id = escalated(container, key=None, status="resolved")

    page = client.get(f"/dashboard/incidents/{incident_id}").text

    assert page.count("Needs a person") == 0 and runbook_href(page) is None


def test_an_expired_approval_links_the_approval_expired_runbook(client, container):
    incident_id = escalated(container, key=None, status="awaiting_approval")
    with container.db.session() as session:
        now = utcnow()
        session.add(
            Approval(
                incident_id=incident_id,
                nonce="expired-nonce",
                status="pending",
                requested_at=now - timedelta(hours=1),
                expires_at=now - timedelta(minutes=30),
            )
        )

    page = client.get(f"/dashboard/incidents/{incident_id}").text

    assert runbook_href(page) == "/dashboard/runbooks/approval_expired.md"


def test_the_linked_runbook_page_is_served_with_its_text(client):
    response = client.get("/dashboard/runbooks/log_access_denied.md")

    assert response.status_code == 200
    assert "## What to do" in response.text
    assert "GITHUB_TOKEN" in response.text


def test_the_runbook_index_lists_every_page(client):
    page = client.get("/dashboard/runbooks").text

    assert 'href="/dashboard/runbooks/storm.md"' in page
    assert 'href="/dashboard/runbooks/alarm_dlq_messages.md"' in page


def test_a_name_that_is_not_a_runbook_page_is_a_404_page(client):
    for name in ("Storm.md", "storm.txt", "no_such_reason.md", ".md"):
        response = client.get(f"/dashboard/runbooks/{name}")
        assert response.status_code == 404, name
        assert "No such runbook" in response.text


def test_a_path_outside_the_runbook_folder_is_never_served(client):
    for name in ("..%2F..%2FREADME.md", "..%2Fguides%2Fdeploy-aws.md", "%2Fetc%2Fpasswd"):
        response = client.get(f"/dashboard/runbooks/{name}")
        assert response.status_code == 404, name
        assert "CodeHealer" not in response.text and "root:" not in response.text


def test_runbooks_need_the_same_sign_in_as_the_dashboard(client, container):
    container.settings.server.api_key = SecretStr("runbook-key-0123456789abcdef")

    response = client.get("/dashboard/runbooks/storm.md", follow_redirects=False)

    assert response.status_code == 303
    assert "/dashboard/login" in response.headers["location"]
