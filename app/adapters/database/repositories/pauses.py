"""pauses: the kill switch. At most one active pause per scope (a partial unique index), so
two people pausing the same thing at once both find the one pause."""

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from app.adapters.database.tables import AutomationPause, utcnow
from app.core.enums import ActionKind, IncidentSource
from app.domain.pauses import Pause


def to_pause(row: AutomationPause) -> Pause:
    return Pause(
        id=row.id,
        source=IncidentSource(row.source) if row.source else None,
        action=ActionKind(row.action) if row.action else None,
        paused_by=row.paused_by,
        paused_at=row.paused_at,
        reason=row.reason,
    )


class PauseRepository:
    def __init__(self, session: Session):
        self.session = session

    def active(self) -> list[Pause]:
        """Every pause in force, oldest first."""
        stmt = (
            select(AutomationPause)
            .where(col(AutomationPause.resumed_at).is_(None))
            .order_by(col(AutomationPause.paused_at), col(AutomationPause.id))
        )
        return [to_pause(row) for row in self.session.execute(stmt).scalars()]

    def start(
        self,
        *,
        source: IncidentSource | None,
        action: ActionKind | None,
        by: str,
        reason: str,
    ) -> tuple[Pause, bool]:
        """The active pause of this scope, and whether this call started it (False: it was
        already paused, by whoever paused it first)."""
        started = self.session.execute(
            insert(AutomationPause)
            .values(
                source=source.value if source else None,
                action=action.value if action else None,
                paused_by=by,
                paused_at=utcnow(),
                reason=reason,
            )
            .on_conflict_do_nothing()
            .returning(col(AutomationPause.id))
        ).scalar_one_or_none()
        row = self.session.execute(
            select(AutomationPause).where(*_active_scope(source, action))
        ).scalar_one()
        return to_pause(row), started is not None

    def end(
        self, *, source: IncidentSource | None, action: ActionKind | None, by: str
    ) -> Pause | None:
        """End the active pause of exactly this scope; None when there is none."""
        return self._end(_active_scope(source, action), by=by)

    def end_by_id(self, pause_id: int, *, by: str) -> Pause | None:
        """End one pause (a button names it); None when it is not active (anymore)."""
        scope = [col(AutomationPause.id) == pause_id, col(AutomationPause.resumed_at).is_(None)]
        return self._end(scope, by=by)

    def _end(self, where: list[Any], *, by: str) -> Pause | None:
        # Conditional: of two people resuming at once, one ends the pause, the other finds none.
        row = self.session.execute(
            update(AutomationPause)
            .where(*where)
            .values(resumed_at=utcnow(), resumed_by=by)
            .returning(AutomationPause)
        ).scalar_one_or_none()
        return to_pause(row) if row is not None else None


def _active_scope(source: IncidentSource | None, action: ActionKind | None) -> list[Any]:
    return [
        col(AutomationPause.resumed_at).is_(None),
        col(AutomationPause.source).is_not_distinct_from(source.value if source else None),
        col(AutomationPause.action).is_not_distinct_from(action.value if action else None),
    ]
