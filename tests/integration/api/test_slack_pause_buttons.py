"""The Pause and Resume buttons of CodeHealer's Slack messages: signed ``block_actions`` clicks
(https://api.slack.com/reference/interaction-payloads/block-actions) against the real database
and a local fake of Slack's Web API. Only approvers may pause or resume."""

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.adapters.database.tables import AuditEntry, Incident
from app.bootstrap import build_container
from app.main import create_app
from tests.conftest import _truncate, make_settings
from tests.support.fake_slack import BOT_TOKEN, CHANNEL_ID, FakeSlack
from tests.support.incidents import analyzed_incident, insert

SIGNING_SECRET = "test-slack-signing-secret"
APPROVER, GROUP, GROUP_MEMBER = "UAPPROVER1", "S0APPROVERS", "UGROUPMEMBER"


@pytest.fixture
def fake():
    with FakeSlack(groups={GROUP: [GROUP_MEMBER]}) as server:
        yield server


@pytest.fixture
def env(database_url, fake):
    settings = make_settings(
        database_url,
        github_token="ghp_" + "d" * 36,
        dry_run=False,
        slack_signing_secret=SIGNING_SECRET,
        slack_bot_token=BOT_TOKEN,
        slack_base_url=fake.base_url,
        slack_approver_ids=APPROVER,
        slack_approver_group=GROUP,
    )
    container = build_container(settings, database_url=database_url)
    try:
        with TestClient(create_app(container), raise_server_exceptions=False) as client:
            yield container, client
    finally:
        _truncate(container)
        container.close()


def press(client, user: str, action_id: str, value: dict):
    """A signed click on one button, in Slack's block_actions shape."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "roadrunner", "team_id": "T9TK3CUKW"},
        "api_app_id": "AABA1ABCD",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": CHANNEL_ID,
            "is_ephemeral": False,
        },
        "trigger_id": "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
        "team": {"id": "T9TK3CUKW", "domain": "example"},
        "channel": {"id": CHANNEL_ID, "name": "codehealer"},
        "response_url": "https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdas",
        "actions": [
            {
                "action_id": action_id,
                "block_id": "codehealer_pause_1",
                "text": {"type": "plain_text", "text": "Pause automatic fixes", "emoji": True},
                "value": json.dumps(value),
                "type": "button",
                "action_ts": "1548426417.840180",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
    }
    return client.post("/slack/interactions", content=body, headers=headers)


def fixed_by_itself(container, run_id: int = 9700) -> int:
    [incident_id] = insert(container, analyzed_incident(repo="org/api", run_id=run_id))
    container.decider(incident_id)
    return incident_id


def told(fake) -> list[tuple[str, str]]:
    return [(c.body["user"], c.body["text"]) for c in fake.calls_to("chat.postEphemeral")]


def events(container) -> list[tuple[str, str]]:
    with container.db.session() as session:
        rows = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
        return [(a.event, a.actor) for a in rows if a.event.startswith("automation.")]


def test_an_approver_pressing_pause_pauses_every_automatic_fix(env, fake):
    container, client = env
    incident_id = fixed_by_itself(container)

    response = press(client, APPROVER, "codehealer_pause", {"incident_id": incident_id})

    assert response.status_code == 200
    [pause] = container.pauses.active()
    assert (pause.source, pause.action, pause.paused_by) == (None, None, APPROVER)
    assert pause.reason == f"from the Slack message of incident #{incident_id}"
    assert events(container) == [("automation.paused", APPROVER)]
    assert told(fake) == [
        (
            APPROVER,
            "All automatic fixes are paused. Decisions are still made; fixes wait for approval.",
        )
    ]


def test_after_the_pause_button_the_next_fix_waits_for_a_person(env):
    container, client = env
    press(client, APPROVER, "codehealer_pause", {"incident_id": fixed_by_itself(container)})

    held = fixed_by_itself(container, run_id=9701)

    with container.db.session() as session:
        assert session.get(Incident, held).status == "awaiting_approval"


def test_a_member_of_the_approver_group_may_pause(env, fake):
    container, client = env

    press(client, GROUP_MEMBER, "codehealer_pause", {"incident_id": fixed_by_itself(container)})

    assert [p.paused_by for p in container.pauses.active()] == [GROUP_MEMBER]


def test_someone_who_is_not_an_approver_cannot_pause_and_is_told(env, fake):
    container, client = env

    response = press(
        client, "UOUTSIDER", "codehealer_pause", {"incident_id": fixed_by_itself(container)}
    )

    assert response.status_code == 200
    assert container.pauses.active() == []
    assert events(container) == []
    assert told(fake) == [
        ("UOUTSIDER", "Only approvers can pause automatic fixes; nothing changed.")
    ]


def test_someone_who_is_not_an_approver_cannot_resume(env, fake):
    container, client = env
    pause = container.pauses.pause(by=APPROVER).pause

    press(client, "UOUTSIDER", "codehealer_resume", {"pause_id": pause.id})

    assert [p.id for p in container.pauses.active()] == [pause.id]
    assert told(fake) == [
        ("UOUTSIDER", "Only approvers can resume automatic fixes; nothing changed.")
    ]


def test_an_approver_pressing_resume_ends_that_pause(env, fake):
    container, client = env
    pause = container.pauses.pause(by="cli:ops", reason="deploy freeze").pause

    press(client, APPROVER, "codehealer_resume", {"pause_id": pause.id})

    assert container.pauses.active() == []
    assert events(container) == [("automation.paused", "cli:ops"), ("automation.resumed", APPROVER)]
    assert told(fake) == [(APPROVER, "Resumed: all automatic fixes may run by themselves again.")]


def test_resume_on_a_pause_already_ended_changes_nothing_and_says_so(env, fake):
    container, client = env
    pause = container.pauses.pause(by=APPROVER).pause
    container.pauses.resume(by=APPROVER)

    press(client, APPROVER, "codehealer_resume", {"pause_id": pause.id})

    assert events(container) == [("automation.paused", APPROVER), ("automation.resumed", APPROVER)]
    assert told(fake) == [(APPROVER, "That pause is no longer in force; nothing changed.")]


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        ("codehealer_pause", {"incident_id": "all"}),
        ("codehealer_pause", {"incident_id": 1, "scope": "all"}),
        ("codehealer_resume", {"pause_id": 0}),
        ("codehealer_resume", {}),
    ],
    ids=["pause-not-an-id", "pause-extra-field", "resume-zero", "resume-no-id"],
)
def test_a_malformed_button_value_is_400_and_changes_nothing(env, action_id, value):
    container, client = env

    assert press(client, APPROVER, action_id, value).status_code == 400
    assert container.pauses.active() == []
