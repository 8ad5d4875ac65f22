"""Kubernetes senders → signals. Pure: a payload in, a list of Signal out.

Two shapes arrive on ``POST /webhooks/kubernetes``:

* a core/v1 ``Event`` as kubernetes-event-exporter's webhook receiver posts it (the Event
  object, plus ``clusterName`` and the involved object's labels);
* a Prometheus Alertmanager webhook (``version: "4"``, ``groupKey``, ``alerts``), whose alerts
  come from kube-state-metrics rules such as KubePodCrashLooping or KubeContainerWaiting.

Both are reduced to the same incident fields, and the raw Kubernetes reason is normalized to
the word ``kubectl get pods`` would show (CrashLoopBackOff, ImagePullBackOff, OOMKilled, ...),
so an event and an alert about the same problem share a fingerprint and coalesce.
"""

import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from app.core.enums import Category, IncidentKind, IncidentSource, Severity
from app.core.errors import NormalizationError
from app.core.events.fields import (
    PayloadCount,
    PayloadDatetime,
    dropped_details,
    validate_payload,
)
from app.core.events.models import FailureObserved, Ignored, IncidentDraft
from app.core.events.signals import (
    Delivery,
    Resolved,
    Signal,
    body_hash,
    bounded_key,
    present,
)
from app.core.names import is_dns_label, is_dns_subdomain
from app.core.redaction import mask_secrets
from app.core.targets import WorkloadTarget

EVENT_TYPE = "k8s_event"
ALERT_TYPE = "alertmanager"


class ReasonHint(NamedTuple):
    category: Category
    severity: Severity


# Normalized reason → what it most likely means. A hint for the analyzer, not a verdict.
REASON_MAP: dict[str, ReasonHint] = {
    "CrashLoopBackOff": ReasonHint(Category.K8S_CRASHLOOP, Severity.HIGH),
    "ImagePullBackOff": ReasonHint(Category.K8S_IMAGE_PULL, Severity.HIGH),
    "ErrImagePull": ReasonHint(Category.K8S_IMAGE_PULL, Severity.HIGH),
    "InvalidImageName": ReasonHint(Category.K8S_IMAGE_PULL, Severity.HIGH),
    "OOMKilled": ReasonHint(Category.K8S_OOM, Severity.HIGH),
    "CreateContainerConfigError": ReasonHint(Category.CONFIG_SYNTAX, Severity.HIGH),
    "FailedScheduling": ReasonHint(Category.UNKNOWN, Severity.MEDIUM),
    "Unhealthy": ReasonHint(Category.UNKNOWN, Severity.MEDIUM),
    "FailedMount": ReasonHint(Category.UNKNOWN, Severity.MEDIUM),
    "FailedCreatePodSandBox": ReasonHint(Category.UNKNOWN, Severity.MEDIUM),
    "Evicted": ReasonHint(Category.UNKNOWN, Severity.MEDIUM),
    "NotReady": ReasonHint(Category.UNKNOWN, Severity.MEDIUM),
    "Failed": ReasonHint(Category.UNKNOWN, Severity.MEDIUM),
}
DEFAULT_HINT = ReasonHint(Category.UNKNOWN, Severity.MEDIUM)

# Alertmanager: alertname → reason, when the alert carries no ``reason`` label of its own.
ALERT_REASONS = {
    "KubePodCrashLooping": "CrashLoopBackOff",
    "KubePodNotReady": "NotReady",
    "KubeContainerOOMKilled": "OOMKilled",
    "KubernetesContainerOomKiller": "OOMKilled",
}
ALERT_SEVERITY = {
    "critical": Severity.CRITICAL,
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "info": Severity.LOW,
}
WORKLOAD_LABELS = (
    ("deployment", "Deployment"),
    ("statefulset", "StatefulSet"),
    ("daemonset", "DaemonSet"),
)

_CONTAINER_FIELD = re.compile(r"^spec\.(?:init|ephemeral)?[cC]ontainers\{([^}]+)\}$")
_ORDINAL = re.compile(r"^(.+)-\d+$")


