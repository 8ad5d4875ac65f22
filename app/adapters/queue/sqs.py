"""The AWS queue: one SQS message per incident id; the worker Lambda consumes the queue.

The message only names the incident. The database stays the source of truth, so a lost,
duplicated or late message never loses or repeats work: the worker claims the row first.
"""

import json
import logging
import threading
from typing import Any

from app.core.errors import IntegrationError

log = logging.getLogger(__name__)

MESSAGE_KEY = "incident_id"


def incident_message(incident_id: int) -> str:
    """The message body for ``incident_id``: ``{"incident_id": N}``."""
    return json.dumps({MESSAGE_KEY: incident_id})


def parse_incident_message(body: str | None) -> int:
    """The incident id in a queue message body.

    Raises:
        ValueError: the body is not a JSON object with a positive integer ``incident_id``
            (a poison message: retrying it can never succeed).
    """
    if body is None:
        raise ValueError("queue message has no body")
    try:
        payload = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"queue message is not JSON ({type(exc).__name__})") from None
    if not isinstance(payload, dict):
        raise ValueError(f"queue message must be a JSON object, got {type(payload).__name__}")
    if MESSAGE_KEY not in payload:
        raise ValueError(f"queue message has no {MESSAGE_KEY!r}")
    incident_id = payload[MESSAGE_KEY]
    # bool is an int subclass; ``true`` is not an id.
    if isinstance(incident_id, bool) or not isinstance(incident_id, int) or incident_id < 1:
        raise ValueError(f"queue message {MESSAGE_KEY!r} must be a positive integer")
    return incident_id


class SqsQueue:
    """The ``Queue`` port on Amazon SQS."""

    def __init__(self, queue_url: str, *, client: Any = None, region: str):
        self.queue_url = queue_url
        self.region = region
        self._client = client
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The boto3 SQS client, created on first use (never at import or construction)."""
        if self._client is None:
            with self._lock:  # webhook requests enqueue from a thread pool
                if self._client is None:
                    # Imported here, not at module top: boto3 is slow to import (cold start).
                    import boto3

                    self._client = boto3.session.Session().client("sqs", region_name=self.region)
        return self._client

    def close(self) -> None:
        """Close the SQS client's connections, if a client was created."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def enqueue(self, incident_id: int) -> None:
        """Send ``{"incident_id": N}``; raises ``IntegrationError`` when SQS refuses or fails.

        The incident is already committed when this runs, so a failed send loses nothing:
        the scheduled sweep claims incidents whose message never arrived.
        """
        client = self.client
        # botocore is loaded by now (the client exists); imported here to keep imports cheap.
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = client.send_message(
                QueueUrl=self.queue_url, MessageBody=incident_message(incident_id)
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "unknown")
            raise IntegrationError(f"SQS refused the message ({code})", retryable=True) from exc
        except BotoCoreError as exc:
            raise IntegrationError(
                f"SQS unreachable ({type(exc).__name__})", retryable=True
            ) from exc
        log.debug("enqueued incident %s as message %s", incident_id, response.get("MessageId"))
