"""POST /slack/interactions: the Approve/Reject, 👍/👎 and Pause/Resume buttons of CodeHealer's
messages.

Every request is verified with Slack's v0 signature over the raw body (5-minute window) before
anything is parsed; without SLACK_SIGNING_SECRET the endpoint refuses everything. The buttons
clicked are handed to the interaction service (app/services/interactions.py), which only records
decisions (execution is queued), so Slack gets its 200 well within 3 s; the person who clicked is
told the outcome in an ephemeral message posted after the response. URLs inside payloads
(``response_url``) are never called.
"""

import logging
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_sdk.signature import Clock

from app.api.body import read_verified_body
from app.api.deps import InteractionsDep, SettingsDep
from app.core.errors import AuthenticationError, BadRequestError
from app.core.json_body import decode_json_object
from app.core.redaction import mask_secrets
from app.core.security import signature_well_formed, slack_timestamp, verify_slack_signature
from app.domain.notifications.blocks import (
    APPROVE_ACTION,
    FEEDBACK_DOWN_ACTION,
    FEEDBACK_UP_ACTION,
    PAUSE_ACTION,
    REJECT_ACTION,
    RESUME_ACTION,
)
from app.services.interactions import (
    ApprovalClick,
    Click,
    FeedbackClick,
    PauseClick,
    ResumeClick,
)

log = logging.getLogger(__name__)
router = APIRouter(prefix="/slack", tags=["slack"])

APPROVAL_ACTIONS = {APPROVE_ACTION: True, REJECT_ACTION: False}
FEEDBACK_ACTIONS = {FEEDBACK_UP_ACTION: 1, FEEDBACK_DOWN_ACTION: -1}
SLACK_ID = r"^[A-Z0-9][A-Z0-9_-]{1,63}$"
MAX_ID = 2**63 - 1  # incidents.id is a bigint
SLACK_SIGNATURE_PREFIX = "v0="
SLACK_WINDOW_SECONDS = 60 * 5  # as slack_sdk's SignatureVerifier


# --- dependencies (tests override them through app.dependency_overrides) ---------------------
async def get_slack_clock() -> Clock:
    """The clock the 5-minute signature window is measured with."""
    return Clock()


SlackClock = Annotated[Clock, Depends(get_slack_clock)]


async def verified_slack_body(request: Request, settings: SettingsDep, clock: SlackClock) -> bytes:
    """The raw body, once its ``X-Slack-Signature`` checks out; 401 otherwise. Everything
    the headers alone can refuse (no secret, a missing or malformed signature, a timestamp
    outside the window) is refused before the body is read."""
    secret = settings.slack.signing_secret
    if secret is None or not secret.get_secret_value().strip():
        raise AuthenticationError(
            "Slack interactions are not configured: SLACK_SIGNING_SECRET is not set"
        )
    timestamp = request.headers.get("x-slack-request-timestamp")
    signature = request.headers.get("x-slack-signature")
    sent_at = slack_timestamp(timestamp)
    if sent_at is None:
        raise AuthenticationError("missing or malformed X-Slack-Request-Timestamp")
    if not signature_well_formed(signature, SLACK_SIGNATURE_PREFIX):
        raise AuthenticationError("missing or malformed X-Slack-Signature")
    if abs(clock.now() - sent_at) > SLACK_WINDOW_SECONDS:
        raise AuthenticationError("expired Slack signature (timestamp outside 5 minutes)")

    def verify(body: bytes) -> None:
        if not verify_slack_signature(secret.get_secret_value(), body, timestamp, signature):
            raise AuthenticationError("wrong Slack signature")

    return await read_verified_body(request, settings, verify)


VerifiedSlackBody = Annotated[bytes, Depends(verified_slack_body)]


# --- payload ---------------------------------------------------------------------------------
class _Ref(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=SLACK_ID)


class _Container(BaseModel):
    model_config = ConfigDict(extra="ignore")

    channel_id: str | None = Field(default=None, pattern=SLACK_ID)


class SlackAction(BaseModel):
    model_config = ConfigDict(extra="ignore")

    action_id: str = Field(max_length=255)
    value: str | None = Field(default=None, max_length=2000)


