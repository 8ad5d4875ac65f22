"""A storm group answered in Slack: approving it re-runs each grouped failure within the blast
radius, rejecting it closes them all. Real database, the click through POST /slack/interactions
against the fake Slack, GitHub's REST API mocked with respx in its documented shapes."""

import json

import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.adapters.database.repositories.approvals import ApprovalRepository
from app.adapters.database.tables import AuditEntry, Incident, RemediationAttempt
from app.api.v1 import slack
from app.bootstrap import build_container
from app.domain.audit import AuditEvent
from app.main import create_app
from tests.conftest import _truncate, make_settings
from tests.integration.api.test_slack_interactions import block_actions, click
from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.github_api import API, WORKFLOW_ID, failed_run
from tests.support.incidents import analyzed_incident, insert

SIGNING_SECRET = "test-slack-signing-secret"
APPROVER = "UAPPROVER1"
MEMBERS = 6
BUDGET = 5  # MAX_FIXES_PER_HOUR: the sixth grouped failure is over it
FIRST_RUN = 7100
PASSED_SINCE = 2  # this member's run passed on its own before the click: nothing to re-run


class RecordingQueue:
    def __init__(self) -> None:
        self.ids: list[int] = []

    def enqueue(self, incident_id: int) -> None:
        self.ids.append(incident_id)


@pytest.fixture
def fake():
    with FakeSlack() as server:
        yield server


@pytest.fixture
def storm(database_url, fake):
    settings = make_settings(
        database_url,
        github_token="ghp_" + "s" * 36,
        dry_run=False,
        max_fixes_per_hour=BUDGET,
        slack_signing_secret=SIGNING_SECRET,
        slack_bot_token=BOT_TOKEN,
        slack_base_url=fake.base_url,
        slack_approver_ids=APPROVER,
    )
    queue = RecordingQueue()
    container = build_container(settings, database_url=database_url, queue=queue)
    app = create_app(container)
    if not any(getattr(r, "path", "") == "/slack/interactions" for r in app.routes):
        app.include_router(slack.router)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield container, client, queue
    finally:
        _truncate(container)
        container.close()


def repo(i: int) -> str:
    return f"org/storm-{i}"


def grouped(container) -> tuple[int, list[int], str]:
    """Six failures of one signature on six repositories, decided: one storm group waiting
    for a person, its members held back. The group, its members, the approval's nonce."""
    ids = insert(
        container,
        *[
            analyzed_incident(repo=repo(i), run_id=FIRST_RUN + i, signature="registry 503 storm")
            for i in range(MEMBERS)
        ],
    )
    for incident_id in ids:
        container.decider(incident_id)
    with container.db.session() as session:
        group = session.execute(select(Incident).where(Incident.kind == "storm_group")).scalar_one()
        assert group.status == "awaiting_approval"
        nonce = ApprovalRepository(session).pending_for(group.id).nonce
        return group.id, ids, nonce


def answer(client, group_id: int, nonce: str, *, approve: bool):
    value = json.dumps({"incident_id": group_id, "nonce": nonce})
    action = "codehealer_approve" if approve else "codehealer_reject"
    response = click(client, block_actions(APPROVER, action, value))
    assert response.status_code == 200


def mock_github(router: respx.MockRouter) -> dict[int, respx.Route]:
    """Each member's run as GitHub shows it, and its re-run endpoint."""
    reruns = {}
    for i in range(MEMBERS):
        run_id = FIRST_RUN + i
        run = failed_run(run_id=run_id, conclusion="success" if i == PASSED_SINCE else "failure")
        router.get(f"{API}/repos/{repo(i)}/actions/runs/{run_id}").respond(200, json=run)
        router.get(f"{API}/repos/{repo(i)}/actions/workflows/{WORKFLOW_ID}/runs").respond(
            200, json={"total_count": 1, "workflow_runs": [run]}
        )
        reruns[i] = router.post(
            f"{API}/repos/{repo(i)}/actions/runs/{run_id}/rerun-failed-jobs"
        ).respond(201, json={})
    return reruns


def statuses(container, ids: list[int]) -> list[str]:
    with container.db.session() as session:
        return [session.get(Incident, i).status for i in ids]


def events(container, incident_id: int, event: str) -> list[dict]:
    with container.db.session() as session:
        rows = session.execute(
            select(AuditEntry)
            .where(AuditEntry.incident_id == incident_id, AuditEntry.event == event)
            .order_by(AuditEntry.id)
        ).scalars()
        return [row.details for row in rows]


def thread_replies(fake) -> list[str]:
    return [c.body["text"] for c in fake.calls_to("chat.postMessage") if c.body.get("thread_ts")]


