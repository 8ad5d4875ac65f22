"""Kubernetes API client: the few calls CodeHealer makes, over one httpx client and one retry point.

Configuration is either explicit (K8S_API_URL, K8S_TOKEN, K8S_CA_FILE) or in-cluster
(K8S_IN_CLUSTER=true: the service account token and CA mounted into every pod, and the API
address from KUBERNETES_SERVICE_HOST/PORT). ``kubernetes_connection`` takes the environment
and the mount folder as parameters, so nothing here reads the process environment itself.

There is deliberately no delete call: a pod is restarted through the Eviction API, which
honours PodDisruptionBudgets.
"""

import ssl
import threading
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from app.adapters.external.http import (
    IntegrationClient,
    resilient_client,
    retry_after_seconds,
)
from app.core.cluster_ports import Eviction, EvictionOutcome, KubeObject
from app.core.errors import ConfigurationError, KubernetesError
from app.core.names import is_dns_label, is_dns_subdomain
from app.core.settings_parts import KubernetesSettings

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
STRATEGIC_MERGE = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
MAX_LOG_BYTES = 1024 * 1024
TOKEN_REREAD_SECONDS = (
    60.0  # projected service account tokens rotate; the kubelet rewrites the file
)

WORKLOAD_PATHS = {
    "Deployment": "deployments",
    "StatefulSet": "statefulsets",
    "ReplicaSet": "replicasets",
    "DaemonSet": "daemonsets",
}
PATCHABLE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet"})


def checked_namespace(value: str) -> str:
    if not is_dns_label(value):
        raise KubernetesError(f"not a namespace name: {value!r}")
    return value


def checked_name(value: str) -> str:
    """Object names come from payloads: they must not be able to steer the request path."""
    if not is_dns_subdomain(value):
        raise KubernetesError(f"not an object name: {value!r}")
    return value


@dataclass(frozen=True)
class KubernetesConnection:
    """Where the API is and how to authenticate: a fixed token, or a token file to re-read."""

    base_url: str
    token: str | None = None
    token_file: Path | None = None
    ca_file: Path | None = None


def kubernetes_connection(
    settings: KubernetesSettings,
    *,
    environ: Mapping[str, str] | None = None,
    service_account_dir: Path = SERVICE_ACCOUNT_DIR,
) -> KubernetesConnection | None:
    """The connection the settings describe, or None when no API server is configured.

    Raises:
        ConfigurationError: K8S_IN_CLUSTER=true outside a pod (no service host, token or CA).
    """
    if settings.in_cluster:
        return _in_cluster(settings, environ or {}, service_account_dir)
    if not settings.api_url:
        return None
    token = settings.token.get_secret_value() if settings.token else None
    return KubernetesConnection(
        base_url=settings.api_url.rstrip("/"), token=token, ca_file=settings.ca_file
    )


def _in_cluster(
    settings: KubernetesSettings, environ: Mapping[str, str], folder: Path
) -> KubernetesConnection:
    host = environ.get("KUBERNETES_SERVICE_HOST")
    port = environ.get("KUBERNETES_SERVICE_PORT", "443")
    token_file, ca_file = folder / "token", folder / "ca.crt"
    if not host and not settings.api_url:
        raise ConfigurationError("K8S_IN_CLUSTER=true but KUBERNETES_SERVICE_HOST is not set")
    for path in (token_file, ca_file):
        if not path.is_file():
            raise ConfigurationError(f"K8S_IN_CLUSTER=true but {path} does not exist")
    if ":" in (host or ""):  # an IPv6 service address
        host = f"[{host}]"
    base_url = settings.api_url or f"https://{host}:{port}"
    return KubernetesConnection(
        base_url=base_url.rstrip("/"), token_file=token_file, ca_file=ca_file
    )


