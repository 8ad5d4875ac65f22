"""From the Argo CD notification of a Degraded app to the rules' verdict: a rollback is proposed
only when the app went Degraded soon after its last sync finished."""

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.adapters.external.argocd.logs import ArgoAppLogSource
from app.core.analysis.excerpt import build_excerpt
from app.core.events.argocd import parse_argocd_notification
from app.core.events.models import FailureObserved
from app.core.models import IncidentTarget
from app.domain.classification.rule_classifier import RuleClassifier

ROOT = Path(__file__).parents[4]
DEGRADED = ROOT / "tests" / "fixtures" / "argocd" / "codehealer__on-health-degraded.json"
PATTERNS = ROOT / "config" / "failure_patterns.yaml"


@pytest.fixture(scope="module")
def notification() -> dict:
    return json.loads(DEGRADED.read_text(encoding="utf-8"))


def received(notification: dict, after_sync: timedelta) -> IncidentTarget:
    """The stored incident of the notification, received ``after_sync`` after the sync ended."""
    [signal] = parse_argocd_notification(notification)
    assert isinstance(signal.event, FailureObserved)
    draft = signal.event.draft
    finished = datetime.fromisoformat(notification["finishedAt"].replace("Z", "+00:00"))
    return IncidentTarget(
        id=1,
        source=draft.source,
        kind=draft.kind,
        target=draft.target,
        details=draft.details,
        received_at=finished + after_sync,
    )


def verdict(incident: IncidentTarget) -> tuple[str, str]:
    text = ArgoAppLogSource(None).fetch(incident).text
    result = RuleClassifier.from_file(PATTERNS).classify(build_excerpt(text).text)
    return result.action.value, result.fixability.value


def test_degraded_minutes_after_a_sync_proposes_a_rollback_for_a_person(notification):
    assert verdict(received(notification, timedelta(minutes=3))) == ("argocd_rollback", "unknown")


def test_degraded_an_hour_after_the_sync_proposes_no_rollback(notification):
    assert verdict(received(notification, timedelta(hours=1)))[0] == "none"


def test_the_stored_incident_gives_its_creation_time_as_the_receipt_time(notification):
    created = datetime(2024, 3, 12, 11, 5)
    incident = IncidentTarget.model_validate(
        {
            "id": 1,
            "source": "argocd",
            "kind": "argocd_app",
            "app": "guestbook",
            "created_at": created,
        }
    )
    assert incident.received_at == created
