"""The kill switch against the real database: pauses shared through Postgres hold the decisions
of any process, are audited and posted to Slack, and let approvals through."""

import json
import threading

import pytest
from sqlalchemy import func, select

from app.adapters.database.repositories.approvals import ApprovalRepository
from app.adapters.database.tables import (
    AuditEntry,
    AutomationPause,
    Incident,
    NotificationOutbox,
    RemediationAttempt,
)
from app.adapters.external.slack.client import build_slack_client
from app.bootstrap import build_container
from app.core.enums import ActionKind, IncidentSource
from app.domain.audit import AuditEvent
from app.services.notifier import SlackNotifier
from tests.conftest import _truncate, make_settings
from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.incidents import analyzed_incident, insert

APPROVER = "UAPPROVER1"


@pytest.fixture
def fake():
    with FakeSlack() as server:
        yield server


@pytest.fixture
def live(database_url, fake):
    settings = make_settings(
        database_url,
        github_token="ghp_" + "d" * 36,
        dry_run=False,
        slack_approver_ids=APPROVER,
        slack_bot_token=BOT_TOKEN,
        slack_base_url=fake.base_url,
    )
    container = build_container(settings, database_url=database_url)
    yield container
    _truncate(container)
    container.close()


def decide(container, run_id: int, **fields) -> Incident:
    [incident_id] = insert(container, analyzed_incident(repo="org/api", run_id=run_id, **fields))
    container.decider(incident_id)
    with container.db.session() as session:
        incident = session.get(Incident, incident_id)
        session.expunge(incident)
        return incident


def rows(container, stmt) -> list:
    with container.db.session() as session:
        return list(session.execute(stmt).scalars())


def count(container, stmt) -> int:
    with container.db.session() as session:
        return session.execute(stmt).scalar_one()


# --- pausing and resuming -----------------------------------------------------------------
def test_pausing_what_is_already_paused_finds_the_pause_in_force(live):
    first = live.pauses.pause(by=APPROVER, reason="deploy freeze")
    again = live.pauses.pause(by="cli:ops")

    assert (first.changed, again.changed) == (True, False)
    assert again.pause == first.pause
    assert again.pause.paused_by == APPROVER
    assert count(live, select(func.count()).select_from(AutomationPause)) == 1


