"""Ports for the Kubernetes and Argo CD integrations: what remediators, log sources and the
sweep need from each API. The httpx clients in app/adapters/external implement them."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from app.core.errors import ArgoCDError

# Kubernetes objects and Argo CD applications are passed as the JSON the APIs return.
KubeObject = dict[str, Any]


class OperationInProgressError(ArgoCDError):
    """Argo CD refused because another operation on the application is still running."""


class Eviction(StrEnum):
    ACCEPTED = "accepted"  # 200/201: the pod is being evicted
    GONE = "gone"  # 404: there is no such pod
    REFUSED = "refused"  # 429: a PodDisruptionBudget does not allow it now


@dataclass(frozen=True)
class EvictionOutcome:
    result: Eviction
    retry_after: float | None = None


class KubernetesApi(Protocol):
    """The Kubernetes API calls CodeHealer makes. None of them deletes anything."""

    def get_pod(self, namespace: str, name: str) -> KubeObject | None:
        """The pod, or None when it does not exist (404)."""
        ...

    def list_pod_events(self, namespace: str, pod: str, *, limit: int = 50) -> list[KubeObject]: ...

    def read_pod_log(
        self,
        namespace: str,
        pod: str,
        *,
        container: str | None = None,
        previous: bool = True,
        tail_lines: int = 200,
    ) -> str | None:
        """The log tail, or None when there is none (no previous container, pod gone)."""
        ...

    def get_workload(self, namespace: str, kind: str, name: str) -> KubeObject | None: ...

    def list_replicasets(self, namespace: str, selector: dict[str, str]) -> list[KubeObject]:
        """The ReplicaSets whose labels match ``selector``."""
        ...

    def owner_chain(self, namespace: str, pod: KubeObject) -> list[tuple[str, str]]:
        """Controllers of the pod, nearest first: e.g. [(ReplicaSet, x-7d9f), (Deployment, x)]."""
        ...

    def patch_workload(
        self, namespace: str, kind: str, name: str, patch: dict[str, Any]
    ) -> KubeObject:
        """Strategic merge patch of a Deployment or StatefulSet."""
        ...

    def replace_pod_template(
        self,
        namespace: str,
        name: str,
        *,
        template: dict[str, Any],
        annotations: dict[str, str],
        resource_version: str | None = None,
    ) -> KubeObject:
        """Replace a Deployment's pod template and annotations (a JSON patch)."""
        ...

    def evict_pod(self, namespace: str, name: str) -> EvictionOutcome:
        """POST the pod's eviction subresource (PodDisruptionBudgets are honoured)."""
        ...


class ArgoCDApi(Protocol):
    """The Argo CD API calls CodeHealer makes."""

    def get_application(self, name: str, *, refresh: str | None = None) -> KubeObject: ...

    def sync(self, name: str, *, revision: str | None = None, prune: bool = False) -> KubeObject:
        """Raises OperationInProgressError while another operation runs."""
        ...

    def rollback(self, name: str, history_id: int, *, prune: bool = False) -> KubeObject:
        """Raises OperationInProgressError while another operation runs."""
        ...

    def disable_auto_sync(self, name: str) -> KubeObject: ...
