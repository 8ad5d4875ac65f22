"""Slack Web API client: a small typed surface over slack-sdk's ``WebClient``.

The client makes one attempt per call. Retrying is the caller's job (the notification outbox
reschedules with backoff), so every failure becomes a ``SlackError`` that says whether a later
try can succeed (429, 5xx, connection trouble) and how long Slack asked us to wait.
"""

import http.client
import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from app.adapters.external.http import parse_retry_after
from app.core.errors import SlackError
from app.core.settings_parts import SlackSettings

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10
# ``ok: false`` answers that mean "Slack had a problem", not "your request is wrong".
RETRYABLE_API_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# URLError, timeouts and refused or reset connections are all OSErrors.
_CONNECTION_ERRORS = (OSError, http.client.HTTPException)


def build_slack_client(
    settings: SlackSettings, *, timeout: int = DEFAULT_TIMEOUT_SECONDS
) -> "SlackClient | None":
    """The client for SLACK_BOT_TOKEN, or None when Slack is not configured."""
    if settings.bot_token is None:
        return None
    web = WebClient(
        token=settings.bot_token.get_secret_value(),
        base_url=settings.base_url,
        timeout=timeout,
        # One attempt per call: the outbox owns retries and backoff.
        retry_handlers=[],
        logger=logging.getLogger("app.adapters.external.slack.sdk"),
    )
    return SlackClient(web)


class SlackClient:
    """The four Slack calls CodeHealer makes."""

    def __init__(self, web: WebClient):
        self._web = web

    def post_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        thread_ts: str | None = None,
    ) -> tuple[str, str]:
        """``chat.postMessage``; returns the (channel id, ts) Slack assigned."""
        data = self._call(
            "chat.postMessage",
            lambda: self._web.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks or None,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        return _required(data, "channel"), _required(data, "ts")

    def update_message(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> None:
        """``chat.update``: replace the message's text and blocks in place."""
        self._call(
            "chat.update",
            lambda: self._web.chat_update(channel=channel, ts=ts, text=text, blocks=blocks),
        )

    def post_ephemeral(self, channel: str, user: str, text: str) -> None:
        """``chat.postEphemeral``: a message only ``user`` sees."""
        self._call(
            "chat.postEphemeral",
            lambda: self._web.chat_postEphemeral(channel=channel, user=user, text=text),
        )

    def group_members(self, group_id: str) -> frozenset[str]:
        """``usergroups.users.list``: the user ids in a user group."""
        data = self._call(
            "usergroups.users.list",
            lambda: self._web.usergroups_users_list(usergroup=group_id),
        )
        users = data.get("users")
        if not isinstance(users, list):
            raise SlackError("usergroups.users.list answered without a users list")
        return frozenset(str(user) for user in users)

    def _call(self, method: str, call: Callable[[], Any]) -> Mapping[str, Any]:
        try:
            response = call()
        except SlackApiError as exc:
            raise _api_error(method, exc) from None
        except (SlackClientError, *_CONNECTION_ERRORS) as exc:
            raise SlackError(
                f"slack {method}: {type(exc).__name__} (no answer)", retryable=True
            ) from None
        data = response.data
        if not isinstance(data, Mapping):
            raise SlackError(f"slack {method}: the answer is not a JSON object")
        return data


def _api_error(method: str, exc: SlackApiError) -> SlackError:
    response = exc.response
    status = getattr(response, "status_code", None)
    data = getattr(response, "data", None)
    code = str(data.get("error"))[:100] if isinstance(data, Mapping) and data.get("error") else None
    retry_after = _retry_after(getattr(response, "headers", None) or {})
    retryable = (
        status == 429 or (status is not None and status >= 500) or code in RETRYABLE_API_ERRORS
    )
    return SlackError(
        f"slack {method} answered {status}: {code or 'no error code'}",
        status_code=status,
        retryable=retryable,
        retry_after=retry_after if retryable else None,
    )


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    for name, value in headers.items():
        if name.lower() != "retry-after":
            continue
        value = value[0] if isinstance(value, list) and value else value
        return parse_retry_after(str(value))
    return None


def _required(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise SlackError(f"slack answered without {key!r}")
    return value
