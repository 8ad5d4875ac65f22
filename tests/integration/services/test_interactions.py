"""The interaction service: what a click on a Slack button does, against the real database and
a local fake of Slack's Web API."""

import logging

import pytest
from sqlalchemy import func, select

from app.adapters.database.repositories.approvals import ApprovalRepository
from app.adapters.database.tables import AuditEntry, Feedback, RemediationAttempt
from app.bootstrap import build_container
from app.services.interactions import ApprovalClick, FeedbackClick
from tests.conftest import _truncate, make_settings
from tests.support.fake_slack import BOT_TOKEN, CHANNEL_ID, FakeSlack
from tests.support.incidents import analyzed_incident, insert

LISTED, GROUP, GROUP_MEMBER = "UAPPROVER1", "S0APPROVERS", "UGROUPMEMBER"


@pytest.fixture
def fake():
    with FakeSlack(groups={GROUP: [GROUP_MEMBER]}) as server:
        yield server


@pytest.fixture
def container(database_url, fake):
    settings = make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_base_url=fake.base_url,
        slack_approver_ids=LISTED,
        slack_approver_group=GROUP,
    )
    built = build_container(settings, database_url=database_url)
    try:
        yield built
    finally:
        _truncate(built)
        built.close()


def awaiting_approval(container) -> ApprovalClick:
    [incident_id] = insert(
        container, analyzed_incident(repo="org/clicks", run_id=9400, confidence=0.7)
    )
    container.decider(incident_id)
    with container.db.session() as session:
        nonce = ApprovalRepository(session).pending_for(incident_id).nonce
    return ApprovalClick(incident_id, nonce, approve=True)


def count(container, table) -> int:
    with container.db.session() as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def test_someone_on_the_allow_list_may_approve_without_asking_slack(container, fake):
    assert container.interactions.may_approve(LISTED) is True
    assert fake.calls == []


def test_a_member_of_the_approver_group_may_approve(container, fake):
    assert container.interactions.may_approve(GROUP_MEMBER) is True
    assert [c.body["usergroup"] for c in fake.calls_to("usergroups.users.list")] == [GROUP]


def test_when_slack_cannot_say_who_is_in_the_group_nothing_is_recorded(container, fake):
    click = awaiting_approval(container)
    audited = count(container, AuditEntry)
    fake.down()

    [reply] = container.interactions.handle("UOUTSIDER", [click])

    assert reply.startswith("Could not check the approver group in Slack")
    assert count(container, AuditEntry) == audited
    assert count(container, RemediationAttempt) == 0
    with container.db.session() as session:
        assert ApprovalRepository(session).pending_for(click.incident_id).nonce == click.nonce


def test_an_approval_of_an_unknown_incident_asks_slack_nothing(container, fake):
    [reply] = container.interactions.handle(LISTED, [ApprovalClick(987654, "nonce", True)])
    assert reply == "Incident #987654 does not exist."
    assert fake.calls == []


def test_feedback_on_an_unknown_incident_records_nothing(container):
    [reply] = container.interactions.handle(LISTED, [FeedbackClick(987654, -1)])
    assert reply == "Incident #987654 does not exist."
    assert count(container, Feedback) == 0


def test_each_click_gets_its_reply_in_order(container):
    click = awaiting_approval(container)

    replies = container.interactions.handle(
        LISTED, [FeedbackClick(click.incident_id, 1), click]
    )

    assert replies[0] == f"Thanks, your 👍 on incident #{click.incident_id} is recorded."
    assert replies[1].startswith(f"Approved by <@{LISTED}>")


def test_the_outcome_is_posted_to_the_person_who_clicked(container, fake):
    container.interactions.tell(CHANNEL_ID, LISTED, "Approved.")
    [call] = fake.calls_to("chat.postEphemeral")
    assert (call.body["channel"], call.body["user"]) == (CHANNEL_ID, LISTED)


def test_an_outcome_without_a_channel_is_logged_not_posted(container, fake, caplog):
    caplog.set_level(logging.INFO, logger="app.services.interactions")
    container.interactions.tell(None, LISTED, "Approved.")
    assert fake.calls == []
    assert any("not posted" in r.getMessage() for r in caplog.records)


def test_a_slack_outage_while_telling_the_outcome_is_logged_not_raised(container, fake, caplog):
    fake.down()
    container.interactions.tell(CHANNEL_ID, LISTED, "Approved.")
    assert any("could not post the outcome" in r.getMessage() for r in caplog.records)
