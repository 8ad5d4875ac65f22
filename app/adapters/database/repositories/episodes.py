"""Episodes: incidents of an ongoing problem, found or created under an advisory lock on the
problem's key, extended by each signal about it, closed when the sender says it is over.

A storm of signals about one problem (a pod crash-looping emits an event every back-off) is
one incident whose ``occurrences`` count up. Each open incident carries its coalescing key in
``details.coalesce_key``; the stored ``dedup_key`` is that key plus the moment the episode
began, so the same problem recurring after the incident closed opens a new one.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from app.adapters.database.repositories.incidents import DELIVERY_RANK_KEY
from app.adapters.database.tables import Incident
from app.core.enums import OPEN_STATUSES, IncidentStatus
from app.core.events.models import IncidentDraft
from app.core.targets import target_columns

DEDUP_KEY_LIMIT = 300
# An incident being remediated right now is left to the remediation; the sweep verifies it.
CLOSABLE_STATUSES = tuple(s for s in OPEN_STATUSES if s is not IncidentStatus.REMEDIATING)


@dataclass(frozen=True)
class Extended:
    incident_id: int
    status: str


def episode_key(coalesce_key: str, first_seen: datetime) -> str:
    key = f"{coalesce_key}#{first_seen.isoformat()}"
    if len(key) <= DEDUP_KEY_LIMIT:
        return key
    digest = hashlib.sha256(coalesce_key.encode()).hexdigest()
    return f"{digest}#{first_seen.isoformat()}"


class EpisodeRepository:
    def __init__(self, session: Session):
        self.session = session

    def lock(self, key: str) -> None:
        """Serialize find-or-create for ``key`` until this transaction ends."""
        self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})

    def extend_open(
        self, *, source: str, fingerprint: str, coalesce_key: str, seen_at: datetime
    ) -> Extended | None:
        """One UPDATE: the newest open incident for the key counts one more occurrence."""
        newest_open = (
            select(col(Incident.id))
            .where(
                col(Incident.source) == source,
                col(Incident.fingerprint) == fingerprint,
                Incident.details["coalesce_key"].astext == coalesce_key,
                col(Incident.status).in_([s.value for s in OPEN_STATUSES]),
            )
            .order_by(col(Incident.id).desc())
            .limit(1)
            .scalar_subquery()
        )
        stmt = (
            update(Incident)
            .where(col(Incident.id) == newest_open)
            .values(
                occurrences=col(Incident.occurrences) + 1,
                last_seen_at=seen_at,
                updated_at=seen_at,
            )
            .returning(col(Incident.id), col(Incident.status))
        )
        row = self.session.execute(stmt).one_or_none()
        return Extended(row.id, row.status) if row else None

    def create(
        self, draft: IncidentDraft, *, seen_at: datetime, delivery_rank: int | None = None
    ) -> int:
        """A new incident for a new episode of the draft's coalescing key. ``delivery_rank``:
        its place among the incidents its delivery created, when it created several (the
        claim order lets other deliveries take turns)."""
        values = target_columns(draft.target)
        values.update(
            source=draft.source.value,
            kind=draft.kind.value,
            fingerprint=draft.fingerprint,
            title=draft.title,
            severity=draft.severity.value,
            html_url=draft.html_url,
            dedup_key=episode_key(draft.dedup_key, seen_at),
            details={
                **draft.details,
                "coalesce_key": draft.dedup_key,
                **({DELIVERY_RANK_KEY: delivery_rank} if delivery_rank else {}),
            },
            occurrences=1,
            last_seen_at=seen_at,
            created_at=seen_at,
            updated_at=seen_at,
        )
        stmt = insert(Incident).values(**values).returning(col(Incident.id))
        return self.session.execute(stmt).scalar_one()

    def open_for(
        self, *, source: str, fingerprint: str, coalesce_key: str | None
    ) -> list[int]:
        """The open incidents a "resolved" signal may close, oldest first, locked for the update."""
        stmt = select(col(Incident.id)).where(
            col(Incident.source) == source,
            col(Incident.fingerprint) == fingerprint,
            col(Incident.status).in_([s.value for s in CLOSABLE_STATUSES]),
        )
        if coalesce_key is not None:
            stmt = stmt.where(Incident.details["coalesce_key"].astext == coalesce_key)
        ids = self.session.execute(stmt.order_by(col(Incident.id)).with_for_update()).scalars()
        return [incident_id for incident_id in ids if incident_id is not None]
