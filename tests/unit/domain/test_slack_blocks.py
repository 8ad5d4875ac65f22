"""The Block Kit message of an incident: buttons by state, masking, escaping, Slack's limits."""

import json
from datetime import UTC, datetime

from app.domain.escalation import EscalationReason
from app.domain.notifications.blocks import (
    APPROVE_ACTION,
    FEEDBACK_DOWN_ACTION,
    FEEDBACK_UP_ACTION,
    MAX_BLOCKS,
    MAX_BUTTON_VALUE,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    PAUSE_ACTION,
    REJECT_ACTION,
    RESUME_ACTION,
    RUNBOOK_ACTION,
    confidence_bar,
    incident_blocks,
    incident_text,
    reply_text,
)
from app.domain.notifications.models import AttemptView, IncidentCard, SimilarView

NONCE = "n0nce-abcdefghijklmnopqrstu"
PLANTED = "ghp_" + "A1b2C3d4E5" * 3 + "f6G7h8"  # 36 characters after the prefix


def card(**overrides) -> IncidentCard:
    values = {
        "incident_id": 42,
        "public_url": "https://codehealer.example.com",
        "title": "org/api CI failed on main",
        "status": "awaiting_approval",
        "source": "github",
        "kind": "workflow_run",
        "target": "org/api · CI · main",
        "run_url": "https://github.com/org/api/actions/runs/30433642",
        "category": "transient_network",
        "root_cause": "The npm registry reset the connection.",
        "action": "rerun_failed_jobs",
        "evidence": ["npm ERR! code ECONNRESET", "npm ERR! network aborted"],
        "confidence": 0.72,
        "confidence_classifier": 0.8,
        "confidence_similarity": 0.6,
        "confidence_history": 0.75,
        "similar": [SimilarView(incident_id=7, similarity=0.93, outcome="resolved")],
        "decision": "needs_approval",
        "decision_reason": "confidence 0.72 < 0.85",
        "approval_nonce": NONCE,
        "approval_expires_at": datetime(2025, 1, 1, 12, 30, tzinfo=UTC),
    }
    values.update(overrides)
    return IncidentCard(**values)


