"""A failure caused by a deploy: the chain that links a failing workload to the sync that put
it there and the run that built it, and the fix that undoes the deploy.

Pure: the facts come in (app/core/deployments.py, gathered by app/services/deployment_links.py),
the links and the cause go out. A crash loop or a failing health check (CrashLoopBackOff,
probe failures, an Argo CD app Degraded) that began within ``window`` after the sync of a new
revision is the deploy's fault: rolling the app back to the revision before it is proposed
(``argocd_rollback``) instead of restarting the pod; a Deployment not under Argo CD goes back
to its previous ReplicaSet (``rollout_undo``). Either way a person approves it.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.core.deployments import (
    BuildRun,
    IncidentLink,
    RunningImage,
    Sync,
    Workload,
    image_name,
)
from app.core.enums import ActionKind, Category, Decision

# The reasons (as the parsers normalize them) of a crash loop or a failing health check.
FAILING_HEALTH = frozenset({"CrashLoopBackOff", "Unhealthy", "Degraded"})
SUCCESS = "success"
SHORT = 12  # how much of a revision people read
EARLIEST = datetime.min.replace(tzinfo=UTC)


class DeployCause(BaseModel):
    """Why the incident is the deploy's fault, and the fix proposed for it."""

    model_config = ConfigDict(frozen=True)

    action: ActionKind
    params: dict[str, Any]
    summary: str
    revision: str | None = None
    previous_revision: str | None = None
    synced_at: datetime | None = None
    minutes_after: int
    commit: str | None = None
    run: str | None = None
    run_url: str | None = None


@dataclass(frozen=True)
class FailureFacts:
    """What the incident says about the failure."""

    reason: str | None
    category: str | None
    began_at: datetime
    namespace: str | None = None
    app: str | None = None  # an Argo CD incident's application


@dataclass(frozen=True)
class Build:
    """An image and the run that built it."""

    image: RunningImage
    run: BuildRun


@dataclass(frozen=True)
class Linked:
    links: tuple[IncidentLink, ...]
    cause: DeployCause | None


def cause_of(details: dict[str, Any] | None) -> DeployCause | None:
    """The cause the linking step stored on the incident (``details.cause``), if any."""
    stored = (details or {}).get("cause")
    if not isinstance(stored, dict):
        return None
    try:
        return DeployCause.model_validate(stored)
    except ValueError:
        return None


def cause_decision(cause: DeployCause) -> tuple[Decision, str]:
    """Undoing a deploy is proposed to a person, never run alone: the rules may still make it
    more careful (a blacklist entry, the hourly budget)."""
    return Decision.NEEDS_APPROVAL, f"the deploy is the likely cause: {cause.summary}"


def is_failing_health(reason: str | None, category: str | None) -> bool:
    return reason in FAILING_HEALTH or category == Category.K8S_CRASHLOOP.value


def builds_of(images: Sequence[RunningImage], runs: Sequence[BuildRun]) -> list[Build]:
    """Each image whose tag holds a commit that a successful run built, with that run: the
    one of a repository named like the image first, then the latest."""
    builds = []
    for image in images:
        prefixes = image.commit_prefixes
        matching = [
            run
            for run in runs
            if run.conclusion == SUCCESS and any(run.head_sha.startswith(p) for p in prefixes)
        ]
        if not matching:
            continue
        name = image_name(image.image).rsplit("/", 1)[-1]
        best = max(
            matching,
            key=lambda r: (
                r.repo.rsplit("/", 1)[-1] == name,
                r.completed_at is not None,
                r.completed_at or EARLIEST,
                r.run_id,
            ),
        )
        builds.append(Build(image=image, run=best))
    return builds


def sync_before(syncs: Sequence[Sync], began_at: datetime) -> tuple[Sync, Sync] | None:
    """The last sync at or before the failure began, and the last sync of another revision
    before it (what a rollback goes back to); None when either is missing."""
    timed = [s for s in syncs if s.at is not None and s.at <= began_at]
    if not timed:
        return None
    current = max(timed, key=lambda s: (s.at, s.history_id or 0))
    earlier = [
        s
        for s in syncs
        if s.revision != current.revision
        and (
            (
                s.history_id is not None
                and current.history_id is not None
                and s.history_id < current.history_id
            )
            or (s.at is not None and current.at is not None and s.at < current.at)
        )
    ]
    if not earlier:
        return None
    previous = max(earlier, key=lambda s: (s.history_id or 0, s.at or EARLIEST))
    return current, previous


def link_deploy(
    failure: FailureFacts,
    *,
    workload: Workload | None,
    syncs: Sequence[Sync],
    builds: Sequence[Build],
    window: timedelta,
    actions: Collection[ActionKind],
) -> Linked:
    """The links of the incident and, when the failure follows a deploy, its cause."""
    links = list(_workload_links(workload)) + list(_build_links(builds))
    app = failure.app or (workload.argocd_app if workload else None)
    pair = sync_before(syncs, failure.began_at) if app else None
    cause = None
    if pair is not None and app is not None:
        current, previous = pair
        minutes = _minutes(failure.began_at, current.at)
        links += _sync_links(app, current, previous, minutes)
        if (
            minutes is not None
            and _caused(failure, minutes, window)
            and ActionKind.ARGOCD_ROLLBACK in actions
        ):
            cause = _rollback(app, current, previous, minutes, builds)
    elif app is None and workload is not None and workload.rolled_out_at is not None:
        minutes = _minutes(failure.began_at, workload.rolled_out_at)
        if (
            minutes is not None
            and workload.deployment
            and workload.has_previous_replicaset
            and _caused(failure, minutes, window)
            and ActionKind.ROLLOUT_UNDO in actions
        ):
            cause = _undo(workload, minutes, builds)
    return Linked(links=tuple(links), cause=cause)


