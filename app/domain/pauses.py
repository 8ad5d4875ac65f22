"""The kill switch: a person pauses automatic fixes, everywhere or for one source or action.

A pause names a source, an action, both, or neither (everything). While one covers an
incident's source and action, the decision is still made and recorded, but a fix that would run
on its own is asked of a person instead (``app.domain.rules.pause``). Pure: the service reads
the active pauses and hands them here.
"""

from collections.abc import Iterable
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from app.core.enums import ActionKind, IncidentSource


class Pause(BaseModel):
    """One active pause. ``None`` for the source or the action means every one."""

    model_config = ConfigDict(frozen=True)

    id: int
    source: IncidentSource | None = None
    action: ActionKind | None = None
    paused_by: str
    paused_at: datetime
    reason: str = ""

    def covers(self, source: IncidentSource, action: ActionKind) -> bool:
        return (self.source is None or self.source is source) and (
            self.action is None or self.action is action
        )

    @property
    def scope(self) -> str:
        """What it pauses, in words: ``automatic fixes`` / ``… of github`` / ``… by argocd_sync``."""
        return scope_text(self.source, self.action)

    @property
    def summary(self) -> str:
        """``all automatic fixes paused by U123 at 2026-12-05 13:00 UTC``, and the reason."""
        when = self.paused_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        text = f"{self.scope} paused by {self.paused_by} at {when}"
        return f"{text} ({self.reason})" if self.reason else text


def scope_options(pause: Pause) -> str:
    """The scope as the options of ``codehealer resume``: ``--source github --action …``."""
    named = (("source", pause.source), ("action", pause.action))
    return " ".join(f"--{name} {value.value}" for name, value in named if value is not None)


def scope_text(source: IncidentSource | None, action: ActionKind | None) -> str:
    what = f"automatic {action.value}" if action is not None else "automatic fixes"
    if source is not None:
        return f"{what} of {source.value} incidents"
    return what if action is not None else "all automatic fixes"


def matching_pause(
    pauses: Iterable[Pause], *, source: IncidentSource, action: ActionKind
) -> Pause | None:
    """The pause that holds a fix of ``action`` on an incident from ``source``: the oldest of
    those that cover it (the one a person set first), or None."""
    covering = [p for p in pauses if p.covers(source, action)]
    return min(covering, key=lambda p: (p.paused_at, p.id)) if covering else None
