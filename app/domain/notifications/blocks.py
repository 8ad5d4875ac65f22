"""The Block Kit message of one incident (or storm group), built from a small view model.

Pure: no I/O. Every piece of text from an incident is masked (``mask_secrets``), escaped for
Slack's mrkdwn (so a log line cannot ping ``<!channel>`` or forge a link) and clipped to Slack's
limits; a last pass masks every text again before the blocks leave this module.
"""

import json
import re
from typing import Any

from app.core.redaction import mask_secrets
from app.domain.escalation import TITLES, runbook_url
from app.domain.notifications.models import AttemptView, IncidentCard

APPROVE_ACTION = "codehealer_approve"
REJECT_ACTION = "codehealer_reject"
FEEDBACK_UP_ACTION = "codehealer_feedback_up"
FEEDBACK_DOWN_ACTION = "codehealer_feedback_down"
RUNBOOK_ACTION = "codehealer_runbook"  # a link button: Slack opens the URL, we ignore the click
PAUSE_ACTION = "codehealer_pause"  # pause every automatic fix (the kill switch)
RESUME_ACTION = "codehealer_resume"  # end the pause the card names

# Slack's limits (https://api.slack.com/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_VALUE = 2000
MAX_BUTTON_URL = 3000
MAX_FALLBACK_TEXT = 3000

MAX_EVIDENCE_LINES = 12
MAX_EVIDENCE_LINE = 300
EVIDENCE_BUDGET = 2600  # characters inside the code block, well under one section's limit
MAX_SIMILAR = 3
MAX_LINKS = 8
MAX_TESTS_SHOWN = 10
MAX_TEST_ID = 200
BAR_CELLS = 10

AWAITING_APPROVAL = "awaiting_approval"
AUTOMATIC = "auto"  # the actor of an attempt CodeHealer started by itself
REMEDIATED = frozenset({"verifying", "resolved", "failed"})
STATUS_EMOJI = {
    "received": "📥",
    "analyzing": "🧠",
    "analyzed": "🧠",
    "awaiting_approval": "⏳",
    "remediating": "🔧",
    "verifying": "🔍",
    "resolved": "✅",
    "failed": "❌",
    "escalated": "🚨",
    "ignored": "💤",
}
_USER_ID = re.compile(r"[UWB][A-Z0-9]{2,30}")
_MENTION_ESCAPED = re.compile(r"&lt;@([UW][A-Z0-9]{2,30})&gt;")
_UNSAFE_URL_CHARS = {"|": "%7C", ">": "%3E", "<": "%3C", " ": "%20"}


# --- public ----------------------------------------------------------------------------------
def incident_blocks(card: IncidentCard) -> list[dict[str, Any]]:
    """The message's blocks: summary, analysis, decision, then the buttons that fit the state."""
    blocks: list[dict[str, Any]] = [_header(card), _section(_summary(card)), _fields(card)]
    for text in (
        _root_cause(card),
        _diagnosis(card),
        _failing_tests(card),
        _evidence(card),
        _confidence(card),
        _similar(card),
        _links(card),
    ):
        if text:
            blocks.append(_section(text))
    blocks.append(_section(_decision(card)))
    runbook = _runbook(card)
    if runbook is not None:
        blocks.append(runbook)
    if card.attempt is not None:
        blocks.append(_context(_attempt(card.attempt)))
    if card.auto_sync_disabled:
        blocks.append(_section(_auto_sync(card)))
    if card.pause_summary:
        blocks.append(_section(f"⏸️ *Paused:* {_safe(card.pause_summary)}"))
    blocks.extend(_buttons(card))
    blocks.extend(_pause_buttons(card))
    blocks.append(_context(f"CodeHealer · incident #{card.incident_id}"))
    return _fit(_mask_texts(blocks))


def incident_text(card: IncidentCard) -> str:
    """The notification (fallback) text of the message."""
    emoji = STATUS_EMOJI.get(card.status, "•")
    text = f"{emoji} {_safe(card.title)} — {_words(card.status)} (incident #{card.incident_id})"
    return _clip(mask_secrets(text), MAX_FALLBACK_TEXT)


def reply_text(text: str) -> str:
    """A thread reply: masked, escaped and clipped; only user mentions (``<@U…>``) stay live."""
    escaped = _MENTION_ESCAPED.sub(lambda m: f"<@{m.group(1)}>", _safe(text))
    return _clip(escaped, MAX_SECTION_TEXT)


