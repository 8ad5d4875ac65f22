"""The kill switch: pause and resume automatic fixes, shared by every process through the
database (the CLI, the API, Slack, and every worker or Lambda that decides).

While a pause is in force the decision step still decides and records, and the pause rule
(``app.domain.rules.pause``) turns a fix that would run alone into an approval request that
names the pause. A fix a person approves still runs. Every pause and resume is an audit event
of no incident, posted to the Slack channel as a message of its own.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import Session

from app.adapters.database.engine import Database
from app.adapters.database.repositories.pauses import PauseRepository
from app.core.enums import ActionKind, IncidentSource
from app.core.redaction import mask_secrets
from app.domain.audit import AuditEvent
from app.domain.pauses import Pause
from app.services.audit_trail import record_event

log = logging.getLogger(__name__)

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,30}$")


class PauseView(BaseModel):
    """One pause in force, as the API answers it."""

    id: int
    source: IncidentSource | None = Field(description="null: every source")
    action: ActionKind | None = Field(description="null: every action")
    scope: str = Field(description="what it pauses, in words")
    paused_by: str
    paused_at: datetime
    reason: str

    @classmethod
    def of(cls, pause: Pause) -> "PauseView":
        return cls(scope=pause.scope, **pause.model_dump())


class PauseList(BaseModel):
    pauses: list[PauseView]


class PauseAnswer(BaseModel):
    pause: PauseView
    started: bool = Field(description="false: this scope was already paused")


class ResumeAnswer(BaseModel):
    resumed: PauseView
    pauses: list[PauseView] = Field(description="the pauses still in force")


@dataclass(frozen=True)
class PauseChange:
    """The pause in force for the scope asked, and whether this call started or ended it."""

    pause: Pause
    changed: bool


class PauseService:
    def __init__(self, db: Database):
        self.db = db

    def active(self) -> list[Pause]:
        with self.db.session() as session:
            return PauseRepository(session).active()

    def pause(
        self,
        *,
        source: IncidentSource | None = None,
        action: ActionKind | None = None,
        by: str,
        reason: str = "",
    ) -> PauseChange:
        """Pause automatic fixes of this scope; pausing what is already paused changes nothing."""
        with self.db.session() as session:
            pause, started = PauseRepository(session).start(
                # Free text from a person: masked before it is stored, posted or shown.
                source=source,
                action=action,
                by=by,
                reason=mask_secrets(reason.strip()),
            )
            if started:
                record_event(
                    session,
                    AuditEvent.AUTOMATION_PAUSED,
                    actor=by,
                    details={**_scope(pause), "reason": pause.reason, "detail": paused_text(pause)},
                )
        log.info("%s (%s)", pause.summary, "started" if started else "already in force")
        return PauseChange(pause, changed=started)

    def resume(
        self, *, source: IncidentSource | None = None, action: ActionKind | None = None, by: str
    ) -> Pause | None:
        """End the pause of exactly this scope; None when none is in force."""
        with self.db.session() as session:
            ended = PauseRepository(session).end(source=source, action=action, by=by)
            if ended is not None:
                self._resumed(session, ended, by)
        return ended

    def resume_by_id(self, pause_id: int, *, by: str) -> Pause | None:
        """End one pause by its id (a Slack button names it); None when it is not in force."""
        with self.db.session() as session:
            ended = PauseRepository(session).end_by_id(pause_id, by=by)
            if ended is not None:
                self._resumed(session, ended, by)
        return ended

    @staticmethod
    def _resumed(session: Session, pause: Pause, by: str) -> None:
        record_event(
            session,
            AuditEvent.AUTOMATION_RESUMED,
            actor=by,
            details={
                **_scope(pause),
                "paused_by": pause.paused_by,
                "detail": resumed_text(pause, by),
            },
        )
        log.info("%s: resumed by %s", pause.scope, by)


def person(actor: str) -> str:
    """A Slack user id as a mention (Slack shows the name); anyone else as recorded."""
    return f"<@{actor}>" if _SLACK_USER.match(actor) else actor


def paused_text(pause: Pause) -> str:
    reason = f" ({pause.reason})" if pause.reason else ""
    return (
        f"⏸️ {_capital(pause.scope)} paused by {person(pause.paused_by)}{reason}. Decisions are "
        "still made and recorded; a fix that would run by itself waits for an approval until "
        "someone resumes."
    )


def resumed_text(pause: Pause, by: str) -> str:
    return (
        f"▶️ {_capital(pause.scope)} resumed by {person(by)} (paused by "
        f"{person(pause.paused_by)}). The next decisions may fix by themselves again."
    )


def _scope(pause: Pause) -> dict[str, object]:
    return {
        "pause_id": pause.id,
        "source": pause.source.value if pause.source else None,
        "action": pause.action.value if pause.action else None,
    }


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