def hint(reason: str | None) -> ReasonHint:
    return REASON_MAP.get(reason or "", DEFAULT_HINT)


# --- the sender's shapes (lenient: only what we read) ---------------------------------------
class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", alias_generator=to_camel, populate_by_name=True)


class _ObjectRef(_Lenient):
    kind: str
    name: str
    namespace: str | None = None
    uid: str | None = None
    field_path: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class _Event(_Lenient):
    involved_object: _ObjectRef
    reason: str | None = None
    message: str | None = None
    type: str | None = None
    count: PayloadCount | None = None
    first_timestamp: PayloadDatetime = None
    last_timestamp: PayloadDatetime = None
    event_time: PayloadDatetime = None
    source: dict[str, Any] | None = None
    reporting_component: str | None = None
    cluster_name: str | None = None


class _Alert(_Lenient):
    status: str
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: str | None = None
    ends_at: str | None = None
    generator_url: str | None = Field(default=None, alias="generatorURL")
    fingerprint: str | None = None


class _AlertGroup(_Lenient):
    version: str
    group_key: str
    status: str
    receiver: str | None = None
    group_labels: dict[str, str] = Field(default_factory=dict)
    common_labels: dict[str, str] = Field(default_factory=dict)
    external_url: str | None = Field(default=None, alias="externalURL")
    alerts: list[_Alert]
    truncated_alerts: PayloadCount = 0


# --- entry point -----------------------------------------------------------------------------
def parse_kubernetes_delivery(delivery: Delivery, *, default_cluster: str) -> list[Signal]:
    """The parser of ``POST /webhooks/kubernetes`` (the ingest contract,
    app/core/events/signals.py); ``default_cluster`` names a cluster the body does not."""
    return parse_kubernetes_payload(delivery.payload, default_cluster=default_cluster)


def parse_kubernetes_payload(
    payload: dict[str, Any], *, default_cluster: str = "default"
) -> list[Signal]:
    """Detect the shape (Event or Alertmanager) and map it to signals.

    Raises:
        NormalizationError: the body is neither shape, or lacks a field that shape needs.
    """
    if "involvedObject" in payload:
        return _guarded("Kubernetes Event", lambda: [_event(payload, default_cluster)])
    if "alerts" in payload and "groupKey" in payload:
        return _guarded("Alertmanager webhook", lambda: _alert_group(payload, default_cluster))
    raise NormalizationError(
        "body is neither a Kubernetes Event (involvedObject, reason, ...) nor an "
        "Alertmanager webhook (version, groupKey, alerts)"
    )


def _guarded(shape: str, parse: Callable[[], list[Signal]]) -> list[Signal]:
    try:
        return parse()
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        raise NormalizationError(f"{shape} is missing or has invalid fields: {fields}") from exc


# --- core/v1 Event ---------------------------------------------------------------------------
def normalize_event_reason(reason: str | None, message: str | None) -> str | None:
    """The event reason as the pod status word, or None when it is not a failure we act on.

    The kubelet reports both "Back-off restarting failed container" and "Back-off pulling
    image" under reason ``BackOff``, and image-pull errors under ``Failed``; the message is
    the only thing that tells them apart.
    """
    text = (message or "").lower()
    if reason == "BackOff":
        return "ImagePullBackOff" if "pulling image" in text else "CrashLoopBackOff"
    if reason == "Failed":
        for word in ("ImagePullBackOff", "ErrImagePull", "InvalidImageName"):
            if word.lower() in text:
                return word
        if "pull image" in text or "pulling image" in text:
            return "ErrImagePull"
        if "createcontainerconfigerror" in text:
            return "CreateContainerConfigError"
        return "Failed"
    if reason == "OOMKilling":
        return "OOMKilled"
    if reason in REASON_MAP:
        return reason
    return None


