"""POST /webhooks/github: verify, parse, store, enqueue. One short transaction, no outbound call."""

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from app.api.body import read_verified_body
from app.api.deps import ContainerDep, run_database_work
from app.core.enums import IncidentSource
from app.core.errors import AuthenticationError, BadRequestError
from app.core.json_body import decode_json_object
from app.core.security import (
    GITHUB_SIGNATURE_PREFIX,
    signature_well_formed,
    verify_github_signature,
)
from app.services.ingest import IngestOutcome

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])


def outcome_response(outcome: IngestOutcome) -> JSONResponse:
    if outcome.ping:
        return JSONResponse({"ok": True, "duplicate": outcome.duplicate}, status_code=200)
    if outcome.incident_id is None:
        body = {"ignored": outcome.ignored or "not actionable", "duplicate": outcome.duplicate}
        return JSONResponse(body, status_code=200 if outcome.duplicate else 202)
    body = {"incident_id": outcome.incident_id, "status": outcome.status}
    if outcome.duplicate:
        body["duplicate"] = True
        return JSONResponse(body, status_code=200)
    return JSONResponse(body, status_code=202)


def _header(name: str, description: str, *, required: bool = True) -> dict:
    schema = {"type": "string", "minLength": 1, "maxLength": 200}
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": schema,
    }


# The headers are read from the request rather than declared as FastAPI ``Header``
# parameters (which cost a validation step each on every delivery); they are documented here.
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
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}}
        },
    },
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


async def signed_github_body(request: Request, container: ContainerDep) -> bytes:
    """The raw body once ``X-Hub-Signature-256`` matches it (401 otherwise). A missing or
    malformed signature is refused before the body is read. Without GITHUB_WEBHOOK_SECRET
    (dev only) unsigned bodies are accepted, read within the same budget."""
    settings = container.settings
    secret = settings.github.webhook_secret
    if secret is None:
        return await read_verified_body(request, settings, _accept_unsigned)
    signature = request.headers.get("x-hub-signature-256")
    if not signature_well_formed(signature, GITHUB_SIGNATURE_PREFIX):
        raise AuthenticationError("missing or malformed X-Hub-Signature-256")

    def verify(body: bytes) -> None:
        if not verify_github_signature(secret.get_secret_value(), body, signature):
            raise AuthenticationError("wrong X-Hub-Signature-256")

    return await read_verified_body(request, settings, verify)


def _accept_unsigned(body: bytes) -> None:
    """No secret to check against: ENVIRONMENT=dev only (startup refuses otherwise)."""


@router.post("/github", status_code=202, openapi_extra=GITHUB_OPENAPI)
async def github_webhook(
    request: Request,
    container: ContainerDep,
    body: Annotated[bytes, Depends(signed_github_body)],
) -> JSONResponse:
    """Receive a GitHub webhook delivery (``workflow_run``, ``workflow_job``, ``ping``)."""
    x_github_event = request.headers.get("x-github-event")
    x_github_delivery = request.headers.get("x-github-delivery")
    if not x_github_event or not x_github_delivery:
        raise BadRequestError("X-GitHub-Event and X-GitHub-Delivery headers are required")
    if len(x_github_delivery) > 200:
        raise BadRequestError("X-GitHub-Delivery is too long")
    payload = decode_json_object(body)
    ingest = container.ingest
    event = ingest.parse(IncidentSource.GITHUB, x_github_event, payload)
    outcome = await run_database_work(
        request,
        ingest.ingest,
        source=IncidentSource.GITHUB,
        delivery_id=x_github_delivery,
        event_type=x_github_event,
        payload=payload,
        event=event,
        body=body,
    )
    log.info(
        "github delivery %s (%s): incident=%s ignored=%s duplicate=%s",
        x_github_delivery,
        x_github_event,
        outcome.incident_id,
        outcome.ignored,
        outcome.duplicate,
    )
    return outcome_response(outcome)
