"""The evidence about actions on failures, and the autonomy each (signature, action) earned.

Evidence is one stream read from where each kind of outcome is already recorded:

- a fix that ran (not a dry run) and was verified, failed, or failed verification (whoever
  started it: ``automatic`` when CodeHealer did by itself);
- a rejected approval, and a 👎 on an incident (once per incident): failures of its action;
- a person's re-run of a failed attempt CodeHealer did not act on (``person_reruns``, written by
  the verification recorder): a success or a failure of ``rerun_failed_jobs``.

Each row carries the failure's signature and category, so the same stream gives a signature's
own record and its category's.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    Subquery,
    func,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from app.adapters.database.repositories.outcomes import FAILURE, SUCCESS
from app.adapters.database.rows import rows_changed
from app.adapters.database.tables import (
    Approval,
    AuditEntry,
    AutonomyGrant,
    Feedback,
    Incident,
    PersonRerun,
    RemediationAttempt,
    utcnow,
)
from app.core.enums import ActionKind, Actor, AttemptStatus
from app.domain.learning.autonomy import Judgement, Record

PERSON_RERUN_ACTION = ActionKind.RERUN_FAILED_JOBS.value


def _evidence() -> Select[Any]:
    """Every outcome as (signature_hash, category, action, succeeded, automatic, at)."""
    signature, category = col(Incident.signature_hash), col(Incident.category)
    attempts: Select = (
        select(
            signature,
            category,
            col(RemediationAttempt.action).label("action"),
            col(RemediationAttempt.status).in_(SUCCESS).label("succeeded"),
            (col(RemediationAttempt.actor) == Actor.AUTO.value).label("automatic"),
            func.coalesce(
                col(RemediationAttempt.finished_at), col(RemediationAttempt.started_at)
            ).label("at"),
        )
        .join(Incident, col(Incident.id) == col(RemediationAttempt.incident_id))
        .where(
            col(RemediationAttempt.dry_run).is_(False),
            col(RemediationAttempt.status).in_(SUCCESS + FAILURE),
        )
    )
    no = literal(False, Boolean)
    rejected = (
        select(
            signature,
            category,
            col(Incident.action),
            no,
            no,
            func.coalesce(col(Approval.decided_at), col(Approval.requested_at)),
        )
        .join(Incident, col(Incident.id) == col(Approval.incident_id))
        .where(col(Approval.status) == "rejected")
    )
    disliked = (
        select(signature, category, col(Incident.action), no, no, func.min(col(Feedback.created_at)))
        .join(Incident, col(Incident.id) == col(Feedback.incident_id))
        .where(col(Feedback.value) < 0)
        .group_by(col(Incident.id))
    )
    reruns = select(
        signature,
        category,
        literal(PERSON_RERUN_ACTION),
        col(PersonRerun.succeeded),
        no,
        col(PersonRerun.observed_at),
    ).join(Incident, col(Incident.id) == col(PersonRerun.incident_id))
    return select(union_all(attempts, rejected, disliked, reruns).subquery("evidence"))


class AutonomyRepository:
    def __init__(self, session: Session):
        self.session = session

    # --- evidence -----------------------------------------------------------------------------
    def record_person_rerun(
        self, incident_id: int, *, run_attempt: int, succeeded: bool, at: datetime
    ) -> bool:
        """A person's re-run of the failed attempt ``incident_id``; False when already known."""
        stmt = (
            insert(PersonRerun)
            .values(
                incident_id=incident_id,
                run_attempt=run_attempt,
                succeeded=succeeded,
                observed_at=at,
            )
            .on_conflict_do_nothing(constraint="uq_person_reruns_incident")
            .returning(col(PersonRerun.id))
        )
        return self.session.execute(stmt).first() is not None

    def codehealer_acted_on(self, incident_id: int) -> bool:
        """Whether CodeHealer started (or is about to start) a fix of the incident."""
        stmt = select(col(RemediationAttempt.id)).where(
            col(RemediationAttempt.incident_id) == incident_id,
            col(RemediationAttempt.dry_run).is_(False),
            col(RemediationAttempt.status) != AttemptStatus.SKIPPED.value,
        )
        return self.session.execute(stmt.limit(1)).first() is not None

    def own(self, signature_hash: str, action: str, *, since: datetime | None) -> Record:
        """The signature's record of ``action`` (after ``since`` when given)."""
        evidence = _evidence().subquery()
        scope = [evidence.c.signature_hash == signature_hash, evidence.c.action == action]
        if since is not None:
            scope.append(evidence.c.at > since)
        return self._record(evidence, scope)

    def category(self, category: str, action: str, *, other_than: str) -> Record:
        """The record of ``action`` on the category's other signatures."""
        evidence = _evidence().subquery()
        return self._record(
            evidence,
            [
                evidence.c.category == category,
                evidence.c.action == action,
                evidence.c.signature_hash.is_distinct_from(other_than),
            ],
        )

    def failed_in_a_row(
        self, signature_hash: str, action: str, *, since: datetime | None, limit: int
    ) -> int:
        """How many of the latest automatic fixes (after ``since``, at most ``limit``) failed,
        counted back from the newest until one worked."""
        evidence = _evidence().subquery()
        stmt = (
            select(evidence.c.succeeded)
            .where(
                evidence.c.signature_hash == signature_hash,
                evidence.c.action == action,
                evidence.c.automatic.is_(True),
            )
            .order_by(evidence.c.at.desc())
            .limit(limit)
        )
        if since is not None:
            stmt = stmt.where(evidence.c.at > since)
        failed = 0
        for (succeeded,) in self.session.execute(stmt):
            if succeeded:
                break
            failed += 1
        return failed

    def _record(self, evidence: Subquery, scope: list[ColumnElement[bool]]) -> Record:
        stmt = select(
            func.count().filter(evidence.c.succeeded.is_(True)),
            func.count().filter(evidence.c.succeeded.is_(False)),
        ).where(*scope)
        successes, failures = self.session.execute(stmt).one()
        return Record(int(successes), int(failures))

    # --- grants -------------------------------------------------------------------------------
    def grant(self, signature_hash: str, action: str) -> AutonomyGrant | None:
        return self.session.get(AutonomyGrant, (signature_hash, action))

    def save(
        self,
        signature_hash: str,
        action: str,
        *,
        category: str,
        label: str,
        judged: Judgement,
        was_automatic: bool,
    ) -> bool:
        """Store the figures of ``judged``; True when this call moved the grant from
        ``was_automatic`` to what it judged (a concurrent writer that moved it first wins)."""
        figures = {
            "category": category,
            "label": label,
            "successes": int(judged.own.successes),
            "failures": int(judged.own.failures),
            "lower_bound": round(judged.lower_bound, 4),
            "required": judged.required,
            "updated_at": utcnow(),
        }
        self.session.execute(
            insert(AutonomyGrant)
            .values(signature_hash=signature_hash, action=action, automatic=False, **figures)
            .on_conflict_do_nothing(index_elements=["signature_hash", "action"])
        )
        key = (
            col(AutonomyGrant.signature_hash) == signature_hash,
            col(AutonomyGrant.action) == action,
        )
        if judged.automatic == was_automatic:
            self.session.execute(update(AutonomyGrant).where(*key).values(**figures))
            return False
        moment = "promoted_at" if judged.automatic else "demoted_at"
        moved = (
            update(AutonomyGrant)
            .where(*key, col(AutonomyGrant.automatic).is_(was_automatic))
            .values(automatic=judged.automatic, **{moment: figures["updated_at"]}, **figures)
            .execution_options(synchronize_session=False)
        )
        changed = rows_changed(self.session, moved) > 0
        self.session.expire_all()  # the grant read before is stale now
        return changed

    def grants(self, *, limit: int = 200) -> list[AutonomyGrant]:
        """Every (signature, action) judged, automatic ones first, then the best evidenced."""
        stmt = (
            select(AutonomyGrant)
            .order_by(
                col(AutonomyGrant.automatic).desc(),
                col(AutonomyGrant.lower_bound).desc(),
                col(AutonomyGrant.updated_at).desc(),
            )
            .limit(limit)
        )
        return list(self.session.execute(stmt).scalars())

    def recent_changes(self, events: list[str], *, limit: int = 10) -> list[AuditEntry]:
        """The latest promotions and demotions (audit rows of ``events``), newest first."""
        stmt = (
            select(AuditEntry)
            .where(col(AuditEntry.event).in_(events))
            .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
            .limit(limit)
        )
        return list(self.session.execute(stmt).scalars())