def buttons(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def all_text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_awaiting_approval_has_approve_and_reject_buttons_carrying_the_nonce():
    found = {b["action_id"]: b for b in buttons(incident_blocks(card()))}

    assert set(found) == {APPROVE_ACTION, REJECT_ACTION}
    for button in found.values():
        assert json.loads(button["value"]) == {"incident_id": 42, "nonce": NONCE}
    assert found[APPROVE_ACTION]["style"] == "primary"
    assert found[REJECT_ACTION]["style"] == "danger"
    assert found[APPROVE_ACTION]["confirm"]["confirm"]["text"] == "Approve"
    assert "confirm" not in found[REJECT_ACTION]


def test_no_approval_buttons_without_a_pending_request():
    assert buttons(incident_blocks(card(approval_nonce=None))) == []


def test_feedback_buttons_appear_only_once_remediated():
    for status in ("verifying", "resolved", "failed"):
        ids = [b["action_id"] for b in buttons(incident_blocks(card(status=status)))]
        assert ids == [FEEDBACK_UP_ACTION, FEEDBACK_DOWN_ACTION], status
        values = {b["value"] for b in buttons(incident_blocks(card(status=status)))}
        assert values == {'{"incident_id":42}'}
    for status in ("analyzed", "remediating", "escalated", "ignored"):
        assert buttons(incident_blocks(card(status=status))) == [], status


def test_message_shows_links_category_evidence_confidence_parts_similar_and_decision():
    text = all_text(incident_blocks(card()))

    assert "<https://github.com/org/api/actions/runs/30433642|Open run>" in text
    assert "<https://codehealer.example.com/api/v1/incidents/42|Incident #42>" in text
    assert "transient_network" in text and "registry reset the connection" in text
    assert "```npm ERR! code ECONNRESET\\nnpm ERR! network aborted```" in text
    assert "▰▰▰▰▰▰▰▱▱▱ 0.72" in text
    for part in ("classifier `▰▰▰▰▰▰▰▰▱▱ 0.80`", "similarity", "history"):
        assert part in text
    assert "#7>" in text and "resolved" in text
    assert "needs approval" in text and "confidence 0.72 &lt; 0.85" in text


def test_confidence_bar_has_ten_cells():
    assert confidence_bar(0.72) == "▰▰▰▰▰▰▰▱▱▱ 0.72"
    assert confidence_bar(1.4) == "▰▰▰▰▰▰▰▰▰▰ 1.00"
    assert confidence_bar(None) == "n/a"


def test_rollback_that_disabled_auto_sync_is_called_out():
    attempt = AttemptView(action="argocd_rollback", status="succeeded", detail="rolled back to 41")
    blocks = incident_blocks(
        card(status="verifying", target="payments", auto_sync_disabled=True, attempt=attempt)
    )
    assert "disabled auto-sync" in all_text(blocks)


def test_secrets_in_evidence_title_and_reason_are_masked():
    blocks = incident_blocks(
        card(
            title=f"leak {PLANTED}",
            evidence=[f"export GH={PLANTED}", "password=hunter2hunter2"],
            decision_reason=f"token {PLANTED}",
        )
    )
    text = all_text(blocks) + incident_text(card(title=PLANTED))
    assert PLANTED not in text and "hunter2hunter2" not in text
    assert "[REDACTED" in text


def test_log_lines_cannot_ping_the_channel_or_forge_links():
    blocks = incident_blocks(card(evidence=["<!channel> see <https://evil.example|here>"]))
    text = all_text(blocks)
    assert "<!channel>" not in text and "<https://evil.example" not in text
    assert "&lt;!channel&gt;" in text


def test_reply_keeps_user_mentions_and_escapes_the_rest():
    assert reply_text("Approved by <@U2CERLKJA>. <!here>") == (
        "Approved by <@U2CERLKJA>. &lt;!here&gt;"
    )


def test_limits_hold_for_a_huge_excerpt():
    huge = card(
        title="T" * 500,
        root_cause="why " * 2000,
        evidence=[f"line {i} " + "x" * 5000 for i in range(400)],
        decision_reason="because " * 1000,
        similar=[SimilarView(incident_id=i, similarity=0.5) for i in range(200)],
    )
    blocks = incident_blocks(huge)

    assert len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= MAX_HEADER_TEXT
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= MAX_SECTION_TEXT
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "context":
            assert all(len(e["text"]) <= MAX_SECTION_TEXT for e in block["elements"])
    assert all(len(b["value"]) <= MAX_BUTTON_VALUE for b in buttons(blocks))
    evidence = next(b for b in blocks if "*Evidence*" in b.get("text", {}).get("text", ""))
    assert evidence["text"]["text"].count("```") == 2  # the code block stays closed
    assert len(incident_text(huge)) <= 3000


def runbook_buttons(blocks: list[dict]) -> list[dict]:
    return [
        b["accessory"] for b in blocks if b.get("accessory", {}).get("action_id") == RUNBOOK_ACTION
    ]


def test_an_escalated_incident_links_the_runbook_of_its_reason():
    blocks = incident_blocks(
        card(
            status="escalated",
            decision="escalate",
            escalation_reason=EscalationReason.LOG_ACCESS_DENIED,
            runbook_base_url="https://docs.example.com/runbooks/",
        )
    )
    [button] = runbook_buttons(blocks)
    assert button["url"] == "https://docs.example.com/runbooks/log_access_denied.md"
    assert button["type"] == "button" and "value" not in button
    section = next(b for b in blocks if b.get("accessory") is button)
    assert "Logs refused: credentials missing or wrong" in section["text"]["text"]


def test_an_incident_without_an_escalation_reason_has_no_runbook_button():
    blocks = incident_blocks(card(runbook_base_url="https://docs.example.com/runbooks"))
    assert runbook_buttons(blocks) == []


def test_a_runbook_base_that_is_not_http_gets_no_button():
    blocks = incident_blocks(
        card(
            status="escalated",
            escalation_reason=EscalationReason.STORM,
            runbook_base_url="javascript:alert(1)//",
        )
    )
    assert runbook_buttons(blocks) == []


def test_a_storm_awaiting_approval_shows_both_the_buttons_and_the_runbook():
    blocks = incident_blocks(
        card(
            escalation_reason=EscalationReason.STORM,
            runbook_base_url="https://codehealer.example.com/dashboard/runbooks",
        )
    )
    assert [b["action_id"] for b in buttons(blocks)] == [APPROVE_ACTION, REJECT_ACTION]
    [button] = runbook_buttons(blocks)
    assert button["url"].endswith("/dashboard/runbooks/storm.md")


def test_the_failing_tests_are_named():
    tests = ["tests/test_api.py::test_login", "tests/test_api.py::test_logout"]
    text = all_text(incident_blocks(card(category="test_failure", failing_tests=tests)))
    assert "*Failing tests*" in text
    assert all(f"`{t}`" in text for t in tests)


def test_failing_tests_of_a_flaky_test_failure_are_called_known_flaky():
    blocks = incident_blocks(card(category="flaky_test", failing_tests=["TestWatch"]))
    assert "*Failing tests (known flaky)*\\n• `TestWatch`" in all_text(blocks)


def test_many_failing_tests_show_ten_and_count_the_rest():
    tests = [f"TestCase{i:02d}" for i in range(14)]
    text = all_text(incident_blocks(card(failing_tests=tests)))
    assert "`TestCase09`" in text and "`TestCase10`" not in text
    assert "4 more in the incident" in text


def test_a_failing_test_id_cannot_break_out_of_its_code_span_or_ping():
    text = all_text(incident_blocks(card(failing_tests=["a` <!channel> `b"])))
    assert "<!channel>" not in text
    assert "• `a' &lt;!channel&gt; 'b`" in text


def test_no_failing_tests_no_section():
    assert "Failing tests" not in all_text(incident_blocks(card()))


def _actions(blocks) -> list[str]:
    return [
        element["action_id"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def test_a_fix_codehealer_ran_by_itself_offers_to_pause_automatic_fixes():
    automatic = AttemptView(action="rerun_failed_jobs", status="verified", actor="auto")
    blocks = incident_blocks(card(status="resolved", approval_nonce=None, attempt=automatic))

    [pause] = [
        e
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == PAUSE_ACTION
    ]
    assert json.loads(pause["value"]) == {"incident_id": 42}
    assert pause["confirm"]["title"]["text"] == "Pause automatic fixes?"


def test_a_fix_a_person_approved_offers_no_pause():
    approved = AttemptView(
        action="rerun_failed_jobs", status="verified", actor="slack", actor_id="UAPPROVER1"
    )
    blocks = incident_blocks(card(status="resolved", approval_nonce=None, attempt=approved))

    assert PAUSE_ACTION not in _actions(blocks)


def test_an_incident_held_by_a_pause_says_so_and_offers_to_resume_it():
    summary = "All automatic fixes paused by UAPPROVER1 at 2026-12-05 13:00 UTC"
    blocks = incident_blocks(card(pause_id=7, pause_summary=summary))

    assert any(
        summary in json.dumps(b, ensure_ascii=False) for b in blocks if b["type"] == "section"
    )
    assert _actions(blocks) == [APPROVE_ACTION, REJECT_ACTION, RESUME_ACTION]
    [resume] = [
        e
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == RESUME_ACTION
    ]
    assert json.loads(resume["value"]) == {"pause_id": 7}


def test_a_reference_neighbour_links_the_thread_it_came_from_not_an_incident():
    reference = SimilarView(
        reference="040_npm_econnreset_actions",
        reference_source="https://github.com/org/repo/issues/1",
        similarity=0.94,
        category="transient_network",
    )

    text = all_text(incident_blocks(card(similar=[reference])))

    assert (
        "<https://github.com/org/repo/issues/1|reference 040_npm_econnreset_actions> "
        "0.94 similar — labelled (`transient_network`)"
    ) in text
    assert "/api/v1/incidents/None" not in text
