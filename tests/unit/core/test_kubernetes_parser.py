"""Kubernetes Event (kubernetes-event-exporter) and Alertmanager bodies → signals."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.enums import Category, IncidentKind, IncidentSource, Severity
from app.core.errors import NormalizationError
from app.core.events.kubernetes import parse_kubernetes_payload
from app.core.events.models import FailureObserved, Ignored
from app.core.events.signals import Resolved
from tests.conftest import fixture_bytes


def parse(relative: str, **kwargs):
    return parse_kubernetes_payload(json.loads(fixture_bytes(f"kubernetes/{relative}")), **kwargs)


def only_draft(relative: str, **kwargs):
    [signal] = parse(relative, **kwargs)
    assert isinstance(signal.event, FailureObserved)
    return signal.event.draft


def test_normal_event_is_ignored():
    [signal] = parse("event-exporter__pod-pulling.normal.json")
    assert isinstance(signal.event, Ignored)
    assert "Normal" in signal.event.reason


def test_backoff_event_becomes_a_crashloop_failure_of_the_pod():
    draft = only_draft("event-exporter__pod-backoff.warning.json")
    assert draft.source is IncidentSource.KUBERNETES
    assert draft.kind is IncidentKind.K8S_POD
    assert (draft.target.cluster, draft.target.namespace, draft.target.pod) == (
        "prod-eu-1",
        "shop",
        "checkout-7d9f8b6c5-x2lqz",
    )
    assert draft.target.container == "checkout"
    assert draft.target.reason == "CrashLoopBackOff"
    assert draft.details["category_hint"] == Category.K8S_CRASHLOOP.value
    assert draft.details["event_reason"] == "BackOff"
    assert draft.details["count"] == 31


def test_pod_template_hash_names_the_owning_deployment():
    draft = only_draft("event-exporter__pod-backoff.warning.json")
    assert (draft.target.owner_kind, draft.target.owner_name) == ("Deployment", "checkout")
    assert draft.fingerprint == "k8s:prod-eu-1:shop:deployment/checkout:CrashLoopBackOff"
    assert draft.dedup_key == draft.fingerprint


def test_replicas_of_one_deployment_share_a_fingerprint():
    body = json.loads(fixture_bytes("kubernetes/event-exporter__pod-backoff.warning.json"))
    first = parse_kubernetes_payload(body)[0].event.draft
    body["involvedObject"]["name"] = "checkout-7d9f8b6c5-abcde"
    second = parse_kubernetes_payload(body)[0].event.draft
    assert first.fingerprint == second.fingerprint
    assert first.target.pod != second.target.pod


def test_statefulset_pod_label_names_the_statefulset():
    draft = only_draft("event-exporter__pod-failedscheduling.warning.json")
    assert (draft.target.owner_kind, draft.target.owner_name) == ("StatefulSet", "search-indexer")
    assert draft.target.reason == "FailedScheduling"
    assert draft.details["first_timestamp"].startswith("2024-03-12T09:45:00")


def test_backoff_pulling_image_is_an_image_pull_failure():
    draft = only_draft("event-exporter__pod-image-pull-backoff.warning.json")
    assert draft.target.reason == "ImagePullBackOff"
    assert draft.details["category_hint"] == Category.K8S_IMAGE_PULL.value


def test_failed_errimagepull_is_an_image_pull_failure():
    draft = only_draft("event-exporter__pod-failed-errimagepull.warning.json")
    assert draft.target.reason == "ErrImagePull"


def test_empty_cluster_name_falls_back_to_the_configured_one():
    draft = only_draft(
        "event-exporter__pod-failed-errimagepull.warning.json", default_cluster="edge"
    )
    assert draft.target.cluster == "edge"


def test_oomkilling_on_a_node_is_a_workload_oom_failure():
    draft = only_draft("event-exporter__node-oomkilling.warning.json")
    assert draft.kind is IncidentKind.K8S_WORKLOAD
    assert draft.target.reason == "OOMKilled"
    assert (draft.target.owner_kind, draft.target.pod) == ("Node", None)
    assert draft.details["category_hint"] == Category.K8S_OOM.value


def test_warning_with_a_reason_not_acted_on_is_ignored():
    body = json.loads(fixture_bytes("kubernetes/event-exporter__pod-backoff.warning.json"))
    body["reason"] = "FailedGetResourceMetric"
    [signal] = parse_kubernetes_payload(body)
    assert isinstance(signal.event, Ignored)


def test_event_delivery_id_is_the_body_hash():
    body = json.loads(fixture_bytes("kubernetes/event-exporter__pod-backoff.warning.json"))
    first = parse_kubernetes_payload(body)[0].delivery_id
    assert parse_kubernetes_payload(dict(body))[0].delivery_id == first
    body["count"] = 32
    assert parse_kubernetes_payload(body)[0].delivery_id != first


def test_crashlooping_alert_becomes_a_failure_keyed_by_pod():
    draft = only_draft("alertmanager__kubepodcrashlooping.firing.json")
    assert draft.target.reason == "CrashLoopBackOff"
    assert draft.fingerprint == "k8s:default:shop:pod/checkout-7d9f8b6c5-x2lqz:CrashLoopBackOff"
    assert draft.severity is Severity.MEDIUM
    assert draft.details["alertname"] == "KubePodCrashLooping"
    assert "waiting state" in draft.details["message"]
    assert draft.html_url.startswith("http://prometheus.example.org:9090/graph")


def test_resolved_alert_closes_the_same_fingerprint():
    firing = only_draft("alertmanager__kubepodcrashlooping.firing.json")
    [signal] = parse("alertmanager__kubepodcrashlooping.resolved.json")
    assert isinstance(signal.event, Resolved)
    assert signal.event.fingerprint == firing.fingerprint
    assert signal.event.coalesce_key == firing.dedup_key


def test_resolved_alert_is_a_different_delivery_than_the_firing_one():
    [firing] = parse("alertmanager__kubepodcrashlooping.firing.json")
    [resolved] = parse("alertmanager__kubepodcrashlooping.resolved.json")
    assert firing.delivery_id != resolved.delivery_id


def test_group_with_two_alerts_gives_two_signals_with_their_reason_labels():
    signals = parse("alertmanager__kubecontainerwaiting.two-alerts.firing.json")
    reasons = [s.event.draft.target.reason for s in signals]
    assert reasons == ["ImagePullBackOff", "CreateContainerConfigError"]
    assert len({s.delivery_id for s in signals}) == 2
    assert all("alert" in s.payload and "alerts" not in s.payload for s in signals)


def test_alert_without_namespace_is_ignored():
    [signal] = parse("alertmanager__sample-v4-payload.probe-failure.json")
    assert isinstance(signal.event, Ignored)


def test_body_of_neither_shape_is_a_bad_request():
    with pytest.raises(NormalizationError, match="neither"):
        parse_kubernetes_payload({"hello": "world"})


def test_event_without_reason_fields_is_a_bad_request():
    with pytest.raises(NormalizationError, match="involved_object|involvedObject"):
        parse_kubernetes_payload({"involvedObject": {"kind": "Pod"}, "type": "Warning"})


def test_alertmanager_version_other_than_4_is_a_bad_request():
    body = json.loads(fixture_bytes("kubernetes/alertmanager__kubepodcrashlooping.firing.json"))
    body["version"] = "3"
    with pytest.raises(NormalizationError, match="version"):
        parse_kubernetes_payload(body)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
SHAPED = st.fixed_dictionaries(
    {},
    optional={
        "involvedObject": JSON,
        "alerts": JSON,
        "groupKey": JSON,
        "version": JSON,
        "type": JSON,
        "reason": JSON,
        "message": JSON,
        "status": JSON,
    },
)


@settings(max_examples=300, deadline=None)
@given(SHAPED)
def test_any_json_object_parses_or_is_a_bad_request(payload):
    try:
        signals = parse_kubernetes_payload(payload)
    except NormalizationError:
        return
    assert all(s.delivery_id for s in signals)


# --- values that could not be stored, and names that would steer API paths -------------------
def backoff_with(**changes) -> dict:
    payload = json.loads(fixture_bytes("kubernetes/event-exporter__pod-backoff.warning.json"))
    for key, value in changes.items():
        if key in ("namespace", "name", "fieldPath"):
            payload["involvedObject"][key] = value
        else:
            payload[key] = value
    return payload


def test_an_event_time_outside_the_storable_range_is_dropped_with_a_note():
    payload = backoff_with(lastTimestamp="0001-01-01T00:00:00+14:00")
    [signal] = parse_kubernetes_payload(payload)
    details = signal.event.draft.details
    assert details["last_timestamp"] is None
    assert details["first_timestamp"] == "2024-03-12T09:14:02+00:00"
    assert details["dropped_fields"] == [
        "last_timestamp 0001-01-01T00:00:00+14:00 is outside the years 1-9999 in UTC"
    ]


def test_an_event_count_past_the_integer_range_is_a_bad_request():
    with pytest.raises(NormalizationError, match="count"):
        parse_kubernetes_payload(backoff_with(count=2**31))


@pytest.mark.parametrize(
    "changes",
    [
        {"namespace": "shop\n"},
        {"namespace": "../kube-system"},
        {"name": "checkout..x"},
        {"name": "checkout/../../secrets"},
        {"fieldPath": "spec.containers{Check_Out}"},
    ],
    ids=["namespace-newline", "namespace-dots", "pod-dots", "pod-slashes", "container"],
)
def test_an_event_naming_its_target_outside_rfc_1123_is_a_bad_request(changes):
    with pytest.raises(NormalizationError, match="not a Kubernetes name"):
        parse_kubernetes_payload(backoff_with(**changes))


@pytest.mark.parametrize("label", ["namespace", "pod", "deployment", "container"])
def test_an_alert_naming_its_target_outside_rfc_1123_is_a_bad_request(label):
    payload = json.loads(fixture_bytes("kubernetes/alertmanager__kubepodcrashlooping.firing.json"))
    payload["alerts"][0]["labels"][label] = "x/../y"
    with pytest.raises(NormalizationError, match="not a Kubernetes name"):
        parse_kubernetes_payload(payload)