def test_approving_a_storm_group_reruns_each_member_within_the_blast_radius(storm, fake):
    container, client, queue = storm
    group_id, ids, nonce = grouped(container)

    answer(client, group_id, nonce, approve=True)
    with respx.mock(assert_all_called=False) as github:
        reruns = mock_github(github)
        for member_id in queue.ids:
            container.processor.process(member_id)
    container.notifier.deliver_pending(limit=100)

    assert queue.ids == ids[:BUDGET]
    assert [reruns[i].call_count for i in range(MEMBERS)] == [1, 1, 0, 1, 1, 0]
    assert statuses(container, ids) == [
        "verifying",
        "verifying",
        "escalated",  # its pre-validation found the run passed: nothing to re-run
        "verifying",
        "verifying",
        "ignored",  # over the hourly budget: still held back, nothing ran
    ]
    with container.db.session() as session:
        actors = session.execute(select(RemediationAttempt.actor_id)).scalars().all()
    assert actors == [APPROVER] * BUDGET
    skipped = events(container, group_id, AuditEvent.STORM_MEMBER_SKIPPED)
    assert [s["member_id"] for s in skipped] == [ids[-1], ids[PASSED_SINCE]]
    assert "over the hourly fix budget" in skipped[0]["reason"]
    assert "concluded 'success'" in skipped[1]["reason"]
    replies = thread_replies(fake)
    assert any(f"#{ids[-1]} (org/storm-5): over the hourly fix budget" in r for r in replies)
    assert any(f"#{ids[PASSED_SINCE]} (org/storm-2): run concluded" in r for r in replies)
    assert any(
        "rerun_failed_jobs planned for 5 of 6 grouped failures, 1 skipped" in r for r in replies
    )


def test_approving_a_storm_group_closes_the_group_with_what_was_planned(storm):
    container, client, _ = storm
    group_id, _, nonce = grouped(container)

    answer(client, group_id, nonce, approve=True)

    with container.db.session() as session:
        group = session.get(Incident, group_id)
    assert group.status == "resolved"
    assert group.decision_reason == (
        f"approved by {APPROVER}: rerun_failed_jobs planned for 5 of 6 grouped failures, 1 skipped"
    )
    [summary] = events(container, group_id, AuditEvent.STORM_FIXES_PLANNED)
    assert len(summary["planned"]) == BUDGET and len(summary["skipped"]) == 1


def test_a_member_the_rules_now_stop_is_skipped_with_their_reason(storm):
    container, client, queue = storm
    group_id, ids, nonce = grouped(container)
    with container.db.session() as session:  # its fix became a person's since the grouping
        session.get(Incident, ids[0]).fixability = "manual"

    answer(client, group_id, nonce, approve=True)

    assert ids[0] not in queue.ids
    [first, *_] = events(container, group_id, AuditEvent.STORM_MEMBER_SKIPPED)
    assert first["member_id"] == ids[0]
    assert first["reason"].startswith("stopped by the rules:")


def test_rejecting_a_storm_group_closes_every_member_with_the_rejection(storm, fake):
    container, client, queue = storm
    group_id, ids, nonce = grouped(container)

    answer(client, group_id, nonce, approve=False)
    container.notifier.deliver_pending(limit=100)

    assert queue.ids == []
    assert statuses(container, [group_id, *ids]) == ["escalated"] * (MEMBERS + 1)
    with container.db.session() as session:
        members = [session.get(Incident, i) for i in ids]
        attempts = session.execute(select(RemediationAttempt)).scalars().all()
    assert attempts == []
    assert {m.escalation_reason for m in members} == {"fix_rejected"}
    assert all(m.decision_reason.startswith(f"fix rejected by {APPROVER}") for m in members)
    for member_id in ids:
        assert events(container, member_id, AuditEvent.STORM_MEMBER_REJECTED) == [
            {"group_id": group_id}
        ]
    assert f"Rejected by <@{APPROVER}>." in thread_replies(fake)


def test_a_storm_group_none_of_whose_members_can_be_fixed_is_escalated(storm):
    container, client, queue = storm
    group_id, ids, nonce = grouped(container)
    with container.db.session() as session:  # every one of them a person's now
        for member_id in ids:
            session.get(Incident, member_id).fixability = "manual"

    answer(client, group_id, nonce, approve=True)

    assert queue.ids == []
    with container.db.session() as session:
        group = session.get(Incident, group_id)
        attempts = session.execute(select(RemediationAttempt)).scalars().all()
    assert attempts == []
    assert (group.status, group.escalation_reason) == ("escalated", "storm")
    assert len(events(container, group_id, AuditEvent.STORM_MEMBER_SKIPPED)) == MEMBERS