def approval_value(incident_id: int, nonce: str) -> str:
    return _compact({"incident_id": incident_id, "nonce": nonce})


def feedback_value(incident_id: int) -> str:
    return _compact({"incident_id": incident_id})


def pause_value(incident_id: int) -> str:
    """The Pause button names the incident it was clicked on (for the record)."""
    return _compact({"incident_id": incident_id})


def resume_value(pause_id: int) -> str:
    return _compact({"pause_id": pause_id})


def confidence_bar(value: float | None) -> str:
    """``▰▰▰▰▰▰▰▱▱▱ 0.72``; ``n/a`` when there is no value."""
    if value is None:
        return "n/a"
    value = min(1.0, max(0.0, value))
    filled = round(value * BAR_CELLS)
    return "▰" * filled + "▱" * (BAR_CELLS - filled) + f" {value:.2f}"


def incident_url(public_url: str, incident_id: int) -> str:
    return f"{public_url.rstrip('/')}/api/v1/incidents/{incident_id}"


# --- pieces ----------------------------------------------------------------------------------
def _header(card: IncidentCard) -> dict[str, Any]:
    emoji = STATUS_EMOJI.get(card.status, "•")
    title = mask_secrets(f"{emoji} {card.title or f'Incident #{card.incident_id}'}")
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": _clip(title, MAX_HEADER_TEXT), "emoji": True},
    }


def _summary(card: IncidentCard) -> str:
    links = [
        _link(incident_url(card.public_url, card.incident_id), f"Incident #{card.incident_id}")
    ]
    if card.run_url:
        links.insert(0, _link(card.run_url, "Open run" if card.source == "github" else "Open"))
    where = f"{_safe(card.source)}/{_safe(card.kind)}"
    if card.target:
        where += f" · `{_safe(card.target)}`"
    lines = [" · ".join([*links, where])]
    lines.append(f"*Status:* {_words(card.status)} · *Severity:* {_safe(card.severity)}")
    if card.storm_group:
        lines.append(f"*Storm:* {card.occurrences} failures with the same signature, grouped here")
    if card.parent_id is not None:
        lines.append(f"Grouped under incident #{card.parent_id}")
    return "\n".join(lines)


def _fields(card: IncidentCard) -> dict[str, Any]:
    values = {
        "Category": card.category or "not analyzed yet",
        "Proposed action": card.action or "none",
    }
    fields = [
        {"type": "mrkdwn", "text": _clip(f"*{name}*\n`{_safe(value)}`", MAX_FIELD_TEXT)}
        for name, value in values.items()
    ]
    return {"type": "section", "fields": fields}


def _root_cause(card: IncidentCard) -> str | None:
    if not card.root_cause:
        return None
    return _clip(f"*Root cause*\n{_safe(card.root_cause)}", MAX_SECTION_TEXT)


def _diagnosis(card: IncidentCard) -> str | None:
    """What the deciding rule found, a line each: why this needs a person beyond its reason."""
    lines = [_clip(_safe(line), MAX_EVIDENCE_LINE) for line in card.diagnosis if line]
    if not lines:
        return None
    return _clip("\n".join(["*Diagnosis*", *lines]), MAX_SECTION_TEXT)


def _failing_tests(card: IncidentCard) -> str | None:
    """The tests the log names failing, each as code; "known flaky" when history says so."""
    if not card.failing_tests:
        return None
    title = "*Failing tests (known flaky)*" if card.category == "flaky_test" else "*Failing tests*"
    # A backtick would close the code span: it becomes a quote.
    shown = card.failing_tests[:MAX_TESTS_SHOWN]
    lines = [f"• `{_clip(_safe(t.replace('`', chr(39))), MAX_TEST_ID)}`" for t in shown]
    more = len(card.failing_tests) - MAX_TESTS_SHOWN
    if more > 0:
        lines.append(f"_{more} more in the incident_")
    return _clip("\n".join([title, *lines]), MAX_SECTION_TEXT)


def _evidence(card: IncidentCard) -> str | None:
    lines, used = [], 0
    for raw in card.evidence[:MAX_EVIDENCE_LINES]:
        line = _clip(_safe(raw.replace("```", "'''")), MAX_EVIDENCE_LINE)
        if used + len(line) + 1 > EVIDENCE_BUDGET:
            lines.append("…")
            break
        lines.append(line)
        used += len(line) + 1
    if not lines:
        return None
    more = len(card.evidence) - MAX_EVIDENCE_LINES
    suffix = f"\n_{more} more line(s) in the incident_" if more > 0 else ""
    return "*Evidence*\n```" + "\n".join(lines) + "```" + suffix


