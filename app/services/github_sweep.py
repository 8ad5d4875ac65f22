"""Sweep task for GitHub: ingest failed runs that no webhook delivered (GitHub does not
redeliver failed deliveries). Runs we re-ran are checked by ``verification_sweep``."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import distinct, select, update
from sqlmodel import col

from app.adapters.database.engine import Database
from app.adapters.database.tables import Incident, utcnow
from app.core.errors import IntegrationError, NormalizationError
from app.core.events.github import github_signal
from app.core.events.models import FailureObserved
from app.core.ports import GitHubActions
from app.services.ingest import IngestService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RepositoryScope:
    """A repository to reconcile, and the App installation that may read it (None: no App,
    or the App looks it up)."""

    repo: str
    installation_id: int | None = None


class Reconciler:
    """Lists recent failed runs per repository and ingests those no webhook delivered.

    Repositories: GITHUB_REPOSITORIES when set; else, with a GitHub App, those its
    installations were granted; else those seen in deliveries."""

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

    def scopes(self) -> list[RepositoryScope]:
        if self.repositories:
            return [RepositoryScope(repo) for repo in self.repositories]
        installations = self.github.installations()
        if installations is not None:
            return self._installed(installations)
        with self.db.session() as session:
            rows = session.execute(
                select(distinct(col(Incident.repo))).where(col(Incident.repo).is_not(None))
            )
            return [RepositoryScope(r) for r in sorted(r for (r,) in rows)]

    def _installed(self, installations: list[int]) -> list[RepositoryScope]:
        scopes = []
        for installation_id in installations:
            try:
                installation = self.github.for_installation(installation_id)
                repos = installation.list_installation_repositories()
            except IntegrationError as exc:
                log.warning("reconcile: cannot list installation %s: %s", installation_id, exc)
                continue
            scopes += [RepositoryScope(repo, installation_id) for repo in repos]
        return scopes

    def __call__(self) -> dict[str, Any]:
        since = utcnow() - self.lookback
        ingested, seen = [], 0
        scopes = self.scopes()
        for scope in scopes:
            github = self.github.for_installation(scope.installation_id)
            try:
                runs = github.list_runs(scope.repo, status="failure", created_since=since)
            except IntegrationError as exc:
                log.warning("reconcile: cannot list runs of %s: %s", scope.repo, exc)
                continue
            for run in runs:
                seen += 1
                incident_id = self._ingest_run(scope, run)
                if incident_id is not None:
                    ingested.append(incident_id)
        return {"repositories": len(scopes), "failed_runs_seen": seen, "ingested": ingested}

    def _ingest_run(self, scope: RepositoryScope, run: dict[str, Any]) -> int | None:
        repo = scope.repo
        payload: dict[str, Any] = {
            "action": "completed",
            "workflow_run": run,
            "repository": {"full_name": repo},
        }
        if scope.installation_id is not None:  # as GitHub would have sent it to the App
            payload["installation"] = {"id": scope.installation_id}
        delivery_id = f"reconcile:{repo}:{run.get('id')}:{run.get('run_attempt', 1)}"
        try:
            signal = github_signal(delivery_id, "workflow_run", payload)
        except NormalizationError as exc:  # as a delivery of it would be: refused, others go on
            log.warning("reconcile: run %s of %s not recorded: %s", run.get("id"), repo, exc)
            return None
        if not isinstance(signal.event, FailureObserved):
            return None
        [outcome] = self.ingest.store([signal])
        if not outcome.created:
            return None
        with self.db.session() as session:
            session.execute(
                update(Incident).where(col(Incident.id) == outcome.incident_id).values(reconciled=True)
            )
        log.info("reconciled run %s of %s as incident %s", run["id"], repo, outcome.incident_id)
        return outcome.incident_id