def _caused(failure: FailureFacts, minutes: int, window: timedelta) -> bool:
    if not is_failing_health(failure.reason, failure.category):
        return False
    return 0 <= minutes <= window.total_seconds() / 60


def _minutes(began_at: datetime, deployed_at: datetime | None) -> int | None:
    if deployed_at is None or began_at < deployed_at:
        return None
    return int((began_at - deployed_at).total_seconds() // 60)


def _rollback(
    app: str, current: Sync, previous: Sync, minutes: int, builds: Sequence[Build]
) -> DeployCause:
    build = builds[0] if builds else None
    built = _built_words(build)
    return DeployCause(
        action=ActionKind.ARGOCD_ROLLBACK,
        params={"app": app, "revision": current.revision},
        summary=(
            f"started {_ago(minutes)} after Argo CD application {app} synced revision "
            f"{current.revision[:SHORT]}{built}: roll {app} back to "
            f"{previous.revision[:SHORT]}, its previous revision"
        ),
        revision=current.revision,
        previous_revision=previous.revision,
        synced_at=current.at,
        minutes_after=minutes,
        **_build_fields(build),
    )


def _undo(workload: Workload, minutes: int, builds: Sequence[Build]) -> DeployCause:
    build = builds[0] if builds else None
    return DeployCause(
        action=ActionKind.ROLLOUT_UNDO,
        params={
            "namespace": workload.namespace,
            "pod": workload.pod,
            "owner_kind": "Deployment",
            "owner_name": workload.deployment,
        },
        summary=(
            f"started {_ago(minutes)} after Deployment {workload.namespace}/"
            f"{workload.deployment} rolled out ReplicaSet {workload.replicaset}"
            f"{_built_words(build)}: undo the rollout to the previous ReplicaSet"
        ),
        synced_at=workload.rolled_out_at,
        minutes_after=minutes,
        **_build_fields(build),
    )


def _build_fields(build: Build | None) -> dict[str, Any]:
    if build is None:
        return {}
    run = build.run
    return {
        "commit": f"{run.repo}@{run.head_sha}",
        "run": f"{run.repo}#{run.run_id}",
        "run_url": run.html_url,
    }


def _built_words(build: Build | None) -> str:
    if build is None:
        return ""
    run = build.run
    workflow = f" ({run.workflow})" if run.workflow else ""
    return (
        f"; its image {build.image.image} was built by run {run.repo}#{run.run_id}"
        f"{workflow} from commit {run.head_sha[:SHORT]}"
    )


def _ago(minutes: int) -> str:
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _workload_links(workload: Workload | None) -> list[IncidentLink]:
    if workload is None or not workload.deployment:
        return []
    links = [
        IncidentLink(
            source="kubernetes",
            kind="deployment",
            ref=f"{workload.namespace}/{workload.deployment}",
            relation="runs as",
            at=workload.rolled_out_at,
            details={"pod": workload.pod, "replicaset": workload.replicaset},
        )
    ]
    for image in workload.images:
        links.append(
            IncidentLink(
                source="kubernetes",
                kind="image",
                ref=image.image[:300],
                relation="runs image",
                details={"container": image.container, "digest": image.digest},
            )
        )
    return links


def _build_links(builds: Sequence[Build]) -> list[IncidentLink]:
    links = []
    for build in builds:
        run = build.run
        links.append(
            IncidentLink(
                source="github",
                kind="commit",
                ref=f"{run.repo}@{run.head_sha}",
                relation=f"image {image_name(build.image.image)} built from",
                url=_commit_url(run),
            )
        )
        links.append(
            IncidentLink(
                source="github",
                kind="run",
                ref=f"{run.repo}#{run.run_id}",
                relation="built by",
                url=run.html_url,
                at=run.completed_at,
                details={"workflow": run.workflow, "head_sha": run.head_sha},
            )
        )
    return links


def _commit_url(run: BuildRun) -> str | None:
    """The commit's page, on the GitHub the run's page is on (github.com or an Enterprise)."""
    if not run.html_url or "/actions/runs/" not in run.html_url:
        return None
    return f"{run.html_url.split('/actions/runs/', 1)[0]}/commit/{run.head_sha}"


def _sync_links(app: str, current: Sync, previous: Sync, minutes: int | None) -> list[IncidentLink]:
    timing = (
        f"started {_ago(minutes)} after the sync of" if minutes is not None else "synced before"
    )
    return [
        IncidentLink(
            source="argocd",
            kind="app",
            ref=app,
            relation="deployed by",
            details={"images": list(current.images), "from": current.source},
        ),
        IncidentLink(
            source="argocd",
            kind="revision",
            ref=current.revision,
            relation=timing,
            at=current.at,
            details={
                "app": app,
                "history_id": current.history_id,
                "previous_revision": previous.revision,
                "previous_synced_at": previous.at.isoformat() if previous.at else None,
            },
        ),
    ]
