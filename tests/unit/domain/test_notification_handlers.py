"""The notifications table: which audit events post to Slack, and what they post."""

from app.domain.audit import AuditEvent
from app.domain.notifications.handlers import (
    EVENT_HANDLERS,
    NOT_NOTIFIED,
    OutboxKind,
    SlackNotice,
    SlackPost,
    slack_posts,
)

PLANTED = "ghp_" + "Z9y8X7w6V5" * 3 + "u4T3s2"  # a GitHub token shape: 36 characters


def test_every_audit_event_is_either_in_the_table_or_listed_as_not_notified():
    assert set(EVENT_HANDLERS) | NOT_NOTIFIED == set(AuditEvent)
    assert set(EVENT_HANDLERS) & NOT_NOTIFIED == set()


def test_a_card_only_event_refreshes_the_incident_card_and_says_nothing_in_the_thread():
    posts = slack_posts(AuditEvent.DECISION_MADE, actor="auto", details={"decision": "auto_fix"})

    assert posts == (SlackPost(OutboxKind.MESSAGE),)


def test_an_event_with_a_reply_refreshes_the_card_then_replies_in_its_thread():
    posts = slack_posts(AuditEvent.APPROVAL_APPROVED, actor="UAPPROVER1", details={})

    assert posts == (
        SlackPost(OutboxKind.MESSAGE),
        SlackPost(OutboxKind.REPLY, "Approved by <@UAPPROVER1>."),
    )


def test_an_event_listed_as_not_notified_posts_nothing():
    assert slack_posts(AuditEvent.INCIDENT_CREATED, actor="github", details={}) == ()


def test_the_reply_of_a_resolved_incident_shows_its_time_to_recovery():
    [_, reply] = slack_posts(
        AuditEvent.INCIDENT_RESOLVED, actor="system", details={"mttr_seconds": 3725.0}
    )

    assert reply.text == "Verified: the next attempt succeeded. MTTR 1h 2m."


def test_a_reply_without_a_time_to_recovery_says_it_is_unknown():
    [_, reply] = slack_posts(AuditEvent.INCIDENT_RESOLVED, actor="system", details={})

    assert reply.text == "Verified: the next attempt succeeded. MTTR unknown."


def test_a_secret_in_the_details_is_masked_in_the_reply():
    [_, reply] = slack_posts(
        AuditEvent.INCIDENT_ESCALATED, actor="system", details={"reason": f"see {PLANTED}"}
    )

    assert reply.text == "Escalated: see [REDACTED:github_token]"


def test_a_table_given_by_the_caller_decides_instead_of_the_default():
    table = {AuditEvent.INCIDENT_CREATED: SlackNotice(reply="New incident from {actor}")}

    posts = slack_posts(AuditEvent.INCIDENT_CREATED, actor="github", details={}, handlers=table)

    assert posts == (
        SlackPost(OutboxKind.MESSAGE),
        SlackPost(OutboxKind.REPLY, "New incident from github"),
    )


def test_an_analysis_without_the_model_says_so_in_the_thread_with_its_reason():
    details = {"reason": "embeddings by local-hash instead of nim:m (nvidia answered 503)"}

    [card, reply] = slack_posts(AuditEvent.ANALYSIS_DEGRADED, actor="system", details=details)

    assert card == SlackPost(OutboxKind.MESSAGE)
    assert reply.text == (
        "Analysed without the configured model: "
        "embeddings by local-hash instead of nim:m (nvidia answered 503)."
    )


def test_a_promotion_or_demotion_of_autonomy_says_its_line_in_the_thread():
    line = (
        "rerun_failed_jobs for “npm ERR! code ECONNRESET” is now automatic: "
        "10 of 10 re-runs passed (lower bound 0.76 ≥ 0.75, low risk)"
    )
    for event in (AuditEvent.AUTONOMY_PROMOTED, AuditEvent.AUTONOMY_DEMOTED):
        [card, reply] = slack_posts(event, actor="auto", details={"detail": line})

        assert (card, reply) == (SlackPost(OutboxKind.MESSAGE), SlackPost(OutboxKind.REPLY, line))


def test_a_pause_posts_a_message_of_its_own_in_the_channel_and_refreshes_no_card():
    posts = slack_posts(
        AuditEvent.AUTOMATION_PAUSED, actor="UAPPROVER1", details={"detail": "⏸️ All paused"}
    )

    assert posts == (SlackPost(OutboxKind.CHANNEL, "⏸️ All paused"),)


def test_a_resume_posts_a_message_of_its_own_in_the_channel():
    posts = slack_posts(AuditEvent.AUTOMATION_RESUMED, actor="cli:ops", details={"detail": "▶️"})

    assert posts == (SlackPost(OutboxKind.CHANNEL, "▶️"),)
