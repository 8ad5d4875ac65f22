"""LogSource for Kubernetes incidents: container state, recent events and the previous
container's log tail, as one text the analyzer can classify.

The text names the Kubernetes reason words (CrashLoopBackOff, OOMKilled, ErrImagePull, ...)
exactly as the API reports them, because the failure patterns and the excerpt markers key on
them. Without a configured API server, the incident's own event or alert is the text.
"""

from typing import Any

from app.core.cluster_ports import KubeObject, KubernetesApi
from app.core.errors import KubernetesError
from app.core.models import FetchedLogs, IncidentTarget
from app.core.targets import WorkloadTarget


class KubernetesLogSource:
    def __init__(
        self, client: KubernetesApi | None, *, tail_lines: int = 200, max_events: int = 20
    ):
        self.client = client
        self.tail_lines = tail_lines
        self.max_events = max_events

    def fetch(self, incident: IncidentTarget) -> FetchedLogs:
        header = incident_summary(incident)
        target = workload_of(incident)
        client = self.client
        if client is None:
            return FetchedLogs(
                text="\n".join(header),
                note="Kubernetes API is not configured: analysed from the event or alert only",
            )
        if not target.namespace:
            raise KubernetesError("the incident names no namespace", status_code=400)
        if not target.pod:
            workload = self._workload(client, target.namespace, target)
            return FetchedLogs(text="\n".join(header + workload))
        pod = client.get_pod(target.namespace, target.pod)
        if pod is None:
            return FetchedLogs(
                text="\n".join(header + [f"Pod {target.pod} no longer exists."]),
                note="the pod is gone; analysed from the event or alert only",
            )
        sections = header + pod_status_lines(pod, target.container)
        sections += self._events(client, target.namespace, target.pod)
        container = _container(pod, target.container)
        sections += self._log(client, target.namespace, target.pod, container)
        return FetchedLogs(text="\n".join(sections))

    def _workload(
        self, client: KubernetesApi, namespace: str, target: WorkloadTarget
    ) -> list[str]:
        if not (target.owner_kind and target.owner_name):
            return []
        try:
            obj = client.get_workload(namespace, target.owner_kind, target.owner_name)
        except KubernetesError:
            return []  # a kind we cannot read (e.g. a Node): the event text is all there is
        if obj is None:
            return [f"{target.owner_kind} {target.owner_name} no longer exists."]
        status = obj.get("status") or {}
        lines = [
            f"{target.owner_kind} {target.owner_name}: {status.get('readyReplicas', 0)}/"
            f"{status.get('replicas', 0)} replicas ready"
        ]
        for condition in status.get("conditions") or []:
            lines.append(
                f"condition {condition.get('type')}={condition.get('status')}: "
                f"{condition.get('reason', '')} {condition.get('message', '')}".rstrip()
            )
        return lines

    def _events(self, client: KubernetesApi, namespace: str, pod: str) -> list[str]:
        events = client.list_pod_events(namespace, pod)[-self.max_events :]
        if not events:
            return []
        lines = ["=== recent events ==="]
        for event in events:
            lines.append(
                f"{event.get('type', '?')} {event.get('reason', '?')} "
                f"(x{event.get('count') or 1}): {event.get('message', '')}"
            )
        return lines

    def _log(
        self, client: KubernetesApi, namespace: str, pod: str, container: str | None
    ) -> list[str]:
        log = client.read_pod_log(
            namespace, pod, container=container, previous=True, tail_lines=self.tail_lines
        )
        which = "previous"
        if log is None:
            log = client.read_pod_log(
                namespace, pod, container=container, previous=False, tail_lines=self.tail_lines
            )
            which = "current"
        if not log:
            return []
        name = f" {container!r}" if container else ""
        return [f"=== {which} container{name} log (last {self.tail_lines} lines) ===", log]


def workload_of(incident: IncidentTarget) -> WorkloadTarget:
    """The incident's workload; an empty one (nothing named) when it has none."""
    target = incident.target
    return target if isinstance(target, WorkloadTarget) else WorkloadTarget()


def incident_summary(incident: IncidentTarget) -> list[str]:
    """What the webhook told us: reason, category hint and message."""
    details = incident.details or {}
    target = workload_of(incident)
    where = "/".join(p for p in (target.namespace, target.pod or target.owner_name) if p)
    lines = [f"Kubernetes {incident.kind.value} {where or '?'} in cluster {target.cluster or '?'}"]
    if target.reason:
        lines.append(f"Reason: {target.reason}")
    if details.get("category_hint"):
        lines.append(f"Category hint: {details['category_hint']}")
    if details.get("message"):
        lines.append(f"Message: {details['message']}")
    if details.get("alertname"):
        lines.append(f"Alert: {details['alertname']}")
    return lines


def pod_status_lines(pod: KubeObject, only: str | None = None) -> list[str]:
    """Phase, and per container: state, last termination (OOMKilled, exit code), limits."""
    status = pod.get("status") or {}
    lines = [f"Pod phase: {status.get('phase', '?')}"]
    limits = _memory_limits(pod)
    statuses = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    for container in statuses:
        name = container.get("name")
        if only and name != only:
            continue
        lines.append(
            f"container {name}: ready={container.get('ready')} "
            f"restarts={container.get('restartCount', 0)} memory limit={limits.get(name, 'none')}"
        )
        lines += _state_lines("state", container.get("state") or {})
        lines += _state_lines("last state", container.get("lastState") or {})
    return lines


def _state_lines(label: str, state: dict[str, Any]) -> list[str]:
    if "waiting" in state:
        waiting = state["waiting"] or {}
        return [f"  {label}: waiting {waiting.get('reason', '')}: {waiting.get('message', '')}"]
    if "terminated" in state:
        done = state["terminated"] or {}
        return [
            f"  {label}: terminated {done.get('reason', '')}, exit code {done.get('exitCode')}"
            f" at {done.get('finishedAt', '?')}"
            + (f": {done['message']}" if done.get("message") else "")
        ]
    return []


def _memory_limits(pod: KubeObject) -> dict[str, str]:
    spec = pod.get("spec") or {}
    return {
        c.get("name"): ((c.get("resources") or {}).get("limits") or {}).get("memory", "none")
        for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])
    }


def _container(pod: KubeObject, wanted: str | None) -> str | None:
    """The container to read: the named one, else the one that restarted most."""
    if wanted:
        return wanted
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    if not statuses:
        return None
    return max(statuses, key=lambda c: c.get("restartCount", 0)).get("name")
