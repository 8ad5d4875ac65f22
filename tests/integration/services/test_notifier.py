"""Slack delivery of the outbox against the real database and a local fake of Slack's Web API."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.adapters.database.tables import Approval, NotificationOutbox, SlackMessage, utcnow
from app.adapters.external.slack.client import build_slack_client
from app.bootstrap import build_container
from app.domain.audit import AuditEvent
from app.services.audit_trail import record_event
from app.services.notifier import SlackNotifier
from tests.conftest import _truncate, make_settings
from tests.support.fake_slack import BOT_TOKEN, CHANNEL_ID, DROP, FakeSlack
from tests.support.incidents import analyzed_incident, insert

PUBLIC_URL = "https://codehealer.example.com"
PLANTED = "ghp_" + "Z9y8X7w6V5" * 3 + "u4T3s2"  # a GitHub token shape: 36 characters


@pytest.fixture
def fake():
    with FakeSlack() as server:
        yield server


@pytest.fixture
def container(database_url, fake):
    settings = make_settings(database_url, slack_bot_token=BOT_TOKEN, slack_base_url=fake.base_url)
    built = build_container(settings, database_url=database_url)
    try:
        yield built
    finally:
        _truncate(built)
        built.close()


@pytest.fixture
def notifier(container):
    return SlackNotifier(
        container.db,
        build_slack_client(container.settings.slack),
        channel="#codehealer",
        public_url=PUBLIC_URL,
    )


def decided(container, *, run_id: int = 9300, evidence: list[str] | None = None) -> int:
    """An incident the decision step sent for approval (which queues its Slack message)."""
    incident = analyzed_incident(repo="org/api", run_id=run_id, confidence=0.7)
    incident.title = "org/api CI failed on main"
    incident.html_url = f"https://github.com/org/api/actions/runs/{run_id}"
    incident.root_cause = "The npm registry reset the connection."
    incident.evidence = evidence or ["npm ERR! code ECONNRESET", "npm ERR! network aborted"]
    incident.confidence_classifier, incident.confidence_similarity = 0.8, 0.6
    incident.confidence_history = 0.7
    [incident_id] = insert(container, incident)
    container.decider(incident_id)
    return incident_id


def outbox(container) -> list[NotificationOutbox]:
    with container.db.session() as session:
        stmt = select(NotificationOutbox).order_by(NotificationOutbox.id)
        return list(session.execute(stmt).scalars())


def nonce_of(container, incident_id: int) -> str:
    with container.db.session() as session:
        stmt = select(Approval).where(Approval.incident_id == incident_id)
        return session.execute(stmt).scalar_one().nonce


def test_a_decided_incident_is_posted_once_with_title_evidence_and_buttons(
    container, notifier, fake
):
    incident_id = decided(container)

    assert notifier.deliver_pending() == {"sent": 1}

    [post] = fake.calls_to("chat.postMessage")
    assert post.body["channel"] == "#codehealer"
    blocks = json.dumps(post.body["blocks"], ensure_ascii=False)
    assert "org/api CI failed on main" in blocks
    assert "npm ERR! code ECONNRESET" in blocks
    assert f"{PUBLIC_URL}/api/v1/incidents/{incident_id}" in blocks
    buttons = {
        e["action_id"]: json.loads(e["value"])
        for b in post.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }
    nonce = nonce_of(container, incident_id)
    expected = {"incident_id": incident_id, "nonce": nonce}
    assert buttons == {"codehealer_approve": expected, "codehealer_reject": expected}
    with container.db.session() as session:
        message = session.execute(select(SlackMessage)).scalar_one()
        approval = session.execute(select(Approval)).scalar_one()
    assert (message.incident_id, message.channel) == (incident_id, CHANNEL_ID)
    assert approval.slack_ts == message.ts
    assert notifier.deliver_pending() == {}


def test_later_events_update_the_message_in_place_and_reply_in_its_thread(
    container, notifier, fake
):
    incident_id = decided(container)
    notifier.deliver_pending()
    [root] = fake.calls_to("chat.postMessage")
    root_ts = "1700000000.000100"
    container.approvals.decide(
        incident_id=incident_id,
        nonce=nonce_of(container, incident_id),
        user_id="UAPPROVER1",
        approve=True,
        allowed=True,
    )
    with container.db.session() as session:
        record_event(
            session,
            AuditEvent.INCIDENT_ESCALATED,
            incident_id=incident_id,
            details={"reason": "runner is gone"},
        )

    counts = notifier.deliver_pending()

    assert counts == {"sent": 4}  # two message rows collapse into one update, two replies
    [edit] = fake.calls_to("chat.update")
    assert (edit.body["channel"], edit.body["ts"]) == (CHANNEL_ID, root_ts)
    assert "codehealer_approve" not in json.dumps(edit.body["blocks"])
    replies = fake.calls_to("chat.postMessage")[1:]
    assert [r.body["thread_ts"] for r in replies] == [root_ts, root_ts]
    assert [r.body["text"] for r in replies] == [
        "Approved by <@UAPPROVER1>.",
        "Escalated: runner is gone",
    ]
    assert root.body.get("thread_ts") is None


def test_a_storm_group_gets_one_message_however_many_members_it_has(container, notifier, fake):
    storm = [
        analyzed_incident(
            repo=f"org/storm-{i}", run_id=8000 + i, signature="registry 503", confidence=0.7
        )
        for i in range(8)
    ]
    for incident_id in insert(container, *storm):
        container.decider(incident_id)

    notifier.deliver_pending()

    [post] = fake.calls_to("chat.postMessage")
    assert "Storm" in post.body["text"]
    assert fake.calls_to("chat.update") == []
    assert {r.status for r in outbox(container)} == {"sent"}
    with container.db.session() as session:
        assert len(session.execute(select(SlackMessage)).scalars().all()) == 1


def test_a_reply_for_an_incident_without_a_message_posts_the_message_first(
    container, notifier, fake
):
    [incident_id] = insert(container, analyzed_incident(repo="org/api", run_id=9400))
    with container.db.session() as session:
        session.add(NotificationOutbox(incident_id=incident_id, kind="reply", text="hello"))

    assert notifier.deliver_pending() == {"sent": 1}

    root, reply = fake.calls_to("chat.postMessage")
    assert "blocks" in root.body and "thread_ts" not in root.body
    assert reply.body["thread_ts"] == "1700000000.000100"
    assert reply.body["text"] == "hello"


def test_while_slack_is_down_rows_stay_pending_and_go_out_once_it_is_back(
    container, notifier, fake
):
    decided(container, run_id=9501)
    decided(container, run_id=9502)
    fake.down()

    first = notifier.deliver_pending()

    assert first == {"failed": 2}
    assert len(fake.calls) == 1  # found down on the first call: the rest of the run waits
    rows = outbox(container)
    assert [(r.status, r.attempts) for r in rows] == [("pending", 1), ("pending", 1)]
    assert all(r.next_attempt_at > utcnow() + timedelta(seconds=20) for r in rows)
    assert "503" in rows[0].last_error
    assert notifier.deliver_pending() == {}  # not due yet

    fake.down(DROP)
    notifier.deliver_pending(now=utcnow() + timedelta(minutes=5))
    assert [r.attempts for r in outbox(container)] == [2, 2]

    fake.up()
    later = notifier.deliver_pending(now=utcnow() + timedelta(hours=2))

    assert later == {"sent": 2}
    assert [r.status for r in outbox(container)] == ["sent", "sent"]
    assert len(fake.calls_to("chat.postMessage")) == 4  # 1 + 1 refused, then 2 delivered


def test_a_row_is_given_up_after_ten_failed_attempts(container, notifier, fake):
    decided(container)
    with container.db.session() as session:
        session.execute(update(NotificationOutbox).values(attempts=9))
    fake.down()

    assert notifier.deliver_pending() == {"gave_up": 1}
    assert outbox(container)[0].status == "failed"


def test_a_planted_secret_never_reaches_slack(container, notifier, fake):
    incident_id = decided(container, evidence=[f"fatal: token {PLANTED} rejected", "exit 128"])
    with container.db.session() as session:
        session.execute(
            update(NotificationOutbox).values(text=f"leaked {PLANTED}")  # and in a reply
        )
        record_event(
            session,
            AuditEvent.INCIDENT_ESCALATED,
            incident_id=incident_id,
            details={"reason": f"see {PLANTED}"},
        )

    notifier.deliver_pending()

    sent = fake.everything_sent()
    assert fake.calls_to("chat.postMessage")
    assert "exit 128" in sent
    assert PLANTED not in sent
    assert PLANTED[:20] not in sent


def test_without_a_bot_token_pending_rows_are_skipped(container, fake):
    decided(container)
    silent = SlackNotifier(container.db, None, channel="#codehealer", public_url=PUBLIC_URL)

    assert silent.deliver_pending() == {"skipped": 1}
    assert [r.status for r in outbox(container)] == ["skipped"]
    assert fake.calls == []


def runbook_urls(blocks: list[dict]) -> list[str]:
    return [
        b["accessory"]["url"]
        for b in blocks
        if b.get("accessory", {}).get("action_id") == "codehealer_runbook"
    ]


def test_an_escalated_incident_message_links_the_runbook_of_its_reason(container, fake):
    incident = analyzed_incident(
        repo="org/api", run_id=9400, fixability="manual", action="none", category="compile_error"
    )
    [incident_id] = insert(container, incident)
    container.decider(incident_id)

    assert container.notifier.deliver_pending() == {"sent": 1}

    [post] = fake.calls_to("chat.postMessage")
    base = container.settings.dashboard.public_url.rstrip("/")
    assert runbook_urls(post.body["blocks"]) == [
        f"{base}/dashboard/runbooks/needs_code_change.md"
    ]


def test_an_answer_after_expiry_turns_the_buttons_into_the_expired_approval_runbook(
    container, fake
):
    incident_id = decided(container)
    container.notifier.deliver_pending()
    with container.db.session() as session:
        session.execute(
            update(Approval)
            .where(Approval.incident_id == incident_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    result = container.approvals.decide(
        incident_id=incident_id,
        nonce=nonce_of(container, incident_id),
        user_id="UAPPROVER1",
        approve=True,
        allowed=True,
    )
    assert result.outcome == "expired"

    container.notifier.deliver_pending()

    [edit] = fake.calls_to("chat.update")
    assert "codehealer_approve" not in json.dumps(edit.body["blocks"])
    [url] = runbook_urls(edit.body["blocks"])
    assert url.endswith("/approval_expired.md")
    reply = fake.calls_to("chat.postMessage")[-1]
    assert reply.body["text"] == "<@UAPPROVER1> answered after the request expired: nothing ran."
