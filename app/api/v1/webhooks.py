"""POST /webhooks/{github,argocd,kubernetes,<registered>}: verify the sender, hand the delivery
to ingest.

Each route authorizes through a dependency of one shape (the verified raw body, as Slack's
``VerifiedSlackBody``) and calls one service method, ``IngestService.receive``: the source's
parser (the registry built in app/bootstrap) and the one ingest path do the rest, in one
short transaction with no outbound call, so the sender gets its answer in milliseconds.

How a sender is verified is registered with the source (``WebhookSource``: a shared token or a
body signature, app/core/webhook_auth.py), so a new source is served by
``POST /webhooks/{name}`` with no code here. GitHub keeps its own route: its dev-only unsigned
mode and its one-delivery answer.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from app.api.body import read_body, read_verified_body
from app.api.deps import ContainerDep, run_database_work
from app.core.enums import IncidentSource
from app.core.errors import AuthenticationError, NotFoundError
from app.core.events.signals import Delivery
from app.core.security import header_matches, signature_well_formed, verify_body_signature
from app.core.webhook_auth import SharedToken, SignedBody, WebhookAuth, WebhookSource
from app.services.ingest import SignalOutcome

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

ARGOCD_GET_HINT = (
    "Argo CD sent a GET: its webhook templates default to GET. Add `method: POST` under "
    "webhook.codehealer in each codehealer template of argocd-notifications-cm "
    "(see docs/guides/argocd-integration.md)."
)


# --- verification: one dependency per sender, each the raw body once the sender is verified -
async def verified_github_body(request: Request, container: ContainerDep) -> bytes:
    """The raw body once ``X-Hub-Signature-256`` matches it (401 otherwise). A missing or
    malformed signature is refused before the body is read. Without GITHUB_WEBHOOK_SECRET
    (dev only) unsigned bodies are accepted, read within the same budget."""
    settings = container.settings
    if settings.github.webhook_secret is None:
        return await read_verified_body(request, settings, _accept_unsigned)
    auth = SignedBody(
        "X-Hub-Signature-256", settings.github.webhook_secret, "GITHUB_WEBHOOK_SECRET"
    )
    return await read_signed_body(request, container, auth)


def _accept_unsigned(body: bytes) -> None:
    """No secret to check against: ENVIRONMENT=dev only (startup refuses otherwise)."""


async def read_authenticated_body(
    request: Request, container: ContainerDep, auth: WebhookAuth
) -> bytes:
    """The raw body once the sender has proved itself the way its source registered."""
    if isinstance(auth, SharedToken):
        require_token(auth, request.headers.get(auth.header))
        return await read_body(request, container.settings)
    return await read_signed_body(request, container, auth)


def require_token(auth: SharedToken, header: str | None) -> None:
    """The header must carry exactly the configured token; nothing is accepted without one.
    The token is checked before the body is read: a request without it costs no body."""
    expected = auth.expected()
    if expected is None:
        raise AuthenticationError(f"{auth.setting} is not configured: this webhook accepts nothing")
    if not header_matches(expected, header):
        what = "bearer token" if auth.scheme == "Bearer" else auth.header
        raise AuthenticationError(f"missing or wrong {what}")


async def read_signed_body(request: Request, container: ContainerDep, auth: SignedBody) -> bytes:
    """The body, read within the budget of unauthenticated bytes, once its HMAC matches."""
    if auth.secret is None:
        raise AuthenticationError(f"{auth.setting} is not configured: this webhook accepts nothing")
    signature = request.headers.get(auth.header)
    if not signature_well_formed(signature, auth.prefix):
        raise AuthenticationError(f"missing or malformed {auth.header}")
    secret = auth.secret.get_secret_value()

    def verify(body: bytes) -> None:
        if not verify_body_signature(secret, body, signature, auth.prefix):
            raise AuthenticationError(f"wrong {auth.header}")

    return await read_verified_body(request, container.settings, verify)


def registered_source(container: ContainerDep, name: str) -> WebhookSource:
    """The webhook source registered under ``name`` in the composition root (404 if none)."""
    registered = container.webhook_sources.get(name)
    if registered is None:
        raise NotFoundError(f"no webhook source is registered as {name!r}")
    return registered


async def verified_argocd_body(request: Request, container: ContainerDep) -> bytes:
    auth = registered_source(container, IncidentSource.ARGOCD.value).auth
    return await read_authenticated_body(request, container, auth)


async def verified_kubernetes_body(request: Request, container: ContainerDep) -> bytes:
    auth = registered_source(container, IncidentSource.KUBERNETES.value).auth
    return await read_authenticated_body(request, container, auth)


VerifiedGitHubBody = Annotated[bytes, Depends(verified_github_body)]
VerifiedArgoCDBody = Annotated[bytes, Depends(verified_argocd_body)]
VerifiedKubernetesBody = Annotated[bytes, Depends(verified_kubernetes_body)]


async def receive(
    request: Request, container: ContainerDep, source: IncidentSource, body: bytes
) -> list[SignalOutcome]:
    """The one ingest call every route makes (in a database slot: it stores)."""
    delivery = Delivery(source, body, request.headers)
    return await run_database_work(request, container.ingest.receive, delivery=delivery)


# --- OpenAPI: headers are read from the request, so they are documented here ---------------
def _header(name: str, description: str, *, required: bool = True) -> dict:
    schema = {"type": "string", "minLength": 1, "maxLength": 200}
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": schema,
    }


_JSON_OBJECT_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
}
GITHUB_OPENAPI = {
    "parameters": [
        _header("X-GitHub-Event", "Event type: workflow_run, workflow_job, ping"),
        _header("X-GitHub-Delivery", "Unique id of the delivery"),
        _header(
            "X-Hub-Signature-256",
            "sha256= and the HMAC-SHA256 of the body with GITHUB_WEBHOOK_SECRET",
            required=False,
        ),
    ],
    "requestBody": _JSON_OBJECT_BODY,
    "responses": {
        "200": {"description": "Ping, or a redelivery of a delivery already stored"},
        "400": {"description": "Malformed body or missing headers"},
        "401": {"description": "Missing or wrong X-Hub-Signature-256"},
        "408": {"description": "Body arriving slower than the configured floor"},
        "413": {"description": "Body over the size limit"},
        "503": {
            "description": "Database unavailable, or too many unauthenticated bodies in memory: "
            "deliver again later (Retry-After)"
        },
    },
}
BEARER_OPENAPI: dict[str, Any] = {
    "parameters": [_header("Authorization", "Bearer and the configured token", required=False)],
    "requestBody": _JSON_OBJECT_BODY,
    "responses": {
        "202": {"description": "Recorded: the incidents touched, and whether one was extended"},
        "400": {"description": "Not JSON, or not a body this endpoint understands"},
        "401": {"description": "Missing or wrong bearer token, or no token configured"},
        "413": {"description": "Body over the size limit"},
        "503": {"description": "Database unavailable: deliver again later"},
    },
}


REGISTERED_OPENAPI: dict[str, Any] = {
    **BEARER_OPENAPI,
    "parameters": [
        _header(
            "Authorization",
            "Bearer and the token, for a source registered with one",
            required=False,
        )
    ],
    "responses": {
        **BEARER_OPENAPI["responses"],
        "401": {"description": "Missing or wrong token or signature, or none configured"},
        "404": {"description": "No webhook source is registered under this name"},
    },
}


# --- routes ---------------------------------------------------------------------------------
@router.post("/github", status_code=202, openapi_extra=GITHUB_OPENAPI)
async def github_webhook(
    request: Request, container: ContainerDep, body: VerifiedGitHubBody
) -> JSONResponse:
    """Receive a GitHub webhook delivery (``workflow_run``, ``workflow_job``, ``ping``)."""
    [outcome] = await receive(request, container, IncidentSource.GITHUB, body)
    return one_signal_answer(outcome)


@router.post("/argocd", status_code=202, openapi_extra=BEARER_OPENAPI)
async def argocd_webhook(
    request: Request, container: ContainerDep, body: VerifiedArgoCDBody
) -> JSONResponse:
    """Receive an Argo CD notification (the codehealer webhook template)."""
    outcomes = await receive(request, container, IncidentSource.ARGOCD, body)
    return JSONResponse(signals_answer(outcomes), status_code=202)


@router.get("/argocd", include_in_schema=False)
async def argocd_webhook_get() -> JSONResponse:
    """A template without ``method: POST`` makes Argo CD send GET: say how to fix it."""
    return JSONResponse(
        {"error": "MethodNotAllowed", "detail": ARGOCD_GET_HINT},
        status_code=405,
        headers={"Allow": "POST"},
    )


@router.post("/kubernetes", status_code=202, openapi_extra=BEARER_OPENAPI)
async def kubernetes_webhook(
    request: Request, container: ContainerDep, body: VerifiedKubernetesBody
) -> JSONResponse:
    """Receive a Kubernetes Event (kubernetes-event-exporter) or an Alertmanager webhook."""
    outcomes = await receive(request, container, IncidentSource.KUBERNETES, body)
    return JSONResponse(signals_answer(outcomes), status_code=202)


@router.post("/{name}", status_code=202, openapi_extra=REGISTERED_OPENAPI)
async def registered_source_webhook(
    name: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{0,39}$")],
    request: Request,
    container: ContainerDep,
) -> JSONResponse:
    """Receive a delivery of any other source registered in the composition root: verified
    as the source registered (a shared token or a body signature), parsed by its parser."""
    registered = registered_source(container, name)
    body = await read_authenticated_body(request, container, registered.auth)
    outcomes = await receive(request, container, registered.source, body)
    return JSONResponse(signals_answer(outcomes), status_code=202)


# --- answers --------------------------------------------------------------------------------
def one_signal_answer(outcome: SignalOutcome) -> JSONResponse:
    """GitHub's answer: the incident and its status; 200 for a ping or a redelivery."""
    if outcome.ping:
        return JSONResponse({"ok": True, "duplicate": outcome.duplicate}, status_code=200)
    if outcome.incident_id is None:
        body = {"ignored": outcome.ignored or "not actionable", "duplicate": outcome.duplicate}
        return JSONResponse(body, status_code=200 if outcome.duplicate else 202)
    answer: dict[str, Any] = {"incident_id": outcome.incident_id, "status": outcome.status}
    if outcome.duplicate:
        answer["duplicate"] = True
        return JSONResponse(answer, status_code=200)
    return JSONResponse(answer, status_code=202)


def signals_answer(outcomes: list[SignalOutcome]) -> dict[str, Any]:
    """The answer for a body of several signals: the incidents each one touched, and
    ``coalesced`` when an open incident was extended."""
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