class BlockActions(BaseModel):
    """The fields of Slack's ``block_actions`` payload CodeHealer reads (the rest is ignored)."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["block_actions"]
    user: _Ref
    channel: _Ref | None = None
    container: _Container | None = None
    actions: list[SlackAction] = Field(min_length=1, max_length=25)

    @property
    def channel_id(self) -> str | None:
        if self.channel is not None:
            return self.channel.id
        return self.container.channel_id if self.container else None


class ApprovalButton(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_id: int = Field(gt=0, le=MAX_ID)
    nonce: str = Field(min_length=1, max_length=64)


class FeedbackButton(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_id: int = Field(gt=0, le=MAX_ID)


class ResumeButton(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pause_id: int = Field(gt=0, le=MAX_ID)


def parse_payload(body: bytes) -> dict[str, Any]:
    """``payload=<url-encoded JSON>`` → the JSON object; BadRequestError for anything else."""
    try:
        # Strict: a percent-encoded byte that is not UTF-8 is refused, not replaced.
        form = parse_qs(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=20, errors="strict"
        )
    except ValueError as exc:  # UnicodeDecodeError is one
        raise BadRequestError("body is not a UTF-8 URL-encoded form") from exc
    values = form.get("payload", [])
    if len(values) != 1:
        raise BadRequestError("expected exactly one payload field")
    return decode_json_object(values[0], what="payload")


def parse_block_actions(payload: dict[str, Any]) -> tuple[BlockActions, list[Click | None]]:
    """The payload and the click of each action (None for actions that are not ours)."""
    try:
        actions = BlockActions.model_validate(payload)
        return actions, [_click(action) for action in actions.actions]
    except ValidationError as exc:
        raise BadRequestError(
            f"malformed block_actions payload: {exc.error_count()} error(s)"
        ) from exc


def _click(action: SlackAction) -> Click | None:
    if action.action_id in APPROVAL_ACTIONS:
        approval = ApprovalButton.model_validate_json(action.value or "")
        approve = APPROVAL_ACTIONS[action.action_id]
        return ApprovalClick(approval.incident_id, approval.nonce, approve=approve)
    if action.action_id in FEEDBACK_ACTIONS:
        feedback = FeedbackButton.model_validate_json(action.value or "")
        return FeedbackClick(feedback.incident_id, FEEDBACK_ACTIONS[action.action_id])
    if action.action_id == PAUSE_ACTION:
        return PauseClick(FeedbackButton.model_validate_json(action.value or "").incident_id)
    if action.action_id == RESUME_ACTION:
        return ResumeClick(ResumeButton.model_validate_json(action.value or "").pause_id)
    return None


def our_clicks(actions: BlockActions, clicks: list[Click | None]) -> list[Click]:
    """The clicks on CodeHealer's buttons; any other action is logged and left alone."""
    for action, click in zip(actions.actions, clicks, strict=True):
        if click is None:
            log.info("slack action %r from %s ignored", action.action_id[:64], actions.user.id)
    return [click for click in clicks if click is not None]


# --- the endpoint ----------------------------------------------------------------------------
@router.post(
    "/interactions",
    responses={
        400: {"description": "Malformed interaction payload"},
        401: {"description": "Missing or wrong Slack signature, or no signing secret configured"},
        408: {"description": "Body arriving slower than the configured floor"},
        413: {"description": "Body over the size limit"},
        503: {"description": "Too many unauthenticated bodies in memory: retry (Retry-After)"},
    },
)
async def slack_interactions(
    body: VerifiedSlackBody,
    interactions: InteractionsDep,
    background: BackgroundTasks,
    x_slack_retry_num: str | None = Header(default=None),
    x_slack_retry_reason: str | None = Header(default=None),
) -> Response:
    """Receive a button click from Slack (``block_actions``)."""
    payload = parse_payload(body)
    kind = payload.get("type")
    if not isinstance(kind, str):
        raise BadRequestError("payload has no type")
    if kind != "block_actions":
        log.info("slack interaction of type %r ignored", mask_secrets(kind)[:64])
        return Response(status_code=200)
    actions, clicks = parse_block_actions(payload)
    if x_slack_retry_num is not None:
        # The first delivery decided; approvals are conditional updates, so a repeat would be a
        # no-op anyway. Answer 200 so Slack stops retrying, and do nothing new.
        log.info(
            "slack retry %s (%s) from %s answered 200 without processing",
            mask_secrets(x_slack_retry_num)[:8],
            mask_secrets(x_slack_retry_reason or "no reason")[:64],
            actions.user.id,
        )
        return Response(status_code=200)
    user = actions.user.id
    replies = await run_in_threadpool(interactions.handle, user, our_clicks(actions, clicks))
    for text in replies:
        background.add_task(interactions.tell, actions.channel_id, user, text)
    return Response(status_code=200)