def _confidence(card: IncidentCard) -> str | None:
    if card.confidence is None:
        return None
    parts = (
        ("classifier", card.confidence_classifier),
        ("similarity", card.confidence_similarity),
        ("history", card.confidence_history),
    )
    detail = " · ".join(f"{name} `{confidence_bar(value)}`" for name, value in parts)
    return f"*Confidence* `{confidence_bar(card.confidence)}`\n{detail}"


def _similar(card: IncidentCard) -> str | None:
    if not card.similar:
        return None
    lines = ["*Similar incidents*"]
    for item in sorted(card.similar, key=lambda s: s.similarity, reverse=True)[:MAX_SIMILAR]:
        category = f" (`{_safe(item.category)}`)" if item.category else ""
        if item.incident_id is None:
            label = f"reference {item.reference or ''}"
            source = item.reference_source
            link = _link(source, label) if source else _safe(label)
            lines.append(f"• {link} {item.similarity:.2f} similar — labelled{category}")
            continue
        link = _link(incident_url(card.public_url, item.incident_id), f"#{item.incident_id}")
        outcome = _words(item.outcome) if item.outcome else "outcome unknown"
        lines.append(f"• {link} {item.similarity:.2f} similar — {outcome}{category}")
    return "\n".join(lines)


def _links(card: IncidentCard) -> str | None:
    """The chain: the Deployment and image, the sync that deployed it, the commit, the run."""
    if not card.links:
        return None
    lines = ["*Linked to*"]
    for link in card.links[:MAX_LINKS]:
        ref = _link(link.url, link.ref) if link.url else f"`{_safe(link.ref)}`"
        lines.append(f"• {_safe(link.relation)} {ref}")
    return _clip("\n".join(lines), MAX_SECTION_TEXT)


def _decision(card: IncidentCard) -> str:
    decision = _words(card.decision) if card.decision else "not decided yet"
    text = f"*Decision:* {decision}"
    if card.decision_reason:
        text += f"\n_{_safe(card.decision_reason)}_"
    return _clip(text, MAX_SECTION_TEXT)


def _runbook(card: IncidentCard) -> dict[str, Any] | None:
    """The reason a person is needed, with a button to its runbook page."""
    if card.escalation_reason is None or not card.runbook_base_url:
        return None
    url = mask_secrets(runbook_url(card.runbook_base_url, card.escalation_reason))
    if not re.match(r"https?://", url) or len(url) > MAX_BUTTON_URL:
        return None
    title = TITLES[card.escalation_reason]
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": f"📖 *Runbook:* {_safe(title)}"},
        "accessory": {
            "type": "button",
            "text": {"type": "plain_text", "text": "Open runbook", "emoji": True},
            "action_id": RUNBOOK_ACTION,
            "url": url,
        },
    }


def _attempt(attempt: AttemptView) -> str:
    who = _mention(attempt.actor_id) if attempt.actor_id else _safe(attempt.actor)
    text = f"*Remediation:* `{_safe(attempt.action)}` {_words(attempt.status)} · by {who}"
    if attempt.dry_run:
        text += " · dry run: recorded, not executed"
    if attempt.detail:
        text += f"\n{_safe(attempt.detail)}"
    return text


def _auto_sync(card: IncidentCard) -> str:
    return (
        f"⚠️ *The rollback disabled auto-sync* on `{_safe(card.target)}`. "
        "Re-enable it in Argo CD once the fix is in Git, or the app stays pinned."
    )


def _buttons(card: IncidentCard) -> list[dict[str, Any]]:
    if card.status == AWAITING_APPROVAL and card.approval_nonce:
        return _approval_buttons(card, card.approval_nonce)
    if card.status in REMEDIATED:
        return _feedback_buttons(card)
    return []


def _approval_buttons(card: IncidentCard, nonce: str) -> list[dict[str, Any]]:
    value = approval_value(card.incident_id, nonce)
    action, target = _safe(card.action or "the proposed fix"), _safe(card.target or "the target")
    confirm = {
        "title": {"type": "plain_text", "text": "Run this fix?"},
        "text": {"type": "mrkdwn", "text": _clip(f"Run `{action}` on `{target}`?", 300)},
        "confirm": {"type": "plain_text", "text": "Approve"},
        "deny": {"type": "plain_text", "text": "Cancel"},
        "style": "primary",
    }
    blocks: list[dict[str, Any]] = []
    if card.approval_expires_at is not None:
        epoch = int(card.approval_expires_at.timestamp())
        iso = card.approval_expires_at.isoformat(timespec="minutes")
        blocks.append(
            _context(f"Approval expires <!date^{epoch}^{{date_short_pretty}} {{time}}|{iso}>.")
        )
    blocks.append(
        {
            "type": "actions",
            "block_id": f"codehealer_approval_{card.incident_id}",
            "elements": [
                _button("✅ Approve", APPROVE_ACTION, value, style="primary", confirm=confirm),
                _button("✋ Reject", REJECT_ACTION, value, style="danger"),
            ],
        }
    )
    return blocks


