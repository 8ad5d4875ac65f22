"""The diagnosis section of an incident's Block Kit message."""

from app.domain.escalation import EscalationReason
from app.domain.notifications.blocks import incident_blocks
from app.domain.notifications.models import IncidentCard

PLANTED = "ghp_" + "A1b2C3d4E5" * 3 + "f6G7h8"  # 36 characters after the prefix
LINES = [
    "The memory limit of Deployment shop/cart was raised 3 times in 7 days, and it ran out of "
    "memory again each time:",
    "• 2026-11-29 09:00 UTC: OOM-killed and restarted (#11); limit raised 256Mi → 384Mi",
]


def card(**overrides) -> IncidentCard:
    values = {
        "incident_id": 20,
        "public_url": "https://codehealer.example.com",
        "title": "shop/cart-7d9f8c6b5-zzzzz: OOMKilled",
        "status": "escalated",
        "source": "kubernetes",
        "kind": "k8s_pod",
        "category": "out_of_memory",
        "action": "scale_memory",
        "decision": "escalate",
        "decision_reason": "symptom_not_cause: the fix works but the cause remains",
        "escalation_reason": EscalationReason.CAUSE_REMAINS,
        "runbook_base_url": "https://codehealer.example.com/dashboard/runbooks",
    }
    values.update(overrides)
    return IncidentCard(**values)


def section_texts(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]


def test_the_diagnosis_is_one_section_with_a_line_each():
    texts = section_texts(incident_blocks(card(diagnosis=LINES)))

    [diagnosis] = [t for t in texts if t.startswith("*Diagnosis*")]
    assert diagnosis.splitlines() == ["*Diagnosis*", *LINES]


def test_no_diagnosis_no_section():
    texts = section_texts(incident_blocks(card()))

    assert not any(t.startswith("*Diagnosis*") for t in texts)


def test_a_diagnosis_line_cannot_ping_the_channel_or_leak_a_secret():
    texts = section_texts(incident_blocks(card(diagnosis=[f"<!channel> token {PLANTED}"])))

    [diagnosis] = [t for t in texts if t.startswith("*Diagnosis*")]
    assert "<!channel>" not in diagnosis
    assert "&lt;!channel&gt;" in diagnosis
    assert PLANTED not in diagnosis
