"""POST /slack/interactions: the Approve/Reject and 👍/👎 buttons of CodeHealer's messages.

Every request is verified with Slack's v0 signature over the raw body (5-minute window) before
anything is parsed; without SLACK_SIGNING_SECRET the endpoint refuses everything. A click only
records a decision (execution is queued by the approval service), so Slack gets its 200 well
within 3 s; the person who clicked is told the outcome in an ephemeral message posted after the
response. URLs inside payloads (``response_url``) are never called.
"""

import logging
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_sdk.signature import Clock

from app.adapters.database.repositories.feedback import FeedbackRepository
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.external.slack.client import SlackClient
from app.api.body import read_verified_body
from app.api.deps import ContainerDep, SettingsDep
from app.bootstrap import Container
from app.core.errors import AuthenticationError, BadRequestError, SlackError
from app.core.json_body import decode_json_object
from app.core.redaction import mask_secrets
from app.core.security import signature_well_formed, slack_timestamp, verify_slack_signature
from app.domain.notifications.blocks import (
    APPROVE_ACTION,
    FEEDBACK_DOWN_ACTION,
    FEEDBACK_UP_ACTION,
    REJECT_ACTION,
    reply_text,
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


async def get_slack_client(container: ContainerDep) -> SlackClient | None:
    return container.slack


SlackClock = Annotated[Clock, Depends(get_slack_clock)]
SlackClientDep = Annotated[SlackClient | None, Depends(get_slack_client)]


async def verified_slack_body(request: Request, settings: SettingsDep, clock: SlackClock) -> bytes:
    """The raw body, once its ``X-Slack-Signature`` checks out; 401 otherwise. Everything
    the headers alone can refuse (no secret, a missing or malformed signature, a timestamp
    outside the window) is refused before the body is read."""
    secret = settings.slack_signing_secret
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


ButtonValue = ApprovalButton | FeedbackButton


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


def parse_block_actions(payload: dict[str, Any]) -> tuple[BlockActions, list[ButtonValue | None]]:
    """The payload and each action's button value (None for actions that are not ours)."""
    try:
        actions = BlockActions.model_validate(payload)
        return actions, [_button_value(action) for action in actions.actions]
    except ValidationError as exc:
        raise BadRequestError(
            f"malformed block_actions payload: {exc.error_count()} error(s)"
        ) from exc


def _button_value(action: SlackAction) -> ButtonValue | None:
    if action.action_id in APPROVAL_ACTIONS:
        return ApprovalButton.model_validate_json(action.value or "")
    if action.action_id in FEEDBACK_ACTIONS:
        return FeedbackButton.model_validate_json(action.value or "")
    return None


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
    container: ContainerDep,
    body: VerifiedSlackBody,
    client: SlackClientDep,
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
    actions, values = parse_block_actions(payload)
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
    replies = await run_in_threadpool(handle_block_actions, container, client, actions, values)
    channel = actions.channel_id
    for text in replies:
        background.add_task(post_outcome, client, channel, actions.user.id, text)
    return Response(status_code=200)


def handle_block_actions(
    container: Container,
    client: SlackClient | None,
    actions: BlockActions,
    values: list[ButtonValue | None],
) -> list[str]:
    """Apply each of our buttons in the payload; return what to tell the person."""
    user = actions.user.id
    replies = []
    for action, value in zip(actions.actions, values, strict=True):
        if isinstance(value, ApprovalButton):
            approve = APPROVAL_ACTIONS[action.action_id]
            replies.append(_decide(container, client, user, value, approve=approve))
        elif isinstance(value, FeedbackButton):
            replies.append(_feedback(container, user, value, FEEDBACK_ACTIONS[action.action_id]))
        else:
            log.info("slack action %r from %s ignored", action.action_id[:64], user)
    return replies


def _decide(
    container: Container,
    client: SlackClient | None,
    user: str,
    button: ApprovalButton,
    *,
    approve: bool,
) -> str:
    if not _incident_exists(container, button.incident_id):
        return f"Incident #{button.incident_id} does not exist."
    allowed = _is_approver(container, client, user)
    if allowed is None:
        return "Could not check the approver group in Slack; nothing was recorded. Try again."
    result = container.approvals.decide(
        incident_id=button.incident_id,
        nonce=button.nonce,
        user_id=user,
        approve=approve,
        allowed=allowed,
    )
    log.info(
        "slack %s by %s on incident %s: %s",
        "approve" if approve else "reject",
        user,
        button.incident_id,
        result.outcome.value,
    )
    return result.message


def _is_approver(container: Container, client: SlackClient | None, user: str) -> bool | None:
    """On the allow-list or in the approver group; None when the group cannot be read."""
    approvals = container.approvals
    if approvals.is_approver(user):
        return True
    group = container.settings.slack_approver_group
    if not group or client is None:
        return False
    try:
        members = client.group_members(group)
    except SlackError as exc:
        log.warning("approver group %s could not be read: %s", group, mask_secrets(str(exc)))
        return None
    return approvals.is_approver(user, group_members=members)


def _feedback(container: Container, user: str, button: FeedbackButton, value: int) -> str:
    with container.db.session() as session:
        recorded = FeedbackRepository(session).record(button.incident_id, user, value)
    if not recorded:
        return f"Incident #{button.incident_id} does not exist."
    log.info("slack feedback %+d by %s on incident %s", value, user, button.incident_id)
    return (
        f"Thanks, your {'👍' if value > 0 else '👎'} on incident #{button.incident_id} is recorded."
    )


def _incident_exists(container: Container, incident_id: int) -> bool:
    with container.db.session() as session:
        return IncidentRepository(session).get(incident_id) is not None


def post_outcome(client: SlackClient | None, channel: str | None, user: str, text: str) -> None:
    """Tell the person who clicked what happened (runs after the response is sent)."""
    if client is None or channel is None:
        log.info(
            "outcome for %s not posted (no Slack client or channel): %s",
            user,
            mask_secrets(text)[:200],
        )
        return
    try:
        client.post_ephemeral(channel, user, reply_text(text))
    except SlackError as exc:
        log.warning("could not post the outcome to %s: %s", user, mask_secrets(str(exc)))