def _event(payload: dict[str, Any], default_cluster: str) -> Signal:
    event, dropped = validate_payload(_Event, payload)
    obj = event.involved_object
    signal = {
        "source": IncidentSource.KUBERNETES,
        "delivery_id": f"k8s:{body_hash(payload)}",
        "event_type": EVENT_TYPE,
        "payload": payload,
    }
    if (event.type or "").lower() != "warning":
        return Signal(
            **signal, event=Ignored(reason=f"{event.type or 'untyped'} event {event.reason!r}")
        )
    reason = normalize_event_reason(event.reason, event.message)
    if reason is None:
        return Signal(
            **signal, event=Ignored(reason=f"warning reason {event.reason!r} is not acted on")
        )
    cluster = present(event.cluster_name) or default_cluster
    namespace = obj.namespace or (payload.get("metadata") or {}).get("namespace")
    pod = obj.name if obj.kind == "Pod" else None
    owner_kind, owner_name = _event_owner(obj)
    container = _container(obj.field_path)
    message = mask_secrets(event.message or "")
    draft = _draft(
        cluster=cluster,
        namespace=namespace,
        pod=pod,
        container=container,
        owner=(owner_kind, owner_name),
        target=f"{(owner_kind or obj.kind).lower()}/{owner_name or obj.name}",
        reason=reason,
        title=f"{namespace or '-'}/{obj.name}: {reason} — {message[:200]}",
        details={
            "event_reason": event.reason,
            "message": message,
            "involved_kind": obj.kind,
            "involved_uid": obj.uid,
            "count": event.count,
            "first_timestamp": _iso(event.first_timestamp or event.event_time),
            "last_timestamp": _iso(event.last_timestamp),
            "reporter": (event.source or {}).get("component") or event.reporting_component,
            "node": (event.source or {}).get("host"),
            **dropped_details(dropped),
        },
    )
    return Signal(**signal, event=FailureObserved(draft=draft, coalesce=True))


def _event_owner(obj: _ObjectRef) -> tuple[str | None, str | None]:
    """The controller of a pod, from the labels its controller sets on it.

    The Deployment controller names pods ``{deployment}-{pod-template-hash}-{5 chars}`` and
    labels them with the hash; the StatefulSet controller names them ``{sts}-{ordinal}`` and
    labels them with ``statefulset.kubernetes.io/pod-name``. Replicas of one workload then
    share one fingerprint, so a crash-looping Deployment of ten pods is one incident.
    """
    if obj.kind != "Pod":
        return obj.kind, obj.name
    template_hash = obj.labels.get("pod-template-hash")
    if template_hash:
        match = re.match(rf"^(.+)-{re.escape(template_hash)}-[a-z0-9]{{5}}$", obj.name)
        if match:
            return "Deployment", match.group(1)
    if obj.labels.get("statefulset.kubernetes.io/pod-name") == obj.name:
        match = _ORDINAL.match(obj.name)
        if match:
            return "StatefulSet", match.group(1)
    return None, None


def _container(field_path: str | None) -> str | None:
    match = _CONTAINER_FIELD.match(field_path or "")
    return match.group(1) if match else None


# --- Alertmanager ------------------------------------------------------------------------------
def _alert_group(payload: dict[str, Any], default_cluster: str) -> list[Signal]:
    group = _AlertGroup.model_validate(payload)
    if group.version != "4":
        raise NormalizationError(f"Alertmanager webhook version {group.version!r} is not supported")
    envelope = {k: v for k, v in payload.items() if k != "alerts"}
    raw_alerts = payload.get("alerts") or []
    return [
        _alert(group, alert, {**envelope, "alert": raw}, default_cluster)
        for alert, raw in zip(group.alerts, raw_alerts, strict=True)
    ]


def alert_delivery_id(group_key: str, alert: _Alert) -> str:
    """Alertmanager resends a group on every repeat interval: same key, same delivery."""
    identity = alert.fingerprint or body_hash(alert.labels)
    raw = f"{group_key}|{alert.status}|{identity}|{alert.starts_at}"
    return f"am:{hashlib.sha256(raw.encode()).hexdigest()}"


