"""What was deployed where, and what built it: the facts that link a failing workload to the
sync that put it there and the CI run that produced its image. Pure: readers of the JSON the
Kubernetes and Argo CD APIs return and of stored webhook payloads, and the models they fill.

Nothing here reads a container registry: an image is linked to its commit only when its tag
holds the commit SHA (full, or a prefix of 7 or more hex digits). The OCI label
``org.opencontainers.image.revision`` is not read.
"""

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Argo CD's default tracking label, the label of its older versions, and its annotation
# ``<app>:<group>/<kind>:<namespace>/<name>`` (app-of-apps in any namespace: ``<ns>_<app>``).
INSTANCE_LABELS = ("argocd.argoproj.io/instance", "app.kubernetes.io/instance")
TRACKING_ID = "argocd.argoproj.io/tracking-id"
# A commit SHA in an image tag: 7 to 40 hex digits, not part of a longer hex run.
_SHA_IN_TAG = re.compile(r"(?<![0-9a-f])([0-9a-f]{7,40})(?![0-9a-f])")
_DIGEST = re.compile(r"(sha256:[0-9a-f]{64})")


class _Fact(BaseModel):
    model_config = ConfigDict(frozen=True)


class RunningImage(_Fact):
    """A container's image as the pod reports it: the reference and the digest it resolved to."""

    container: str
    image: str
    digest: str | None = None

    @property
    def tag(self) -> str | None:
        return image_tag(self.image)

    @property
    def commit_prefixes(self) -> tuple[str, ...]:
        return commit_prefixes(self.tag)


class Workload(_Fact):
    """A pod and the controllers that own it (ReplicaSet → Deployment), with what they run."""

    namespace: str
    pod: str
    replicaset: str | None = None
    deployment: str | None = None
    images: tuple[RunningImage, ...] = ()
    argocd_app: str | None = None
    # When the pod's ReplicaSet was created: the moment this version started to roll out.
    rolled_out_at: datetime | None = None
    # The Deployment's previous ReplicaSet still exists (what a rollout undo goes back to).
    has_previous_replicaset: bool = False


class Sync(_Fact):
    """A revision an Argo CD application synced, and when (Argo CD's history, or a stored
    notification). ``history_id`` is set when it comes from the application's history."""

    app: str
    revision: str
    at: datetime | None = None
    images: tuple[str, ...] = ()
    history_id: int | None = None
    source: str = "argocd"


class BuildRun(_Fact):
    """A GitHub Actions run that finished (from a stored ``workflow_run`` delivery)."""

    repo: str
    run_id: int
    head_sha: str
    workflow: str | None = None
    conclusion: str | None = None
    completed_at: datetime | None = None
    html_url: str | None = None


class IncidentLink(_Fact):
    """One entry of the chain an incident is linked to: a source's object and how it relates."""

    source: str = Field(max_length=32)  # kubernetes | argocd | github
    kind: str = Field(max_length=32)  # deployment | image | sync | commit | run
    ref: str = Field(max_length=300)  # the object's id in its source
    relation: str = Field(max_length=200)  # "deployed by", "built by", ...
    url: str | None = None
    at: datetime | None = None
    details: dict[str, Any] = Field(default_factory=dict)


# --- readers of API objects ------------------------------------------------------------------
def running_images(pod: dict[str, Any]) -> tuple[RunningImage, ...]:
    """Each container's image and digest (``status.containerStatuses[].imageID``)."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    spec = {c.get("name"): c.get("image") for c in (pod.get("spec") or {}).get("containers") or []}
    images = []
    for status in statuses:
        name = str(status.get("name") or "")
        image = str(spec.get(name) or status.get("image") or "")
        if image:
            images.append(RunningImage(container=name, image=image, digest=digest_of(status)))
    return tuple(images)


def digest_of(container_status: dict[str, Any]) -> str | None:
    match = _DIGEST.search(str(container_status.get("imageID") or ""))
    return match.group(1) if match else None


def image_tag(image: str) -> str | None:
    """The tag of ``registry/path/name:tag[@digest]``; None without one (a port is no tag)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def image_name(image: str) -> str:
    """The image without tag or digest."""
    name = image.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    base = last.split(":", 1)[0]
    return f"{head}/{base}" if head else base


def commit_prefixes(tag: str | None) -> tuple[str, ...]:
    """The commit SHAs (or prefixes of 7+ hex digits) a tag holds: ``sha-1a2b3c4``,
    ``1a2b3c4d…`` (40), ``v1.4.2-1a2b3c4``. Lower case only, as git prints them."""
    if not tag:
        return ()
    return tuple(dict.fromkeys(_SHA_IN_TAG.findall(tag)))


def argocd_app_of(*objects: dict[str, Any]) -> str | None:
    """The Argo CD application that manages the first of ``objects`` that says so: its
    tracking-id annotation, else its instance label (pod, then ReplicaSet, then Deployment)."""
    for obj in objects:
        metadata = obj.get("metadata") or {}
        tracking = str((metadata.get("annotations") or {}).get(TRACKING_ID) or "")
        if ":" in tracking:
            app = tracking.split(":", 1)[0]
            return app.rsplit("_", 1)[-1] or None
        labels = metadata.get("labels") or {}
        for label in INSTANCE_LABELS:
            if labels.get(label):
                return str(labels[label])
    return None


def history_syncs(app_name: str, application: dict[str, Any]) -> list[Sync]:
    """The application's ``status.history`` as syncs, oldest first (by id)."""
    history = (application.get("status") or {}).get("history") or []
    syncs = []
    for entry in sorted(history, key=lambda h: int(h.get("id", 0))):
        if not entry.get("revision"):
            continue
        syncs.append(
            Sync(
                app=app_name,
                revision=str(entry["revision"]),
                at=parse_time(entry.get("deployedAt")),
                history_id=int(entry["id"]) if "id" in entry else None,
            )
        )
    summary = ((application.get("status") or {}).get("summary") or {}).get("images") or []
    if syncs and summary:  # the images deployed now belong to the newest entry
        syncs[-1] = syncs[-1].model_copy(update={"images": tuple(str(i) for i in summary)})
    return syncs


def build_run_of(payload: dict[str, Any]) -> BuildRun | None:
    """The run a stored ``workflow_run`` delivery describes, when it completed."""
    run = payload.get("workflow_run") or {}
    repo = (payload.get("repository") or {}).get("full_name")
    if not (run.get("id") and run.get("head_sha") and repo):
        return None
    return BuildRun(
        repo=str(repo),
        run_id=int(run["id"]),
        head_sha=str(run["head_sha"]),
        workflow=run.get("name"),
        conclusion=run.get("conclusion"),
        completed_at=parse_time(run.get("updated_at")),
        html_url=run.get("html_url"),
    )


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time as the APIs write it (``2024-03-12T09:21:47Z``); None otherwise."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
