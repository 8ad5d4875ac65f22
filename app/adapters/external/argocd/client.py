"""Argo CD API client (``/api/v1/applications``) over one httpx client and one retry point.

Argo CD's REST API is a gRPC gateway: a refused call answers 4xx with
``{"error": ..., "code": <grpc code>, "message": ...}``. "another operation is already in
progress" (FailedPrecondition, sent as 400 or 409) is the one refusal that goes away by
itself, so it becomes ``OperationInProgressError`` with a retry-after instead of a failure.
"""

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from app.adapters.external.http import IntegrationClient, resilient_client
from app.core.cluster_ports import KubeObject, OperationInProgressError
from app.core.errors import ArgoCDError
from app.core.names import is_dns_subdomain
from app.core.redaction import mask_secrets
from app.core.settings_parts import ArgoCDSettings

OPERATION_IN_PROGRESS = "another operation is already in progress"
OPERATION_RETRY_SECONDS = 60.0
REFUSALS = (400, 409)


def checked_app(name: str) -> str:
    """Application names come from payloads: they must not be able to steer the request path."""
    if not is_dns_subdomain(name):
        raise ArgoCDError(f"not an application name: {name!r}")
    return name


def build_argocd_client(
    settings: ArgoCDSettings,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> "ArgoCDClient | None":
    """The client, or None when ARGOCD_URL is not set."""
    if not settings.url:
        return None
    headers = {"Accept": "application/json", "User-Agent": "codehealer"}
    if settings.token is not None:
        headers["Authorization"] = f"Bearer {settings.token.get_secret_value()}"
    http = httpx.Client(
        base_url=settings.url.rstrip("/"),
        headers=headers,
        timeout=httpx.Timeout(settings.timeout_seconds, connect=5.0),
        verify=settings.verify_tls,
        transport=transport,
        follow_redirects=False,
    )
    return ArgoCDClient(resilient_client(http, name="argocd", error_cls=ArgoCDError, sleep=sleep))


class ArgoCDClient(IntegrationClient):
    """Implements ``app.core.cluster_ports.ArgoCDApi``."""

    def get_application(self, name: str, *, refresh: str | None = None) -> KubeObject:
        """GET the application; ``refresh="hard"`` also drops the manifest cache first."""
        params = {"refresh": refresh} if refresh else None
        return self.api.request("GET", _app_path(name), params=params).json()

    def sync(self, name: str, *, revision: str | None = None, prune: bool = False) -> KubeObject:
        body: dict[str, Any] = {"name": checked_app(name), "prune": prune, "dryRun": False}
        if revision:
            body["revision"] = revision
        return self._operation("sync", name, body)

    def rollback(self, name: str, history_id: int, *, prune: bool = False) -> KubeObject:
        body = {"name": checked_app(name), "id": int(history_id), "prune": prune, "dryRun": False}
        return self._operation("rollback", name, body)

    def disable_auto_sync(self, name: str) -> KubeObject:
        """Merge-patch ``spec.syncPolicy.automated`` away (what ``--sync-policy none`` does)."""
        patch = {"spec": {"syncPolicy": {"automated": None}}}
        body = {"name": checked_app(name), "patchType": "merge", "patch": json.dumps(patch)}
        return self.api.request("PATCH", _app_path(name), json=body).json()

    def _operation(self, verb: str, name: str, body: dict[str, Any]) -> KubeObject:
        response = self.api.request("POST", f"{_app_path(name)}/{verb}", json=body, allow=REFUSALS)
        if response.status_code not in REFUSALS:
            return response.json()
        message = refusal_message(response)
        if OPERATION_IN_PROGRESS in message.lower():
            raise OperationInProgressError(
                f"argocd {verb} of {name}: {message}",
                status_code=response.status_code,
                retryable=True,
                retry_after=OPERATION_RETRY_SECONDS,
            )
        raise ArgoCDError(
            f"argocd answered {response.status_code} to {verb} of {name}: {message}",
            status_code=response.status_code,
        )


def refusal_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return mask_secrets(response.text[:500])
    if not isinstance(body, dict):
        return ""
    return mask_secrets(str(body.get("message") or body.get("error") or "")[:500])


def _app_path(name: str) -> str:
    return f"/api/v1/applications/{checked_app(name)}"
