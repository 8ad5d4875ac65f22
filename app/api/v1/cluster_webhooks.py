"""POST /webhooks/argocd and /webhooks/kubernetes: bearer token, parse, store, enqueue.

One short transaction per delivery and no outbound call, so the sender gets its answer in
milliseconds. A body may carry several signals (an Alertmanager group); the answer lists the
incident each one touched and says ``coalesced`` when an open incident was extended.
"""

import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from app.api.deps import ContainerDep, RawBody, run_database_work
from app.core.errors import AuthenticationError
from app.core.events.argocd import parse_argocd_notification
from app.core.events.cluster import ClusterSignal
from app.core.events.kubernetes import parse_kubernetes_payload
from app.core.json_body import decode_json_object
from app.core.security import bearer_matches
from app.services.cluster_ingest import ClusterIngestService, SignalOutcome

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])

ARGOCD_GET_HINT = (
    "Argo CD sent a GET: its webhook templates default to GET. Add `method: POST` under "
    "webhook.codehealer in each codehealer template of argocd-notifications-cm "
    "(see docs/guides/argocd-integration.md)."
)

AuthorizationHeader = Annotated[str | None, Header()]
CLUSTER_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}}
        },
    },
    "responses": {
        "202": {"description": "Recorded: the incidents touched, and whether one was extended"},
        "400": {"description": "Not JSON, or not a body this endpoint understands"},
        "401": {"description": "Missing or wrong bearer token, or no token configured"},
        "413": {"description": "Body over the size limit"},
        "503": {"description": "Database unavailable: deliver again later"},
    },
}


def require_bearer(expected: SecretStr | None, header: str | None, *, setting: str) -> None:
    """``Authorization: Bearer <token>`` must match ``setting``; nothing is accepted without one."""
    if expected is None:
        raise AuthenticationError(f"{setting} is not configured: this webhook accepts nothing")
    if not bearer_matches(expected.get_secret_value(), header):
        raise AuthenticationError("missing or wrong bearer token")


async def _ingest(
    request: Request,
    container,
    body: bytes,
    parse: Callable[[dict[str, Any]], list[ClusterSignal]],
) -> JSONResponse:
    signals = parse(decode_json_object(body))
    service = ClusterIngestService(container.db, container.queue)
    outcomes = await run_database_work(request, service.ingest, signals=signals)
    return JSONResponse(answer(outcomes), status_code=202)


def answer(outcomes: list[SignalOutcome]) -> dict[str, Any]:
    ids = list(dict.fromkeys(o.incident_id for o in outcomes if o.incident_id is not None))
    return {
        "incident_ids": ids,
        "coalesced": any(o.coalesced for o in outcomes),
        "results": [_result(o) for o in outcomes],
    }


def _result(outcome: SignalOutcome) -> dict[str, Any]:
    result: dict[str, Any] = {"incident_id": outcome.incident_id, "status": outcome.status}
    for key in ("created", "coalesced", "duplicate"):
        if getattr(outcome, key):
            result[key] = True
    if outcome.resolved:
        result["resolved"] = list(outcome.resolved)
    if outcome.ignored is not None:
        result["ignored"] = outcome.ignored
    return result


async def argocd_token(container: ContainerDep, authorization: AuthorizationHeader = None) -> None:
    token = container.settings.argocd.webhook_token
    require_bearer(token, authorization, setting="ARGOCD_WEBHOOK_TOKEN")


async def kubernetes_token(
    container: ContainerDep, authorization: AuthorizationHeader = None
) -> None:
    token = container.settings.kubernetes.webhook_token
    require_bearer(token, authorization, setting="K8S_WEBHOOK_TOKEN")


# Route-level dependencies run first: a request without the token is refused before its body
# is read.
@router.post(
    "/argocd", status_code=202, dependencies=[Depends(argocd_token)], openapi_extra=CLUSTER_BODY
)
async def argocd_webhook(request: Request, container: ContainerDep, body: RawBody) -> JSONResponse:
    """Receive an Argo CD notification (the codehealer webhook template)."""
    return await _ingest(request, container, body, parse_argocd_notification)


@router.get("/argocd", include_in_schema=False)
async def argocd_webhook_get() -> JSONResponse:
    """A template without ``method: POST`` makes Argo CD send GET: say how to fix it."""
    return JSONResponse(
        {"error": "MethodNotAllowed", "detail": ARGOCD_GET_HINT},
        status_code=405,
        headers={"Allow": "POST"},
    )


@router.post(
    "/kubernetes",
    status_code=202,
    dependencies=[Depends(kubernetes_token)],
    openapi_extra=CLUSTER_BODY,
)
async def kubernetes_webhook(
    request: Request, container: ContainerDep, body: RawBody
) -> JSONResponse:
    """Receive a Kubernetes Event (kubernetes-event-exporter) or an Alertmanager webhook."""
    cluster = container.settings.kubernetes.cluster_name
    return await _ingest(
        request,
        container,
        body,
        lambda payload: parse_kubernetes_payload(payload, default_cluster=cluster),
    )
