"""The ingest contract: a verified delivery in, a list of normalized signals out.

Every source is a parser ``(Delivery) -> list[Signal]`` in the registry the composition root
builds from its table of sources (app/bootstrap/sources.py), and one ingest service
(app/services/ingest.py) stores what the signals say, whatever their source. A delivery may
carry several signals (an Alertmanager body carries a group of alerts, each firing or resolved
on its own), so each signal has its own delivery id, and a redelivery of it is acknowledged,
not applied again.

``FailureObserved.coalesce`` says what the draft's ``dedup_key`` names:
- one occurrence (a run attempt): every delivery about it merges into its one incident;
- an ongoing problem (a crash-looping pod, a degraded app): signals with the same key extend
  the open incident, counting occurrences, and a recurrence after it closed opens a new one
  (the stored key is ``{key}#{first_seen}``).
"""

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SkipValidation

from app.core.enums import IncidentSource
from app.core.events.models import (
    FailureObserved,
    Ignored,
    Ping,
    PullRequestClosed,
    RunCompleted,
)
from app.core.json_body import decode_json_object

MAX_KEY_LENGTH = 240  # leaves room for "#<iso timestamp>" within the 300-character columns
NO_VALUE = frozenset({"", "<no value>", "<nil>", "null", "None"})


class Delivery:
    """A delivery whose sender is verified: its raw body and its headers (names in any case).
    ``payload`` is the body decoded once, on first use (400 when it is not a JSON object)."""

    __slots__ = ("source", "body", "headers", "_payload")

    def __init__(
        self, source: IncidentSource, body: bytes, headers: Mapping[str, str] | None = None
    ):
        self.source = source
        self.body = body
        self.headers: Mapping[str, str] = headers or {}
        self._payload: dict[str, Any] | None = None

    @property
    def payload(self) -> dict[str, Any]:
        if self._payload is None:
            self._payload = decode_json_object(self.body)
        return self._payload


class Resolved(BaseModel):
    """The sender says the problem is over: close the open incident(s) it names."""

    source: IncidentSource
    fingerprint: str
    # None: every open incident of the fingerprint (an Argo CD app that is healthy again).
    coalesce_key: str | None = None
    reason: str


SignalEvent = FailureObserved | Ignored | Resolved | Ping | RunCompleted | PullRequestClosed


class Signal(BaseModel):
    """One recordable part of a delivery, with the id that makes its redelivery a no-op."""

    model_config = ConfigDict(frozen=True)

    source: IncidentSource
    delivery_id: str = Field(min_length=1, max_length=200)
    event_type: str = Field(min_length=1, max_length=100)
    # Kept as the parser passed it (not copied): the service stores the body the payload was
    # decoded from when nothing in it was masked.
    payload: SkipValidation[dict[str, Any]]
    event: SignalEvent

    @property
    def lock_key(self) -> str | None:
        """The key whose find-or-extend must not race (None: nothing to serialize)."""
        if isinstance(self.event, FailureObserved) and self.event.coalesce:
            return self.event.draft.dedup_key
        if isinstance(self.event, Resolved):
            return self.event.coalesce_key or self.event.fingerprint
        return None


SourceParser = Callable[[Delivery], list[Signal]]


def body_hash(payload: Any) -> str:
    """A delivery id for senders that send none: the same content gives the same id."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def bounded_key(key: str) -> str:
    """Keys built from object names can be long; past the limit, keep a prefix and a hash."""
    if len(key) <= MAX_KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{key[: MAX_KEY_LENGTH - 33]}~{digest}"


def present(value: Any) -> str | None:
    """A template field that rendered to nothing (Go prints ``<no value>``) is absent."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text in NO_VALUE else text