def test_two_people_pausing_the_same_scope_at_once_make_one_pause(live):
    barrier, changes = threading.Barrier(8), []

    def pause(n: int) -> None:
        barrier.wait()
        changes.append(live.pauses.pause(source=IncidentSource.GITHUB, by=f"cli:person{n}"))

    threads = [threading.Thread(target=pause, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(change.changed for change in changes) == [False] * 7 + [True]
    assert len({change.pause.id for change in changes}) == 1


def test_pauses_of_different_scopes_are_in_force_side_by_side(live):
    live.pauses.pause(by=APPROVER)
    live.pauses.pause(source=IncidentSource.ARGOCD, by=APPROVER)
    live.pauses.pause(action=ActionKind.RESTART_POD, by=APPROVER)
    live.pauses.pause(source=IncidentSource.GITHUB, action=ActionKind.RERUN_NO_CACHE, by=APPROVER)

    scopes = [(p.source, p.action) for p in live.pauses.active()]

    assert scopes == [
        (None, None),
        (IncidentSource.ARGOCD, None),
        (None, ActionKind.RESTART_POD),
        (IncidentSource.GITHUB, ActionKind.RERUN_NO_CACHE),
    ]


def test_a_resume_ends_the_pause_of_exactly_its_scope(live):
    live.pauses.pause(by=APPROVER)
    live.pauses.pause(source=IncidentSource.ARGOCD, by=APPROVER)

    ended = live.pauses.resume(source=IncidentSource.ARGOCD, by="cli:ops")

    assert ended is not None and ended.source is IncidentSource.ARGOCD
    assert [(p.source, p.action) for p in live.pauses.active()] == [(None, None)]
    [row] = rows(live, select(AutomationPause).where(AutomationPause.source == "argocd"))
    assert row.resumed_by == "cli:ops" and row.resumed_at is not None


def test_resuming_a_scope_that_is_not_paused_changes_nothing(live):
    live.pauses.pause(by=APPROVER)

    assert live.pauses.resume(source=IncidentSource.GITHUB, by="cli:ops") is None
    assert len(live.pauses.active()) == 1
    assert count(live, select(func.count()).where(AuditEntry.event == "automation.resumed")) == 0


def test_a_scope_resumed_can_be_paused_again(live):
    live.pauses.pause(by=APPROVER)
    live.pauses.resume(by=APPROVER)

    change = live.pauses.pause(by="cli:ops")

    assert change.changed
    assert count(live, select(func.count()).select_from(AutomationPause)) == 2


def test_a_pause_and_a_resume_are_audited_and_posted_as_messages_of_their_own(live):
    pause = live.pauses.pause(source=IncidentSource.GITHUB, by=APPROVER, reason="freeze").pause
    live.pauses.resume(source=IncidentSource.GITHUB, by="cli:ops")

    audits = rows(live, select(AuditEntry).order_by(AuditEntry.id))
    assert [(a.event, a.incident_id, a.actor) for a in audits] == [
        ("automation.paused", None, APPROVER),
        ("automation.resumed", None, "cli:ops"),
    ]
    assert audits[0].details["pause_id"] == pause.id
    assert audits[0].details["source"] == "github" and audits[0].details["action"] is None
    posts = rows(live, select(NotificationOutbox).order_by(NotificationOutbox.id))
    assert [(p.kind, p.incident_id) for p in posts] == [("channel", None), ("channel", None)]
    assert posts[0].text.startswith(
        "⏸️ Automatic fixes of github incidents paused by <@UAPPROVER1> (freeze)."
    )
    assert posts[1].text.startswith(
        "▶️ Automatic fixes of github incidents resumed by cli:ops (paused by <@UAPPROVER1>)."
    )


def test_the_notifier_posts_a_pause_in_the_channel(live, fake):
    live.pauses.pause(by=APPROVER)
    notifier = SlackNotifier(
        live.db,
        build_slack_client(live.settings.slack),
        channel="#codehealer",
        public_url="https://codehealer.example.com",
    )

    assert notifier.deliver_pending() == {"sent": 1}

    [post] = fake.calls_to("chat.postMessage")
    assert post.body["channel"] == "#codehealer"
    assert post.body["text"].startswith("⏸️ All automatic fixes paused by <@UAPPROVER1>.")
    assert "thread_ts" not in post.body


# --- decisions while paused ---------------------------------------------------------------
def test_a_paused_decision_is_recorded_and_asks_for_approval_naming_the_pause(live):
    pause = live.pauses.pause(by=APPROVER, reason="deploy freeze").pause

    incident = decide(live, 9501)

    assert incident.status == "awaiting_approval"
    assert incident.decision == "needs_approval"
    assert incident.escalation_reason == "automatic_fixes_paused"
    assert incident.decision_reason.startswith(
        "paused: all automatic fixes paused by UAPPROVER1 at "
    )
    assert incident.decision_reason.endswith("UTC (deploy freeze)")
    assert count(live, select(func.count()).select_from(RemediationAttempt)) == 0
    [made] = rows(
        live, select(AuditEntry).where(AuditEntry.event == AuditEvent.DECISION_MADE.value)
    )
    assert made.details["pause"]["id"] == pause.id
    assert made.details["pause"]["paused_by"] == APPROVER


def test_a_pause_of_another_source_or_action_holds_nothing_here(live):
    live.pauses.pause(source=IncidentSource.ARGOCD, by=APPROVER)
    live.pauses.pause(action=ActionKind.RESTART_POD, by=APPROVER)

    incident = decide(live, 9502)

    assert incident.status == "remediating"
    assert incident.decision == "auto_fix"


@pytest.mark.parametrize(
    "scope",
    [
        {"source": IncidentSource.GITHUB},
        {"action": ActionKind.RERUN_FAILED_JOBS},
        {"source": IncidentSource.GITHUB, "action": ActionKind.RERUN_FAILED_JOBS},
    ],
    ids=["source", "action", "source-and-action"],
)
def test_a_pause_of_this_source_or_action_holds_the_fix(live, scope):
    live.pauses.pause(**scope, by=APPROVER)

    assert decide(live, 9503).status == "awaiting_approval"


def test_a_decision_that_asks_a_person_anyway_is_left_as_it_was(live):
    live.pauses.pause(by=APPROVER)

    incident = decide(live, 9504, confidence=0.7)

    assert incident.status == "awaiting_approval"
    assert incident.escalation_reason != "automatic_fixes_paused"


def test_a_fix_a_person_approves_while_paused_still_runs(live):
    live.pauses.pause(by=APPROVER)
    incident = decide(live, 9505)
    with live.db.session() as session:
        nonce = ApprovalRepository(session).pending_for(incident.id).nonce

    result = live.approvals.decide(
        incident_id=incident.id, nonce=nonce, user_id=APPROVER, approve=True, allowed=True
    )

    assert result.outcome.value == "approved"
    [attempt] = rows(live, select(RemediationAttempt))
    assert (attempt.actor, attempt.actor_id) == ("slack", APPROVER)


def test_after_a_resume_the_next_decision_fixes_by_itself(live):
    live.pauses.pause(by=APPROVER)
    held = decide(live, 9506)
    live.pauses.resume(by=APPROVER)

    incident = decide(live, 9507)

    assert held.status == "awaiting_approval"
    assert (incident.status, incident.decision) == ("remediating", "auto_fix")


def test_the_card_of_a_held_incident_says_paused_and_offers_to_resume(live, fake):
    pause = live.pauses.pause(by=APPROVER).pause
    incident = decide(live, 9508)
    notifier = SlackNotifier(
        live.db,
        build_slack_client(live.settings.slack),
        channel="#codehealer",
        public_url="https://codehealer.example.com",
    )

    notifier.deliver_pending()

    [card] = [c for c in fake.calls_to("chat.postMessage") if c.body.get("blocks")]
    blocks = json.dumps(card.body["blocks"], ensure_ascii=False)
    assert "⏸️ *Paused:* All automatic fixes paused by UAPPROVER1" in blocks
    buttons = {
        e["action_id"]: json.loads(e["value"])
        for b in card.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }
    assert buttons["codehealer_resume"] == {"pause_id": pause.id}
    assert buttons["codehealer_approve"]["incident_id"] == incident.id


def test_a_secret_in_a_pause_reason_is_never_stored(live):
    planted = "ghp_" + "Z9y8X7w6V5" * 3 + "u4T3s2"

    pause = live.pauses.pause(by=APPROVER, reason=f"rotating {planted}").pause

    assert pause.reason == "rotating [REDACTED:github_token]"
    with live.db.session() as session:
        stored = [r.reason for r in session.execute(select(AutomationPause)).scalars()]
        posted = [r.text for r in session.execute(select(NotificationOutbox)).scalars()]
    assert planted not in " ".join(stored + posted)
