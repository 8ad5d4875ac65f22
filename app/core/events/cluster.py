"""What the Kubernetes and Argo CD parsers produce: one ``ClusterSignal`` per thing to record.

A GitHub delivery is one event; a cluster delivery may not be (an Alertmanager body carries a
group of alerts, each firing or resolved on its own). So these parsers return a list of
signals, each with its own delivery id, and the cluster ingest records each one once.

``FailureObserved.draft.dedup_key`` is the *coalescing key* here: signals with the same key
describe the same ongoing problem and extend one open incident instead of opening another.
The stored incident gets an episode key (``{key}#{first_seen}``) so that a recurrence after
the incident closed opens a new one.
"""

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.enums import IncidentSource
from app.core.events.models import FailureObserved, Ignored

MAX_KEY_LENGTH = 240  # leaves room for "#<iso timestamp>" within the 300-character columns
NO_VALUE = frozenset({"", "<no value>", "<nil>", "null", "None"})


class Resolved(BaseModel):
    """The sender says the problem is over: close the open incident(s) it names."""

    source: IncidentSource
    fingerprint: str
    # None: every open incident of the fingerprint (an Argo CD app that is healthy again).
    coalesce_key: str | None = None
    reason: str


ClusterEvent = FailureObserved | Ignored | Resolved


class ClusterSignal(BaseModel):
    """One recordable part of a delivery, with the id that makes its redelivery a no-op."""

    model_config = ConfigDict(frozen=True)

    source: IncidentSource
    delivery_id: str = Field(min_length=1, max_length=200)
    event_type: str = Field(min_length=1, max_length=100)
    payload: dict[str, Any]
    event: FailureObserved | Ignored | Resolved

    @property
    def lock_key(self) -> str | None:
        """The key whose find-or-create must not race (None: nothing to serialize)."""
        if isinstance(self.event, FailureObserved):
            return self.event.draft.dedup_key
        if isinstance(self.event, Resolved):
            return self.event.coalesce_key or self.event.fingerprint
        return None


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