class _TokenFileAuth(httpx.Auth):
    """Bearer token read from a file, re-read every minute (projected tokens expire)."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.monotonic):
        self.path = path
        self.clock = clock
        self._token: str | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            now = self.clock()
            if self._token is None or now - self._read_at >= TOKEN_REREAD_SECONDS:
                self._token = self.path.read_text().strip()
                self._read_at = now
            return self._token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        yield request


def build_kubernetes_client(
    settings: KubernetesSettings,
    *,
    environ: Mapping[str, str] | None = None,
    service_account_dir: Path = SERVICE_ACCOUNT_DIR,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> "KubernetesClient | None":
    """The client, or None when no Kubernetes API is configured."""
    connection = kubernetes_connection(
        settings, environ=environ, service_account_dir=service_account_dir
    )
    if connection is None:
        return None
    headers = {"Accept": "application/json", "User-Agent": "codehealer"}
    if connection.token:
        headers["Authorization"] = f"Bearer {connection.token}"
    verify: ssl.SSLContext | bool = True
    if connection.ca_file is not None:
        verify = ssl.create_default_context(cafile=str(connection.ca_file))
    http = httpx.Client(
        base_url=connection.base_url,
        headers=headers,
        auth=_TokenFileAuth(connection.token_file) if connection.token_file else None,
        timeout=httpx.Timeout(settings.timeout_seconds, connect=5.0),
        verify=verify,
        transport=transport,
        follow_redirects=False,
    )
    return KubernetesClient(
        resilient_client(http, name="kubernetes", error_cls=KubernetesError, sleep=sleep)
    )


class KubernetesClient(IntegrationClient):
    """Implements ``app.core.cluster_ports.KubernetesApi``."""

    # --- reads ---------------------------------------------------------------------------
    def get_pod(self, namespace: str, name: str) -> KubeObject | None:
        return self._get_or_none(_pod_path(namespace, name))

    def list_pod_events(self, namespace: str, pod: str, *, limit: int = 50) -> list[KubeObject]:
        """Events about the pod, oldest first."""
        params = {"fieldSelector": f"involvedObject.name={checked_name(pod)}", "limit": limit}
        path = f"/api/v1/namespaces/{checked_namespace(namespace)}/events"
        items = self.api.request("GET", path, params=params).json().get("items") or []
        return sorted(items, key=_event_time)

    def read_pod_log(
        self,
        namespace: str,
        pod: str,
        *,
        container: str | None = None,
        previous: bool = True,
        tail_lines: int = 200,
    ) -> str | None:
        """The log tail; None when there is none (400: no previous container; 404: no pod)."""
        params: dict[str, Any] = {"tailLines": int(tail_lines), "limitBytes": MAX_LOG_BYTES}
        if previous:
            params["previous"] = "true"
        if container:
            params["container"] = checked_name(container)
        response = self.api.request(
            "GET", f"{_pod_path(namespace, pod)}/log", params=params, allow=(400, 404)
        )
        if response.status_code in (400, 404):
            return None
        return response.content[-MAX_LOG_BYTES:].decode("utf-8", errors="replace")

    def get_workload(self, namespace: str, kind: str, name: str) -> KubeObject | None:
        return self._get_or_none(_workload_path(namespace, kind, name))

    def list_replicasets(self, namespace: str, selector: dict[str, str]) -> list[KubeObject]:
        """The ReplicaSets whose labels match ``selector`` (a Deployment's matchLabels)."""
        labels = ",".join(f"{key}={value}" for key, value in sorted(selector.items()))
        path = f"/apis/apps/v1/namespaces/{checked_namespace(namespace)}/replicasets"
        response = self.api.request("GET", path, params={"labelSelector": labels})
        return list(response.json().get("items") or [])

    def owner_chain(self, namespace: str, pod: KubeObject) -> list[tuple[str, str]]:
        """The pod's controllers, nearest first (ReplicaSet → Deployment), via ownerReferences."""
        chain: list[tuple[str, str]] = []
        current = pod
        for _ in range(3):
            owner = controller_of(current)
            if owner is None:
                break
            chain.append(owner)
            kind, name = owner
            if kind != "ReplicaSet":  # only a ReplicaSet sits between a pod and its workload
                break
            workload = self.get_workload(namespace, kind, name)
            if workload is None:
                break
            current = workload
        return chain

    # --- writes --------------------------------------------------------------------------
    def patch_workload(
        self, namespace: str, kind: str, name: str, patch: dict[str, Any]
    ) -> KubeObject:
        if kind not in PATCHABLE_KINDS:
            raise KubernetesError(f"{kind} is not a workload CodeHealer patches")
        return self.api.request(
            "PATCH",
            _workload_path(namespace, kind, name),
            json=patch,
            headers={"Content-Type": STRATEGIC_MERGE},
        ).json()

    def replace_pod_template(
        self,
        namespace: str,
        name: str,
        *,
        template: dict[str, Any],
        annotations: dict[str, str],
        resource_version: str | None = None,
    ) -> KubeObject:
        """JSON patch of a Deployment: its pod template and annotations replaced as a whole
        (what ``kubectl rollout undo`` sends), guarded by the version read when one is given."""
        patch: list[dict[str, Any]] = []
        if resource_version:  # a Deployment changed since it was read is not overwritten
            patch.append(
                {"op": "test", "path": "/metadata/resourceVersion", "value": resource_version}
            )
        patch += [
            {"op": "replace", "path": "/spec/template", "value": template},
            {"op": "replace", "path": "/metadata/annotations", "value": annotations},
        ]
        return self.api.request(
            "PATCH",
            _workload_path(namespace, "Deployment", name),
            json=patch,
            headers={"Content-Type": JSON_PATCH},
        ).json()

    def evict_pod(self, namespace: str, name: str) -> EvictionOutcome:
        """POST pods/{name}/eviction (policy/v1). 429 is a disruption budget saying not now."""
        body = {
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "metadata": {"name": checked_name(name), "namespace": checked_namespace(namespace)},
        }
        response = self.api.request(
            "POST", f"{_pod_path(namespace, name)}/eviction", json=body, allow=(404, 429)
        )
        if response.status_code == 404:
            return EvictionOutcome(Eviction.GONE)
        if response.status_code == 429:
            return EvictionOutcome(Eviction.REFUSED, retry_after=retry_after_seconds(response))
        return EvictionOutcome(Eviction.ACCEPTED)

    def _get_or_none(self, path: str) -> KubeObject | None:
        response = self.api.request("GET", path, allow=(404,))
        return None if response.status_code == 404 else response.json()


def controller_of(obj: KubeObject) -> tuple[str, str] | None:
    """The (kind, name) of the ownerReference marked ``controller: true``."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") and ref.get("name"):
            return ref["kind"], ref["name"]
    return None


def _pod_path(namespace: str, name: str) -> str:
    return f"/api/v1/namespaces/{checked_namespace(namespace)}/pods/{checked_name(name)}"


def _workload_path(namespace: str, kind: str, name: str) -> str:
    plural = WORKLOAD_PATHS.get(kind)
    if plural is None:
        raise KubernetesError(f"unsupported workload kind: {kind!r}")
    return f"/apis/apps/v1/namespaces/{checked_namespace(namespace)}/{plural}/{checked_name(name)}"


def _event_time(event: KubeObject) -> str:
    return str(
        event.get("lastTimestamp")
        or event.get("eventTime")
        or event.get("firstTimestamp")
        or (event.get("metadata") or {}).get("creationTimestamp")
        or ""
    )
