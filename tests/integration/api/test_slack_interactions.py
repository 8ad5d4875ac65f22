"""POST /slack/interactions against the real database and a local fake of Slack's Web API.

Payloads follow Slack's documented ``block_actions`` shape
(https://api.slack.com/reference/interaction-payloads/block-actions).
"""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app.adapters.database.repositories.approvals import ApprovalRepository
from app.adapters.database.tables import (
    Approval,
    AuditEntry,
    Feedback,
    Incident,
    RemediationAttempt,
    utcnow,
)
from app.api.v1 import slack
from app.bootstrap import build_container
from app.domain.audit import AuditEvent
from app.main import create_app
from tests.conftest import _truncate, make_settings
from tests.support.fake_slack import BOT_TOKEN, CHANNEL_ID, FakeSlack
from tests.support.incidents import analyzed_incident, insert

SIGNING_SECRET = "test-slack-signing-secret"
APPROVERS = ("UAPPROVER1", "UAPPROVER2")
GROUP, GROUP_MEMBER = "S0APPROVERS", "UGROUPMEMBER"


@pytest.fixture
def fake():
    with FakeSlack(groups={GROUP: [GROUP_MEMBER]}) as server:
        yield server


@pytest.fixture
def env(database_url, fake):
    settings = make_settings(
        database_url,
        slack_signing_secret=SIGNING_SECRET,
        slack_bot_token=BOT_TOKEN,
        slack_base_url=fake.base_url,
        slack_approver_ids=",".join(APPROVERS),
        slack_approver_group=GROUP,
    )
    container = build_container(settings, database_url=database_url)
    app = create_app(container)
    if not any(getattr(r, "path", "") == "/slack/interactions" for r in app.routes):
        app.include_router(slack.router)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield container, client
    finally:
        _truncate(container)
        container.close()


def awaiting_approval(container, run_id: int = 9100) -> tuple[int, str]:
    """An incident the decision step left waiting for a person, and its approval nonce."""
    [incident_id] = insert(
        container, analyzed_incident(repo="org/api", run_id=run_id, confidence=0.7)
    )
    container.decider(incident_id)
    with container.db.session() as session:
        assert session.get(Incident, incident_id).status == "awaiting_approval"
        return incident_id, ApprovalRepository(session).pending_for(incident_id).nonce


def block_actions(user: str, action_id: str, value: str) -> dict:
    return {
        "type": "block_actions",
        "user": {
            "id": user,
            "username": "roadrunner",
            "name": "roadrunner",
            "team_id": "T9TK3CUKW",
        },
        "api_app_id": "AABA1ABCD",
        "token": "9s8d9as89d8as9d8as989",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": CHANNEL_ID,
            "is_ephemeral": False,
        },
        "trigger_id": "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
        "team": {"id": "T9TK3CUKW", "domain": "example"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": CHANNEL_ID, "name": "codehealer"},
        "message": {"type": "message", "ts": "1700000000.000100", "text": "incident"},
        "state": {"values": {}},
        "response_url": "https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209",
        "actions": [
            {
                "action_id": action_id,
                "block_id": "codehealer_actions",
                "text": {"type": "plain_text", "text": "Approve", "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": "1548426417.840180",
            }
        ],
    }


def click(client, payload: dict | str, *, headers: dict | None = None, secret=SIGNING_SECRET):
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    body = urlencode({"payload": raw}).encode()
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256)
    sent = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
        **(headers or {}),
    }
    return client.post("/slack/interactions", content=body, headers=sent)


def approve(client, user: str, incident_id: int, nonce: str, **kwargs):
    value = json.dumps({"incident_id": incident_id, "nonce": nonce})
    return click(client, block_actions(user, "codehealer_approve", value), **kwargs)


def count(container, stmt) -> int:
    with container.db.session() as session:
        return session.execute(stmt).scalar_one()


def attempts(container) -> int:
    return count(container, select(func.count()).select_from(RemediationAttempt))


def audits(container, event: str) -> int:
    return count(container, select(func.count()).where(AuditEntry.event == event))


def ephemerals(fake) -> list[tuple[str, str]]:
    return [(c.body["user"], c.body["text"]) for c in fake.calls_to("chat.postEphemeral")]


