"""Queries that gather decision facts which are not counts of attempts."""

from datetime import datetime

from sqlalchemy import BigInteger, cast, distinct, func, select
from sqlmodel import Session, col

from app.adapters.database.tables import Incident, WebhookDelivery
from app.core.enums import IncidentKind


class DecisionFactsRepository:
    def __init__(self, session: Session):
        self.session = session

    def newer_run_of_same_workflow(
        self, *, repo: str, workflow_id: int | None, branch: str | None, run_id: int
    ) -> int | None:
        """The id of a newer run of the same workflow on the same branch, from deliveries seen."""
        if workflow_id is None or branch is None:
            return None
        run = WebhookDelivery.payload["workflow_run"]
        run_id_expr = cast(run["id"].astext, BigInteger)
        stmt = select(func.max(run_id_expr)).where(
            col(WebhookDelivery.source) == "github",
            col(WebhookDelivery.event_type) == "workflow_run",
            col(WebhookDelivery.payload)["repository"]["full_name"].astext == repo,
            run["workflow_id"].astext == str(workflow_id),
            run["head_branch"].astext == branch,
            run_id_expr > run_id,
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def storm_targets(self, signature_hash: str, *, since: datetime) -> int:
        """Distinct targets failing with this signature since ``since`` (storm parents excluded)."""
        target = func.coalesce(Incident.repo, Incident.namespace, Incident.app, "")
        stmt = select(func.count(distinct(target))).where(
            col(Incident.signature_hash) == signature_hash,
            col(Incident.created_at) >= since,
            col(Incident.kind) != IncidentKind.STORM_GROUP,
        )
        return self.session.execute(stmt).scalar_one()

    def storm_members(self, signature_hash: str, *, since: datetime) -> list[Incident]:
        stmt = select(Incident).where(
            col(Incident.signature_hash) == signature_hash,
            col(Incident.created_at) >= since,
            col(Incident.kind) != IncidentKind.STORM_GROUP,
        )
        return list(self.session.execute(stmt).scalars())

    def open_storm_parent(self, signature_hash: str, *, since: datetime) -> Incident | None:
        stmt = (
            select(Incident)
            .where(
                col(Incident.signature_hash) == signature_hash,
                col(Incident.kind) == IncidentKind.STORM_GROUP,
                col(Incident.created_at) >= since,
            )
            .order_by(col(Incident.id))
            .limit(1)
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def storm_group_members(self, group_id: int) -> list[Incident]:
        """The incidents grouped under storm group ``group_id``, oldest first."""
        stmt = (
            select(Incident).where(col(Incident.parent_id) == group_id).order_by(col(Incident.id))
        )
        return list(self.session.execute(stmt).scalars())
