"""incident_links, and the stored deliveries the links are found in: the workflow runs that
built a commit, and the syncs Argo CD notified."""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, or_, select
from sqlmodel import Session, col

from app.adapters.database.tables import IncidentLinkRow, WebhookDelivery
from app.core.deployments import BuildRun, IncidentLink, Sync, build_run_of
from app.core.events.argocd import sync_of

PAYLOAD = col(WebhookDelivery.payload)
RUN_HEAD_SHA = PAYLOAD["workflow_run"]["head_sha"].astext
NOTIFIED_APP = PAYLOAD["app"].astext


class LinkRepository:
    def __init__(self, session: Session):
        self.session = session

    def replace(self, incident_id: int, links: Sequence[IncidentLink]) -> None:
        """The incident's links are what the last look found: earlier ones are dropped."""
        self.session.execute(
            delete(IncidentLinkRow).where(col(IncidentLinkRow.incident_id) == incident_id)
        )
        for position, link in enumerate(links):
            self.session.add(
                IncidentLinkRow(
                    incident_id=incident_id,
                    position=position,
                    **link.model_dump(mode="json", exclude={"at"}),
                    at=link.at,
                )
            )
        self.session.flush()

    def for_incident(self, incident_id: int) -> list[IncidentLinkRow]:
        stmt = (
            select(IncidentLinkRow)
            .where(col(IncidentLinkRow.incident_id) == incident_id)
            .order_by(col(IncidentLinkRow.position))
        )
        return list(self.session.execute(stmt).scalars())

    def runs_of_commits(self, prefixes: Sequence[str], *, limit: int = 20) -> list[BuildRun]:
        """Completed runs of the stored ``workflow_run`` deliveries whose head SHA starts with
        one of ``prefixes`` (hex digits only: the index serves the LIKE), newest first."""
        if not prefixes:
            return []
        stmt = (
            select(PAYLOAD)
            .where(
                col(WebhookDelivery.source) == "github",
                col(WebhookDelivery.event_type) == "workflow_run",
                or_(*(RUN_HEAD_SHA.like(f"{prefix}%") for prefix in prefixes)),
            )
            .order_by(col(WebhookDelivery.received_at).desc())
            .limit(limit)
        )
        runs = (build_run_of(payload) for payload in self.session.execute(stmt).scalars())
        return list({run.run_id: run for run in runs if run is not None}.values())

    def notified_syncs(self, app: str, *, limit: int = 20) -> list[Sync]:
        """The syncs of ``app`` its stored Argo CD notifications report, oldest first."""
        stmt = (
            select(PAYLOAD, col(WebhookDelivery.received_at))
            .where(col(WebhookDelivery.source) == "argocd", NOTIFIED_APP == app)
            .order_by(col(WebhookDelivery.received_at).desc())
            .limit(limit)
        )
        syncs: list[Sync] = []
        for payload, received_at in self.session.execute(stmt).all():
            sync = sync_of(payload, received_at=received_at)
            if sync is not None:
                syncs.append(sync)
        return sorted(syncs, key=_sync_time)


def _sync_time(sync: Sync) -> datetime:
    return sync.at or datetime.min.replace(tzinfo=UTC)
