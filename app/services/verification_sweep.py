"""Sweep tasks that judge the ``verifying`` incidents no webhook closed, each feeding the
verification recorder (``app.services.verification``) a typed observation.

``StaleAttemptChecker`` (GitHub): asks GitHub about runs we re-ran whose completion webhook
never came; the run's latest attempt is a ``RunAttemptConcluded``.

``TargetHealthChecker`` (Kubernetes and Argo CD), whose verdict is a ``FixChecked``:

Argo CD app: Healthy and Synced → resolved (after a rollback, Healthy with the rollback
operation Succeeded: the app is OutOfSync with Git by design). A failed operation or a
Degraded/Missing health → failed. Neither after ``window`` → failed.

Pod or workload: the failure reported again (a coalesced event or alert moved
``last_seen_at`` past the fix) or a new BackOff event → failed. Once ``window`` has passed
quietly: the owning workload has all replicas ready (or the pod is Ready) → resolved,
otherwise failed. A pod that is gone (evicted and replaced) with no owner on record and no
new failure reported in the window counts as resolved.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from app.adapters.database.engine import Database
from app.adapters.database.repositories.attempts import AttemptRepository
from app.adapters.database.tables import Incident, RemediationAttempt, utcnow
from app.core.cluster_ports import ArgoCDApi, KubeObject, KubernetesApi
from app.core.enums import ActionKind, IncidentSource, IncidentStatus
from app.core.errors import IntegrationError
from app.core.events.models import RunCompleted
from app.core.ports import GitHubActions
from app.domain.verification import FixChecked, RunAttemptConcluded
from app.services.verification import VerificationRecorder

log = logging.getLogger(__name__)

FAILED_PHASES = frozenset({"Failed", "Error"})
BAD_HEALTH = frozenset({"Degraded", "Missing"})
OWNER_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "DaemonSet"})


class StaleAttemptChecker:
    """A SweepTask: asks GitHub about runs we re-ran whose completion webhook never came."""

    def __init__(
        self,
        db: Database,
        github: GitHubActions,
        recorder: VerificationRecorder,
        *,
        older_than: timedelta = timedelta(minutes=30),
    ):
        self.db = db
        self.github = github
        self.recorder = recorder
        self.older_than = older_than

    def __call__(self) -> dict[str, Any]:
        with self.db.session() as session:
            stale = session.execute(
                select(
                    col(Incident.id), col(Incident.repo), col(Incident.run_id), col(Incident.github_installation_id)
                ).where(
                    col(Incident.status) == IncidentStatus.VERIFYING,
                    col(Incident.updated_at) < utcnow() - self.older_than,
                    col(Incident.run_id).is_not(None),
                )
            ).all()
            # A fix proposed as a pull request re-ran nothing: its pull request's verdict closes it.
            attempts = AttemptRepository(session)
            stale = [row for row in stale if not _proposed_as_pull_request(attempts, row[0])]
        closed = 0
        for _incident_id, repo, run_id, installation_id in stale:
            try:
                run = self.github.for_installation(installation_id).get_run(repo, run_id)
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
            seen = RunAttemptConcluded.completed(event, at=utcnow())
            with self.db.session() as session:
                closed += self.recorder.record(session, seen) is not None
        return {"checked": len(stale), "closed": closed}


def _proposed_as_pull_request(attempts: AttemptRepository, incident_id: int) -> bool:
    attempt = attempts.latest(incident_id)
    return attempt is not None and bool((attempt.result or {}).get("pull_request"))


@dataclass(frozen=True)
class Verdict:
    resolved: bool
    reason: str


class TargetHealthChecker:
    """A SweepTask for Argo CD apps, pods and workloads: ``__call__`` returns counts for the
    sweep report."""

    def __init__(
        self,
        db: Database,
        recorder: VerificationRecorder,
        *,
        kubernetes: KubernetesApi | None,
        argocd: ArgoCDApi | None,
        window: timedelta = timedelta(minutes=10),
        settle: timedelta = timedelta(minutes=1),
        clock: Callable[[], datetime] = utcnow,
    ):
        self.db = db
        self.recorder = recorder
        self.kubernetes = kubernetes
        self.argocd = argocd
        self.window = window
        self.settle = settle
        self.clock = clock

    def __call__(self) -> dict[str, Any]:
        report = {"checked": 0, "resolved": 0, "failed": 0, "pending": 0, "errors": 0}
        for incident, attempt in self._verifying():
            report["checked"] += 1
            try:
                verdict = self.judge(incident, attempt)
            except IntegrationError as exc:
                log.warning("sweep: cannot verify incident %s: %s", incident.id, exc)
                report["errors"] += 1
                continue
            if verdict is None:
                report["pending"] += 1
                continue
            seen = FixChecked(incident.id, verdict.resolved, verdict.reason, self.clock())
            with self.db.session() as session:
                moved = self.recorder.record(session, seen) is not None
            if moved:
                report["resolved" if verdict.resolved else "failed"] += 1
        return report

    def _verifying(self) -> list[tuple[Incident, RemediationAttempt | None]]:
        with self.db.session() as session:
            incidents = session.execute(
                select(Incident)
                .where(
                    col(Incident.status) == IncidentStatus.VERIFYING,
                    col(Incident.source).in_([IncidentSource.ARGOCD, IncidentSource.KUBERNETES]),
                )
                .order_by(col(Incident.id))
            ).scalars()
            attempts = AttemptRepository(session)
            return [(i, attempts.latest(i.id)) for i in incidents]

    def judge(self, incident: Incident, attempt: RemediationAttempt | None) -> Verdict | None:
        """The verdict on one incident now, or None to look again on the next sweep."""
        if attempt is not None and (attempt.result or {}).get("pull_request"):
            return None  # proposed as a pull request: its merge or close is the verdict
        since = (attempt.finished_at if attempt else None) or incident.updated_at
        elapsed = self.clock() - since
        if elapsed < self.settle:
            return None
        if incident.source == IncidentSource.ARGOCD and incident.app:
            return self._app(incident, attempt, since, elapsed)
        return self._pod(incident, attempt, since, elapsed)

    # --- Argo CD ---------------------------------------------------------------------------
    def _app(
        self, incident: Incident, attempt: RemediationAttempt | None, since: datetime, elapsed
    ) -> Verdict | None:
        if self.argocd is None or incident.app is None:
            if elapsed >= self.window:
                return Verdict(False, f"no Synced/Healthy notification within {self.window}")
            return None
        app = self.argocd.get_application(incident.app)
        status = app.get("status") or {}
        health = (status.get("health") or {}).get("status")
        sync = (status.get("sync") or {}).get("status")
        operation = status.get("operationState") or {}
        rolled_back = attempt is not None and attempt.action == ActionKind.ARGOCD_ROLLBACK
        if health == "Healthy" and (
            sync == "Synced" or (rolled_back and operation.get("phase") == "Succeeded")
        ):
            return Verdict(True, f"{incident.app} is Healthy and {sync}")
        if operation.get("phase") in FAILED_PHASES and _after(operation.get("finishedAt"), since):
            return Verdict(False, f"operation {operation['phase']}: {operation.get('message', '')}")
        if health in BAD_HEALTH:
            return Verdict(False, f"{incident.app} health is {health}")
        if elapsed >= self.window:
            return Verdict(False, f"{incident.app} is {sync}/{health} {self.window} after the fix")
        return None

    # --- pods and workloads ----------------------------------------------------------------
    def _pod(
        self, incident: Incident, attempt: RemediationAttempt | None, since: datetime, elapsed
    ) -> Verdict | None:
        if _after(incident.last_seen_at, since):
            return Verdict(False, f"the failure was reported again at {incident.last_seen_at}")
        if self.kubernetes is not None and incident.namespace and incident.pod:
            backoff = _new_backoff(
                self.kubernetes.list_pod_events(incident.namespace, incident.pod), since
            )
            if backoff is not None:
                return Verdict(False, f"new BackOff event: {backoff.get('message', '')}")
        if elapsed < self.window:
            return None
        if self.kubernetes is None or not incident.namespace:
            return Verdict(True, f"no failure reported within {self.window} (no API check)")
        return self._ready(self.kubernetes, incident.namespace, incident, attempt)

    def _ready(
        self,
        kubernetes: KubernetesApi,
        namespace: str,
        incident: Incident,
        attempt: RemediationAttempt | None,
    ) -> Verdict:
        result = (attempt.result if attempt else None) or {}
        kind = result.get("owner_kind") or incident.owner_kind
        name = result.get("owner_name") or incident.owner_name
        if kind in OWNER_KINDS and name:
            workload = kubernetes.get_workload(namespace, kind, name)
            if workload is None:
                return Verdict(False, f"{kind} {name} no longer exists")
            if workload_ready(workload):
                return Verdict(True, f"{kind} {name} has all replicas ready")
            return Verdict(False, f"{kind} {name} is not fully ready after {self.window}")
        pod = kubernetes.get_pod(namespace, incident.pod) if incident.pod else None
        if pod is None:
            return Verdict(True, f"pod replaced; no failure reported within {self.window}")
        if pod_ready(pod):
            return Verdict(True, f"pod {incident.pod} is Ready")
        return Verdict(False, f"pod {incident.pod} is not Ready after {self.window}")


def workload_ready(obj: KubeObject) -> bool:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    wanted = spec.get("replicas", 1)
    ready = status.get("readyReplicas", 0) >= wanted
    updated = status.get("updatedReplicas", wanted) >= wanted
    return ready and updated


def pod_ready(pod: KubeObject) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _new_backoff(events: list[KubeObject], since: datetime) -> KubeObject | None:
    for event in reversed(events):
        if event.get("reason") == "BackOff" and _after(
            event.get("lastTimestamp") or event.get("eventTime"), since
        ):
            return event
    return None


def _after(value: Any, since: datetime) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return False
    if value.tzinfo is None:
        value = value.replace(tzinfo=since.tzinfo)
    return value > since
