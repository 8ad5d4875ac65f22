"""What an incident is about, as one typed model per kind of target, and the one mapping
between those models and the columns of the ``incidents`` table.

- ``RunTarget``: a CI run attempt (a repository, a workflow run and its attempt);
- ``WorkloadTarget``: a Kubernetes workload or pod in a cluster and namespace;
- ``AppTarget``: an Argo CD application.

A parser puts one of these on the incident draft; the ingest statements store it through
``target_columns``; adapters, remediations and budgets read it back through ``target_of``.
The table keeps one column per field (no migration): this module is the only place that
knows which columns a target fills.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.enums import IncidentKind


class FailedJob(BaseModel):
    id: int
    name: str
    html_url: str | None = None


class _Target(BaseModel):
    model_config = ConfigDict(frozen=True)


class RunTarget(_Target):
    """A CI run attempt. ``installation_id``: the GitHub App installation whose token acts on it."""

    kind: Literal["run"] = "run"
    repo: str
    run_id: int
    run_attempt: int = 1
    workflow_id: int | None = None
    workflow_name: str | None = None
    head_branch: str | None = None
    head_sha: str | None = None
    conclusion: str | None = None
    run_started_at: datetime | None = None
    failed_jobs: list[FailedJob] = Field(default_factory=list)
    installation_id: int | None = None

    def budget_key(self) -> str:
        return self.repo

    def remediation_fields(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "run_id": self.run_id,
            "run_attempt": self.run_attempt,
            "head_branch": self.head_branch,
            "installation_id": self.installation_id,
        }


class WorkloadTarget(_Target):
    """A Kubernetes pod (``pod`` set) or workload (its controller, ``owner_*``)."""

    kind: Literal["workload"] = "workload"
    cluster: str | None = None
    namespace: str | None = None
    pod: str | None = None
    container: str | None = None
    owner_kind: str | None = None
    owner_name: str | None = None
    reason: str | None = None

    def budget_key(self) -> str:
        return self.namespace or ""

    def remediation_fields(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "pod": self.pod,
            "container": self.container,
            "owner_kind": self.owner_kind,
            "owner_name": self.owner_name,
        }


class AppTarget(_Target):
    """An Argo CD application; ``cluster`` and ``namespace`` are where it deploys."""

    kind: Literal["app"] = "app"
    app: str
    cluster: str | None = None
    namespace: str | None = None
    reason: str | None = None

    def budget_key(self) -> str:
        return self.app

    def remediation_fields(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "app": self.app}


Target = Annotated[RunTarget | WorkloadTarget | AppTarget, Field(discriminator="kind")]

# Field of a target → its column, where the names differ.
_COLUMN_OF = {"installation_id": "github_installation_id"}
# The target models (not their base), so that validating with one gives the target union.
TargetModel = type[RunTarget] | type[WorkloadTarget] | type[AppTarget]
_TARGET_TYPES: tuple[TargetModel, ...] = (RunTarget, WorkloadTarget, AppTarget)
TARGET_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(
        _COLUMN_OF.get(name, name)
        for model in _TARGET_TYPES
        for name in model.model_fields
        if name != "kind"
    )
)
_KIND_TARGET: dict[str, TargetModel] = {
    IncidentKind.WORKFLOW_RUN.value: RunTarget,
    IncidentKind.K8S_POD.value: WorkloadTarget,
    IncidentKind.K8S_WORKLOAD.value: WorkloadTarget,
    IncidentKind.ARGOCD_APP.value: AppTarget,
}


def target_columns(target: RunTarget | WorkloadTarget | AppTarget | None) -> dict[str, Any]:
    """Every target column of the incidents table: the target's values, None elsewhere
    (``failed_jobs`` as a list of plain dicts)."""
    columns: dict[str, Any] = dict.fromkeys(TARGET_COLUMNS)
    columns["failed_jobs"] = []
    if target is None:
        return columns
    for name in type(target).model_fields:
        if name != "kind":
            columns[_COLUMN_OF.get(name, name)] = getattr(target, name)
    if isinstance(target, RunTarget):
        columns["failed_jobs"] = [job.model_dump() for job in target.failed_jobs]
    return columns


def target_of(kind: str | None, row: Any) -> RunTarget | WorkloadTarget | AppTarget | None:
    """The target of an incident stored with ``kind``, read from an object or a mapping with
    the table's columns; None when the row lacks what its target needs (a run without a
    repository, an app without a name). An incident of another kind (a storm group) has the
    target its columns describe, if any."""
    read = row.get if isinstance(row, dict) else lambda column: getattr(row, column, None)
    model = _KIND_TARGET.get(str(kind)) or _described(read)
    if model is None:
        return None
    values = {
        name: read(_COLUMN_OF.get(name, name))
        for name in model.model_fields
        if name != "kind"
    }
    values = {name: value for name, value in values.items() if value is not None}
    try:
        return model.model_validate(values)
    except ValueError:
        return None


def _described(read: Any) -> TargetModel | None:
    if read("app"):
        return AppTarget
    if read("repo"):
        return RunTarget
    if read("namespace") or read("pod") or read("owner_name"):
        return WorkloadTarget
    return None


def budget_key(target: RunTarget | WorkloadTarget | AppTarget | None) -> str:
    """The unit of the per-target fix budget: the repository, the namespace or the app."""
    return target.budget_key() if target is not None else ""


def remediation_fields(target: RunTarget | WorkloadTarget | AppTarget | None) -> dict[str, Any]:
    """What a remediator needs to know of the target (validated again before any call)."""
    if target is None:
        return {}
    return {k: v for k, v in target.remediation_fields().items() if v is not None}


def identity_columns(target: RunTarget | WorkloadTarget | AppTarget) -> dict[str, Any]:
    """The columns whose values name what a fix acts on, to find its earlier fixes: the
    workflow of a repository (runs and commits come and go), the workload of a cluster and
    namespace (its pods come and go) or the pod when it has none, the Argo CD app."""
    if isinstance(target, RunTarget):
        if target.workflow_id is not None:
            return {"repo": target.repo, "workflow_id": target.workflow_id}
        return {"repo": target.repo, "workflow_name": target.workflow_name}
    if isinstance(target, WorkloadTarget):
        place = {"cluster": target.cluster, "namespace": target.namespace}
        if target.owner_kind and target.owner_name:
            return {**place, "owner_kind": target.owner_kind, "owner_name": target.owner_name}
        return {**place, "pod": target.pod}
    return {"app": target.app}
