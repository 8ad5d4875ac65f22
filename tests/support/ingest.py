"""GitHub deliveries handed to the ingest service directly, as the webhook route hands them."""

import json
import uuid
from typing import Any

from app.core.enums import IncidentSource
from app.core.events.signals import Delivery


def github_delivery(
    payload: dict[str, Any], *, delivery_id: str | None = None, event: str = "workflow_run"
) -> Delivery:
    """A verified GitHub delivery of ``payload`` with its two naming headers."""
    headers = {"x-github-event": event, "x-github-delivery": delivery_id or str(uuid.uuid4())}
    return Delivery(IncidentSource.GITHUB, json.dumps(payload).encode(), headers)