def _feedback_buttons(card: IncidentCard) -> list[dict[str, Any]]:
    value = feedback_value(card.incident_id)
    return [
        _context("Was this the right call? Your answer tunes future confidence."),
        {
            "type": "actions",
            "block_id": f"codehealer_feedback_{card.incident_id}",
            "elements": [
                _button("👍 Right fix", FEEDBACK_UP_ACTION, value),
                _button("👎 Wrong fix", FEEDBACK_DOWN_ACTION, value),
            ],
        },
    ]


def _pause_buttons(card: IncidentCard) -> list[dict[str, Any]]:
    """Resume while a pause holds the incident; Pause on a fix CodeHealer ran by itself."""
    if card.pause_id is not None:
        button = _button("▶️ Resume automatic fixes", RESUME_ACTION, resume_value(card.pause_id))
    elif card.attempt is not None and card.attempt.actor == AUTOMATIC:
        confirm = {
            "title": {"type": "plain_text", "text": "Pause automatic fixes?"},
            "text": {
                "type": "mrkdwn",
                "text": "Every fix that would run by itself waits for an approval until someone "
                "resumes. Decisions are still made and recorded.",
            },
            "confirm": {"type": "plain_text", "text": "Pause"},
            "deny": {"type": "plain_text", "text": "Cancel"},
            "style": "danger",
        }
        value = pause_value(card.incident_id)
        button = _button("⏸️ Pause automatic fixes", PAUSE_ACTION, value, confirm=confirm)
    else:
        return []
    return [
        {
            "type": "actions",
            "block_id": f"codehealer_pause_{card.incident_id}",
            "elements": [button],
        }
    ]


# --- helpers ---------------------------------------------------------------------------------
def _button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if len(value) > MAX_BUTTON_VALUE:
        raise ValueError(
            f"button value is {len(value)} characters, Slack allows {MAX_BUTTON_VALUE}"
        )
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, MAX_SECTION_TEXT)}}


def _context(text: str) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": _clip(text, MAX_SECTION_TEXT)}],
    }


def _safe(text: str | None) -> str:
    """Masked, then escaped for mrkdwn: ``&``, ``<`` and ``>`` are control characters there."""
    masked = mask_secrets(text or "")
    return masked.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _words(value: str | None) -> str:
    return _safe((value or "").replace("_", " "))


def _link(url: str, label: str) -> str:
    """A ``<url|label>`` link for http(s) URLs; anything else is shown as plain text."""
    masked = mask_secrets(url.strip())
    if not re.match(r"https?://", masked) or any(c in masked for c in "\r\n\t"):
        return _safe(label)
    for char, encoded in _UNSAFE_URL_CHARS.items():
        masked = masked.replace(char, encoded)
    return f"<{masked.replace('&', '&amp;')}|{_safe(label)}>"


def _mention(user_id: str) -> str:
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id) else _safe(user_id)


def _compact(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"))


def _clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in ``…`` when cut; never inside an ``&…;`` entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def _mask_texts(node: Any, key: str | None = None) -> Any:
    """Mask every string again, except button values (JSON written here, never from a log)."""
    if isinstance(node, dict):
        return {k: _mask_texts(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_mask_texts(item) for item in node]
    if isinstance(node, str) and key != "value":
        return mask_secrets(node)
    return node


def _fit(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Slack refuses the whole message when one limit is broken; clip rather than fail."""
    for block in blocks:
        text = block.get("text")
        if block["type"] == "section" and isinstance(text, dict):
            text["text"] = _clip(text["text"], MAX_SECTION_TEXT)
        if block["type"] == "header" and isinstance(text, dict):
            text["text"] = _clip(text["text"], MAX_HEADER_TEXT)
        for field in block.get("fields", []):
            field["text"] = _clip(field["text"], MAX_FIELD_TEXT)
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], blocks[-1]]
    return blocks
