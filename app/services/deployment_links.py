"""Linking step: a failing workload → the Deployment and images it runs → the Argo CD sync that
deployed it → the commit and the run that built its image; and, when the failure follows that
deploy, the fix that undoes it (app/domain/deploy_cause.py) instead of a restart.

Runs between the analysis and the decision, on Kubernetes and Argo CD incidents. The facts
come from the Kubernetes API (the pod, its ReplicaSet and Deployment), the Argo CD API (the
application's history), else the stored Argo CD notifications, and the stored GitHub
``workflow_run`` deliveries. Linking is a best effort: an API that refuses or is down leaves
the incident as the analysis left it, with a note of what could not be read.
"""

import logging
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any

from app.adapters.database.engine import Database
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.database.repositories.links import LinkRepository
from app.adapters.database.tables import Incident, merge_json, utcnow
from app.core.cluster_ports import ArgoCDApi, KubeObject, KubernetesApi
from app.core.deployments import (
    RunningImage,
    Sync,
    Workload,
    argocd_app_of,
    history_syncs,
    parse_time,
    running_images,
)
from app.core.enums import ActionKind, Fixability, IncidentSource, IncidentStatus
from app.core.errors import IntegrationError
from app.core.redaction import mask_secrets
from app.domain.deploy_cause import FailureFacts, builds_of, link_deploy

log = logging.getLogger(__name__)

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
LINKED_SOURCES = frozenset({IncidentSource.KUBERNETES.value, IncidentSource.ARGOCD.value})


class DeploymentLinker:
    def __init__(
        self,
        db: Database,
        *,
        kubernetes: KubernetesApi | None,
        argocd: ArgoCDApi | None,
        window: timedelta,
        actions: Collection[ActionKind],
        clock: Callable[[], datetime] = utcnow,
    ):
        self.db = db
        self.kubernetes = kubernetes
        self.argocd = argocd
        self.window = window
        # What the configured remediators can do: a cause is proposed only as one of them.
        self.actions = frozenset(actions)
        self.clock = clock

    def __call__(self, incident_id: int) -> None:
        """Pipeline step: link an ``analyzed``, undecided Kubernetes or Argo CD incident."""
        with self.db.session() as session:
            incident = IncidentRepository(session).get(incident_id)
            if not _linkable(incident):
                return
            assert incident is not None
            failure = self._failure(incident)
            namespace, pod = incident.namespace, incident.pod
        notes: list[str] = []
        workload = self._workload(namespace, pod, notes)
        app = failure.app or (workload.argocd_app if workload else None)
        syncs = self._syncs(app, notes) if app else []
        images = workload.images if workload else _deployed_images(syncs)
        with self.db.session() as session:
            links = LinkRepository(session)
            prefixes = sorted({p for image in images for p in image.commit_prefixes})
            builds = builds_of(images, links.runs_of_commits(prefixes))
            linked = link_deploy(
                failure,
                workload=workload,
                syncs=syncs,
                builds=builds,
                window=self.window,
                actions=self.actions,
            )
            links.replace(incident_id, linked.links)
            details: dict[str, Any] = {"links_note": "; ".join(notes) or None}
            fields: dict[str, Any] = {}
            if linked.cause is not None:
                details["cause"] = linked.cause.model_dump(mode="json")
                # The deploy is the cause: undoing it is the fix, whatever the log suggested;
                # a person approves it (the decision step asks).
                fields = {"action": linked.cause.action.value, "fixability": Fixability.UNKNOWN}
            IncidentRepository(session).transition(
                incident_id,
                expected=IncidentStatus.ANALYZED,
                to=IncidentStatus.ANALYZED,
                details=merge_json(Incident.details, details),
                **fields,
            )
        if linked.cause is not None:
            log.info("incident %s: %s", incident_id, linked.cause.summary)

    def _failure(self, incident: Incident) -> FailureFacts:
        details = incident.details or {}
        began = parse_time(details.get("first_timestamp")) or incident.created_at or self.clock()
        return FailureFacts(
            reason=incident.reason,
            category=incident.category,
            began_at=began,
            namespace=incident.namespace,
            app=incident.app,
        )

    # --- Kubernetes ----------------------------------------------------------------------
    def _workload(
        self, namespace: str | None, pod_name: str | None, notes: list[str]
    ) -> Workload | None:
        if self.kubernetes is None or not (namespace and pod_name):
            return None
        try:
            return read_workload(self.kubernetes, namespace, pod_name)
        except IntegrationError as exc:
            notes.append(f"Kubernetes: {_said(exc)}")
            return None

    # --- Argo CD -------------------------------------------------------------------------
    def _syncs(self, app: str, notes: list[str]) -> list[Sync]:
        """The app's history from Argo CD, else the syncs its notifications reported."""
        if self.argocd is not None:
            try:
                return history_syncs(app, self.argocd.get_application(app))
            except IntegrationError as exc:
                notes.append(f"Argo CD: {_said(exc)}")
        with self.db.session() as session:
            return LinkRepository(session).notified_syncs(app)


def read_workload(kube: KubernetesApi, namespace: str, pod_name: str) -> Workload | None:
    """The pod, its ReplicaSet and Deployment (through ownerReferences), as linking facts."""
    pod = kube.get_pod(namespace, pod_name)
    if pod is None:
        return None
    replicaset = _owned_by(kube, namespace, pod, "ReplicaSet")
    deployment = _owned_by(kube, namespace, replicaset, "Deployment") if replicaset else None
    objects = [o for o in (pod, replicaset, deployment) if o is not None]
    return Workload(
        namespace=namespace,
        pod=pod_name,
        replicaset=_name(replicaset),
        deployment=_name(deployment),
        images=running_images(pod),
        argocd_app=argocd_app_of(*objects),
        rolled_out_at=parse_time(_metadata(replicaset).get("creationTimestamp")),
        has_previous_replicaset=_revision(deployment) > 1,
    )


def _owned_by(
    kube: KubernetesApi, namespace: str, obj: KubeObject | None, kind: str
) -> KubeObject | None:
    for ref in _metadata(obj).get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == kind and ref.get("name"):
            return kube.get_workload(namespace, kind, ref["name"])
    return None


def _metadata(obj: KubeObject | None) -> dict[str, Any]:
    return (obj or {}).get("metadata") or {}


def _name(obj: KubeObject | None) -> str | None:
    return _metadata(obj).get("name")


def _revision(deployment: KubeObject | None) -> int:
    value = (_metadata(deployment).get("annotations") or {}).get(REVISION_ANNOTATION)
    if value is None:
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _deployed_images(syncs: list[Sync]) -> tuple[RunningImage, ...]:
    """An Argo CD incident has no pod: the images its newest sync deployed."""
    if not syncs:
        return ()
    return tuple(RunningImage(container="", image=image) for image in syncs[-1].images)


def _linkable(incident: Incident | None) -> bool:
    return (
        incident is not None
        and incident.status == IncidentStatus.ANALYZED
        and not incident.decision
        and incident.source in LINKED_SOURCES
    )


def _said(exc: IntegrationError) -> str:
    return mask_secrets(str(exc))[:200]
