"""The ingest contract: a verified delivery, the signals its parser makes of it."""

import json

import pytest

from app.core.enums import IncidentSource
from app.core.errors import BadRequestError, NormalizationError
from app.core.events.argocd import parse_argocd_delivery
from app.core.events.github import parse_github_delivery
from app.core.events.kubernetes import parse_kubernetes_delivery
from app.core.events.models import FailureObserved, Ping
from app.core.events.signals import Delivery, Resolved
from tests.conftest import fixture_bytes

FAILED_RUN = "github/derived__workflow_run__completed.failure.payload.json"
PING = "github/octokit__ping__payload.json"
BACKOFF = "kubernetes/event-exporter__pod-backoff.warning.json"
SYNC_FAILED = "argocd/codehealer__on-sync-failed.json"
RESOLVED = "kubernetes/alertmanager__kubepodcrashlooping.resolved.json"


def github(body: bytes, **headers: str) -> Delivery:
    named = {"x-github-event": "workflow_run", "x-github-delivery": "d-1", **headers}
    return Delivery(IncidentSource.GITHUB, body, named)


def test_a_delivery_decodes_its_body_once():
    delivery = github(fixture_bytes(FAILED_RUN))
    assert delivery.payload is delivery.payload
    assert delivery.payload["action"] == "completed"


def test_a_body_that_is_not_a_json_object_is_refused_when_read():
    with pytest.raises(BadRequestError):
        _ = github(b"[1, 2]").payload


def test_a_github_delivery_is_one_signal_named_by_its_headers():
    delivery = github(fixture_bytes(FAILED_RUN), **{"x-github-delivery": "72d3162e"})
    [signal] = parse_github_delivery(delivery)
    assert (signal.source, signal.delivery_id, signal.event_type) == (
        IncidentSource.GITHUB,
        "72d3162e",
        "workflow_run",
    )
    assert signal.payload is delivery.payload  # kept, so the body can be stored as it came
    assert isinstance(signal.event, FailureObserved) and not signal.event.coalesce


def test_a_github_ping_is_a_ping_signal():
    [signal] = parse_github_delivery(github(fixture_bytes(PING), **{"x-github-event": "ping"}))
    assert isinstance(signal.event, Ping)


@pytest.mark.parametrize("missing", ["x-github-event", "x-github-delivery"])
def test_a_github_delivery_without_a_naming_header_is_refused(missing):
    delivery = github(fixture_bytes(FAILED_RUN))
    headers = {k: v for k, v in delivery.headers.items() if k != missing}
    with pytest.raises(NormalizationError):
        parse_github_delivery(Delivery(IncidentSource.GITHUB, delivery.body, headers))


def test_an_event_type_longer_than_its_column_is_refused():
    with pytest.raises(NormalizationError):
        parse_github_delivery(github(fixture_bytes(FAILED_RUN), **{"x-github-event": "e" * 101}))


def test_failures_of_ongoing_problems_coalesce_and_lock_on_their_key():
    [pod] = parse_kubernetes_delivery(
        Delivery(IncidentSource.KUBERNETES, fixture_bytes(BACKOFF)), default_cluster="c"
    )
    [app] = parse_argocd_delivery(Delivery(IncidentSource.ARGOCD, fixture_bytes(SYNC_FAILED)))
    for signal in (pod, app):
        assert signal.event.coalesce
        assert signal.lock_key == signal.event.draft.dedup_key


def test_a_run_failure_takes_no_lock():
    [signal] = parse_github_delivery(github(fixture_bytes(FAILED_RUN)))
    assert signal.lock_key is None


def test_a_resolution_locks_on_the_key_it_closes():
    body = json.dumps(json.loads(fixture_bytes(RESOLVED))).encode()
    signals = parse_kubernetes_delivery(
        Delivery(IncidentSource.KUBERNETES, body), default_cluster="c"
    )
    resolved = [s for s in signals if isinstance(s.event, Resolved)]
    assert resolved
    assert all(s.lock_key == (s.event.coalesce_key or s.event.fingerprint) for s in resolved)