def _alert(
    group: _AlertGroup, alert: _Alert, payload: dict[str, Any], default_cluster: str
) -> Signal:
    labels = alert.labels
    alertname = labels.get("alertname", "alert")
    signal = {
        "source": IncidentSource.KUBERNETES,
        "delivery_id": alert_delivery_id(group.group_key, alert),
        "event_type": ALERT_TYPE,
        "payload": payload,
    }
    namespace = labels.get("namespace")
    if not namespace:
        return Signal(
            **signal, event=Ignored(reason=f"alert {alertname} names no namespace")
        )
    reason = labels.get("reason") or ALERT_REASONS.get(alertname) or alertname
    owner = next(((kind, labels[key]) for key, kind in WORKLOAD_LABELS if labels.get(key)), None)
    pod = labels.get("pod")
    target = f"{owner[0].lower()}/{owner[1]}" if owner else f"pod/{pod}" if pod else alertname
    cluster = labels.get("cluster") or default_cluster
    fingerprint = _fingerprint(cluster, namespace, target, reason)
    if alert.status == "resolved":
        resolved = Resolved(
            source=IncidentSource.KUBERNETES,
            fingerprint=fingerprint,
            coalesce_key=fingerprint,
            reason=f"alert {alertname} resolved",
        )
        return Signal(**signal, event=resolved)
    description = mask_secrets(
        alert.annotations.get("description") or alert.annotations.get("message") or ""
    )
    draft = _draft(
        cluster=cluster,
        namespace=namespace,
        pod=pod,
        container=labels.get("container"),
        owner=owner or (None, None),
        target=target,
        reason=reason,
        title=f"{namespace}/{pod or target}: {alert.annotations.get('summary') or alertname}",
        severity=ALERT_SEVERITY.get(labels.get("severity", "").lower()),
        html_url=alert.generator_url,
        details={
            "alertname": alertname,
            "message": description,
            "summary": alert.annotations.get("summary"),
            "runbook_url": alert.annotations.get("runbook_url"),
            "alert_fingerprint": alert.fingerprint,
            "first_timestamp": alert.starts_at,
            "receiver": group.receiver,
        },
    )
    return Signal(**signal, event=FailureObserved(draft=draft, coalesce=True))


# --- shared ------------------------------------------------------------------------------------
def _fingerprint(cluster: str, namespace: str | None, target: str, reason: str) -> str:
    return bounded_key(f"k8s:{cluster}:{namespace or '-'}:{target}:{reason}")


def _draft(
    *,
    cluster: str,
    namespace: str | None,
    pod: str | None,
    container: str | None,
    owner: tuple[str | None, str | None],
    target: str,
    reason: str,
    title: str,
    details: dict[str, Any],
    severity: Severity | None = None,
    html_url: str | None = None,
) -> IncidentDraft:
    reason_hint = hint(reason)
    fingerprint = _fingerprint(cluster, namespace, target, reason)
    owner_kind, owner_name = owner
    _check_names(namespace=namespace, pod=pod, container=container, owner_name=owner_name)
    return IncidentDraft(
        source=IncidentSource.KUBERNETES,
        kind=IncidentKind.K8S_POD if pod else IncidentKind.K8S_WORKLOAD,
        dedup_key=fingerprint,
        fingerprint=fingerprint,
        title=title[:500],
        severity=severity or reason_hint.severity,
        html_url=html_url,
        target=WorkloadTarget(
            cluster=cluster,
            namespace=namespace,
            pod=pod,
            container=container,
            owner_kind=owner_kind,
            owner_name=owner_name,
            reason=reason,
        ),
        details={**details, "category_hint": reason_hint.category.value},
    )


def _check_names(**names: Any) -> None:
    """Target names reach Kubernetes API paths: refused here unless they are RFC 1123 names."""
    labels = ("namespace", "container")
    for field, name in names.items():
        if name is None:
            continue
        check = is_dns_label if field in labels else is_dns_subdomain
        if not isinstance(name, str) or not check(name):
            raise NormalizationError(
                f"{field} {str(name)[:80]!r} is not a Kubernetes name (RFC 1123)"
            )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
