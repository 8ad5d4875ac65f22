"""Argo CD notification bodies (the codehealer webhook templates) → signals."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.enums import Category, IncidentKind, IncidentSource
from app.core.errors import NormalizationError
from app.core.events.argocd import parse_argocd_notification, sync_of
from app.core.events.models import FailureObserved, Ignored
from app.core.events.signals import Resolved
from tests.conftest import fixture_bytes
from tests.support.cluster_api import fixture_json

REVISION = "53e28ff20cc530b9ada2173fbbd64d48338583ba"


def body(name: str) -> dict:
    return json.loads(fixture_bytes(f"argocd/{name}"))


def only_event(payload: dict):
    [signal] = parse_argocd_notification(payload)
    return signal.event


def test_sync_failed_becomes_an_app_incident_keyed_by_revision_and_phase():
    event = only_event(body("codehealer__on-sync-failed.json"))
    assert isinstance(event, FailureObserved)
    draft = event.draft
    assert (draft.source, draft.kind) == (IncidentSource.ARGOCD, IncidentKind.ARGOCD_APP)
    assert draft.dedup_key == f"argocd:guestbook:{REVISION}:Failed"
    assert draft.fingerprint == "argocd:guestbook"
    assert draft.target.app == "guestbook"
    assert draft.target.namespace == "guestbook"
    assert draft.target.reason == "SyncFailed"
    assert draft.details["category_hint"] == Category.ARGOCD_SYNC_ERROR.value
    assert "spec.template.spec.containers[0].image" in draft.details["message"]


def test_health_degraded_is_keyed_by_health():
    draft = only_event(body("codehealer__on-health-degraded.json")).draft
    assert draft.dedup_key == f"argocd:guestbook:{REVISION}:Degraded"
    assert draft.target.reason == "Degraded"


def test_synced_and_healthy_resolves_the_app():
    event = only_event(body("codehealer__on-sync-succeeded.json"))
    assert isinstance(event, Resolved)
    assert event.fingerprint == "argocd:guestbook"
    assert event.coalesce_key is None


def test_unrendered_fields_are_absent_and_the_trigger_decides():
    draft = only_event(body("codehealer__on-sync-failed.no-operation-state.json")).draft
    assert draft.dedup_key == "argocd:guestbook:unknown:Failed"
    assert draft.details["revision"] == "unknown"
    assert draft.details["message"] == ""


def test_progressing_app_is_ignored():
    payload = body("codehealer__on-sync-succeeded.json")
    payload.update(kind="on-sync-running", healthStatus="Progressing", operationPhase="Running")
    assert isinstance(only_event(payload), Ignored)


def test_same_notification_gives_the_same_delivery_id():
    first = parse_argocd_notification(body("codehealer__on-sync-failed.json"))[0]
    again = parse_argocd_notification(body("codehealer__on-sync-failed.json"))[0]
    assert first.delivery_id == again.delivery_id
    assert first.event_type == "argocd:on-sync-failed"


def test_body_without_app_is_a_bad_request():
    payload = body("codehealer__on-sync-failed.json")
    payload["app"] = "<no value>"
    with pytest.raises(NormalizationError, match="app"):
        parse_argocd_notification(payload)


JSON_VALUE = (
    st.none() | st.booleans() | st.integers() | st.text(max_size=30) | st.lists(st.integers())
)
FIELDS = [
    "kind",
    "app",
    "revision",
    "operationRevision",
    "syncStatus",
    "healthStatus",
    "operationPhase",
    "message",
]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), JSON_VALUE, max_size=8))
def test_any_json_object_parses_or_is_a_bad_request(payload):
    try:
        [signal] = parse_argocd_notification(payload)
    except NormalizationError:
        return
    assert signal.delivery_id.startswith("argocd:")


@pytest.mark.parametrize(
    "field, value",
    [
        ("app", "guest\nbook"),
        ("app", "guestbook/../other"),
        ("app", "Guestbook"),
        ("app", "."),
        ("destNamespace", "guest book"),
        ("appNamespace", "../argocd"),
    ],
)
def test_a_name_outside_rfc_1123_is_a_bad_request(field, value):
    payload = body("codehealer__on-sync-failed.json")
    payload[field] = value
    with pytest.raises(NormalizationError, match=field):
        parse_argocd_notification(payload)


def test_a_succeeded_sync_reads_as_its_revision_time_and_images():
    payload = fixture_json("argocd/codehealer__on-sync-succeeded.json")
    payload["images"] = ["ghcr.io/octo-org/guestbook:sha-1a2b3c4", "<no value>"]
    sync = sync_of(payload)
    assert sync is not None
    assert sync.revision == payload["operationRevision"]
    assert sync.at is not None and sync.at.isoformat().startswith("2024-03-12T11:20:05")
    assert sync.images == ("ghcr.io/octo-org/guestbook:sha-1a2b3c4",)


def test_a_failed_sync_is_no_sync():
    assert sync_of(fixture_json("argocd/codehealer__on-sync-failed.json")) is None


def test_the_images_of_a_failure_are_kept_on_the_incident():
    payload = fixture_json("argocd/codehealer__on-health-degraded.json")
    payload["images"] = ["ghcr.io/octo-org/guestbook:sha-1a2b3c4"]
    [signal] = parse_argocd_notification(payload)
    assert signal.event.draft.details["images"] == ["ghcr.io/octo-org/guestbook:sha-1a2b3c4"]
