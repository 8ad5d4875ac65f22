"""Audit events: every remediation outcome has its own event."""

from app.domain.audit import REMEDIATION_EVENTS
from app.domain.remediators.base import RemediationStatus


def test_every_remediation_status_has_an_audit_event_named_after_it():
    assert {status: event.value for status, event in REMEDIATION_EVENTS.items()} == {
        status: f"remediation.{status.value}" for status in RemediationStatus
    }
