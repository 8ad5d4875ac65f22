"""Sweep tasks for GitHub: close attempts no webhook answered, and ingest failed runs that no
webhook delivered (GitHub does not redeliver failed deliveries)."""

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import distinct, select, update

from app.adapters.database.engine import Database
from app.adapters.database.tables import Incident, utcnow
from app.core.enums import IncidentSource, IncidentStatus
from app.core.errors import IntegrationError
from app.core.events.github import parse_github_event
from app.core.events.models import FailureObserved, RunCompleted
from app.core.ports import GitHubActions
from app.services.ingest import IngestService
from app.services.verification import RunVerifier

log = logging.getLogger(__name__)


class StaleAttemptChecker:
    """Asks GitHub about runs we re-ran whose completion webhook never came."""

    def __init__(
        self,
        db: Database,
        github: GitHubActions,
        verifier: RunVerifier,
        *,
        older_than: timedelta = timedelta(minutes=30),
    ):
        self.db = db
        self.github = github
        self.verifier = verifier
        self.older_than = older_than

    def __call__(self) -> dict[str, Any]:
        with self.db.session() as session:
            stale = session.execute(
                select(Incident.id, Incident.repo, Incident.run_id).where(
                    Incident.status == IncidentStatus.VERIFYING,
                    Incident.updated_at < utcnow() - self.older_than,
                    Incident.run_id.is_not(None),
                )
            ).all()
        closed = 0
        for _incident_id, repo, run_id in stale:
            try:
                run = self.github.get_run(repo, run_id)
            except IntegrationError as exc:
                log.warning("sweep: cannot check run %s of %s: %s", run_id, repo, exc)
                continue
            if run.get("status") != "completed":
                continue
            event = RunCompleted(
                repo=repo,
                run_id=run_id,
                run_attempt=int(run.get("run_attempt") or 1),
                conclusion=run.get("conclusion") or "unknown",
            )
            with self.db.session() as session:
                closed += self.verifier.run_completed(session, event) is not None
        return {"checked": len(stale), "closed": closed}


class Reconciler:
    """Lists recent failed runs per repository and ingests those no webhook delivered."""

    def __init__(
        self,
        db: Database,
        github: GitHubActions,
        ingest: IngestService,
        *,
        repositories: list[str],
        lookback: timedelta = timedelta(hours=24),
    ):
        self.db = db
        self.github = github
        self.ingest = ingest
        self.repositories = repositories
        self.lookback = lookback

    def repos(self) -> list[str]:
        if self.repositories:
            return self.repositories
        with self.db.session() as session:
            rows = session.execute(
                select(distinct(Incident.repo)).where(Incident.repo.is_not(None))
            )
            return sorted(r for (r,) in rows)

    def __call__(self) -> dict[str, Any]:
        since = utcnow() - self.lookback
        ingested, seen = [], 0
        for repo in self.repos():
            try:
                runs = self.github.list_runs(repo, status="failure", created_since=since)
            except IntegrationError as exc:
                log.warning("reconcile: cannot list runs of %s: %s", repo, exc)
                continue
            for run in runs:
                seen += 1
                incident_id = self._ingest_run(repo, run)
                if incident_id is not None:
                    ingested.append(incident_id)
        return {"repositories": len(self.repos()), "failed_runs_seen": seen, "ingested": ingested}

    def _ingest_run(self, repo: str, run: dict[str, Any]) -> int | None:
        payload = {"action": "completed", "workflow_run": run, "repository": {"full_name": repo}}
        event = parse_github_event("workflow_run", payload)
        if not isinstance(event, FailureObserved):
            return None
        delivery_id = f"reconcile:{repo}:{run['id']}:{run.get('run_attempt', 1)}"
        outcome = self.ingest.ingest(
            source=IncidentSource.GITHUB,
            delivery_id=delivery_id,
            event_type="workflow_run",
            payload=payload,
            event=event,
        )
        if not outcome.created:
            return None
        with self.db.session() as session:
            session.execute(
                update(Incident).where(Incident.id == outcome.incident_id).values(reconciled=True)
            )
        log.info("reconciled run %s of %s as incident %s", run["id"], repo, outcome.incident_id)
        return outcome.incident_id