def test_two_approvers_clicking_at_once_plan_exactly_one_execution(env, fake):
    container, client = env
    incident_id, nonce = awaiting_approval(container)
    barrier = threading.Barrier(len(APPROVERS))
    answers = []

    def press(user: str) -> None:
        barrier.wait()
        answers.append(approve(client, user, incident_id, nonce).status_code)

    threads = [threading.Thread(target=press, args=(user,)) for user in APPROVERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [200, 200]
    assert attempts(container) == 1
    assert audits(container, AuditEvent.APPROVAL_APPROVED) == 1
    texts = sorted(text for _, text in ephemerals(fake))
    assert len(texts) == 2
    assert texts[0].startswith("Already handled by <@UAPPROVER")
    assert texts[1].startswith("Approved by <@UAPPROVER")


def test_an_unlisted_user_is_refused_audited_and_told(env, fake):
    container, client = env
    incident_id, nonce = awaiting_approval(container)

    response = approve(client, "UOUTSIDER", incident_id, nonce)

    assert response.status_code == 200
    assert attempts(container) == 0
    assert audits(container, AuditEvent.APPROVAL_REFUSED) == 1
    assert [u for u, _ in ephemerals(fake)] == ["UOUTSIDER"]
    assert "not allowed" in ephemerals(fake)[0][1]
    with container.db.session() as session:
        assert session.get(Incident, incident_id).status == "awaiting_approval"


def test_a_member_of_the_approver_group_may_approve(env, fake):
    container, client = env
    incident_id, nonce = awaiting_approval(container)

    approve(client, GROUP_MEMBER, incident_id, nonce)

    assert [c.body["usergroup"] for c in fake.calls_to("usergroups.users.list")] == [GROUP]
    assert attempts(container) == 1
    assert ephemerals(fake)[0][1].startswith(f"Approved by <@{GROUP_MEMBER}>")


def test_a_click_after_the_ttl_says_expired_and_plans_nothing(env, fake):
    container, client = env
    incident_id, nonce = awaiting_approval(container)
    with container.db.session() as session:
        session.execute(
            update(Approval)
            .where(Approval.nonce == nonce)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )

    approve(client, APPROVERS[0], incident_id, nonce)

    assert attempts(container) == 0
    assert "expired — re-analyze" in ephemerals(fake)[0][1]
    assert audits(container, AuditEvent.APPROVAL_APPROVED) == 0


def test_a_slack_retry_of_an_approved_click_does_nothing_new(env, fake):
    container, client = env
    incident_id, nonce = awaiting_approval(container)
    approve(client, APPROVERS[0], incident_id, nonce)

    retry = approve(
        client,
        APPROVERS[0],
        incident_id,
        nonce,
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )

    assert retry.status_code == 200
    assert attempts(container) == 1
    assert audits(container, AuditEvent.APPROVAL_APPROVED) == 1
    assert len(ephemerals(fake)) == 1


def test_reject_escalates_the_incident(env, fake):
    container, client = env
    incident_id, nonce = awaiting_approval(container)
    value = json.dumps({"incident_id": incident_id, "nonce": nonce})

    click(client, block_actions(APPROVERS[1], "codehealer_reject", value))

    with container.db.session() as session:
        incident = session.get(Incident, incident_id)
    assert incident.status == "escalated"
    assert "rejected by UAPPROVER2" in incident.decision_reason
    assert incident.escalation_reason == "fix_rejected"
    assert attempts(container) == 0
    assert ephemerals(fake)[0][1].startswith("Rejected by <@UAPPROVER2>")


def test_feedback_buttons_keep_one_row_per_user(env, fake):
    container, client = env
    [incident_id] = insert(container, analyzed_incident(repo="org/api", run_id=9200))
    value = json.dumps({"incident_id": incident_id})

    for user, action in (
        ("UFEEDBACK1", "codehealer_feedback_up"),
        ("UFEEDBACK1", "codehealer_feedback_down"),
        ("UFEEDBACK2", "codehealer_feedback_up"),
    ):
        assert click(client, block_actions(user, action, value)).status_code == 200

    with container.db.session() as session:
        rows = session.execute(select(Feedback).order_by(Feedback.user_id)).scalars().all()
    assert [(r.user_id, r.value) for r in rows] == [("UFEEDBACK1", -1), ("UFEEDBACK2", 1)]
    assert audits(container, AuditEvent.FEEDBACK_RECORDED) == 3
    assert len(ephemerals(fake)) == 3


def test_a_wrongly_signed_click_changes_nothing(env, fake):
    container, client = env
    incident_id, nonce = awaiting_approval(container)

    response = approve(client, APPROVERS[0], incident_id, nonce, secret="not-the-secret")

    assert response.status_code == 401
    assert attempts(container) == 0
    assert (
        audits(container, AuditEvent.APPROVAL_APPROVED)
        + audits(container, AuditEvent.APPROVAL_REFUSED)
        == 0
    )
    assert fake.calls == []


def test_a_click_on_an_unknown_incident_is_answered_without_changes(env, fake):
    container, client = env
    value = json.dumps({"incident_id": 987654, "nonce": "nope"})

    response = click(client, block_actions("UOUTSIDER", "codehealer_approve", value))

    assert response.status_code == 200
    assert audits(container, AuditEvent.APPROVAL_REFUSED) == 0
    assert "does not exist" in ephemerals(fake)[0][1]


def test_a_click_on_the_runbook_link_button_is_acknowledged_and_changes_nothing(env, fake):
    container, client = env
    payload = block_actions(APPROVERS[0], "codehealer_runbook", None)
    del payload["actions"][0]["value"]  # a link button carries a url, not a value
    payload["actions"][0]["url"] = "https://codehealer.example.com/dashboard/runbooks/storm.md"

    response = click(client, payload)

    assert response.status_code == 200
    assert fake.calls == []
    assert audits(container, AuditEvent.APPROVAL_APPROVED) == 0


def test_unknown_payload_types_are_ignored(env, fake):
    _, client = env
    response = click(client, {"type": "view_closed", "user": {"id": "U1"}})
    assert response.status_code == 200
    assert fake.calls == []


@pytest.mark.parametrize(
    "payload",
    [
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"user": {"id": "UAPPROVER1"}}),
        json.dumps({**block_actions("UAPPROVER1", "codehealer_approve", "x"), "user": None}),
        json.dumps(block_actions("UAPPROVER1", "codehealer_approve", "not json")),
        json.dumps(block_actions("UAPPROVER1", "codehealer_approve", '{"incident_id": 1}')),
        json.dumps(block_actions("UAPPROVER1", "codehealer_feedback_up", '{"incident_id": 1e40}')),
        json.dumps({**block_actions("UAPPROVER1", "codehealer_approve", "x"), "actions": []}),
    ],
    ids=[
        "bad-json",
        "not-an-object",
        "no-type",
        "no-user",
        "value-not-json",
        "value-without-nonce",
        "id-out-of-range",
        "no-actions",
    ],
)
def test_malformed_payloads_are_400_not_500(env, fake, payload):
    container, client = env
    response = click(client, payload)
    assert response.status_code == 400
    assert fake.calls == []
    assert count(container, select(func.count()).select_from(AuditEntry)) == 0
