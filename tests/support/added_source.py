"""A webhook source added to the built-in three, shaped like GitLab's pipelines: the parser,
the client, the log source and the remediator a new source brings, each as small as it can be,
for tests that register it with one entry of the table of sources."""

from typing import Any, ClassVar

from pydantic import SecretStr

from app.bootstrap.sources import SOURCES, Source
from app.core.config import Settings
from app.core.enums import ActionKind, IncidentKind, IncidentSource
from app.core.events.models import FailureObserved, Ignored, IncidentDraft
from app.core.events.signals import Delivery, Signal
from app.core.models import FetchedLogs
from app.core.targets import RunTarget
from app.core.webhook_auth import SharedToken, WebhookSource
from app.domain.remediators.base import (
    RemediationResult,
    RemediationStatus,
    Risk,
    StrictParams,
)

PIPELINES_TOKEN = "pipelines-token-for-tests-0123"
# The label of the added source's incidents: the enum has no member for a test-only source,
# so it borrows GitHub's, which the table's added entry then serves in place of GitHub's own.
LABEL = IncidentSource.GITHUB
PIPELINE_LOG = "npm ERR! code ECONNRESET\nnpm ERR! network aborted\nnpm ERR! errno ECONNRESET"


def parse_pipeline_delivery(delivery: Delivery) -> list[Signal]:
    """A GitLab-like pipeline hook: a failed pipeline opens an incident on its run."""
    payload = delivery.payload
    pipeline = payload["object_attributes"]
    delivery_id = f"pipeline-{pipeline['id']}-{pipeline['status']}"
    if pipeline["status"] != "failed":
        event: Any = Ignored(reason=f"pipeline {pipeline['status']}")
        return [signal(delivery_id, payload, event)]
    project = payload["project"]["path_with_namespace"]
    target = RunTarget(repo=project, run_id=pipeline["id"], head_sha=pipeline["sha"])
    draft = IncidentDraft(
        source=LABEL,
        kind=IncidentKind.WORKFLOW_RUN,
        dedup_key=f"pipeline:{project}:{pipeline['id']}",
        fingerprint=f"pipeline:{project}",
        title=f"pipeline {pipeline['id']} of {project} failed",
        target=target,
    )
    return [signal(delivery_id, payload, FailureObserved(draft=draft))]


def signal(delivery_id: str, payload: dict[str, Any], event: Any) -> Signal:
    return Signal(
        source=LABEL, delivery_id=delivery_id, event_type="pipeline", payload=payload, event=event
    )


class PipelinesClient:
    """The source's API client: here, what it was asked."""

    def __init__(self) -> None:
        self.retried: list[tuple[str, int]] = []
        self.logs_read: list[int] = []
        self.closed = False

    def close(self) -> None:
        self.closed = True


def build_pipelines_client(settings: Settings) -> PipelinesClient:
    return PipelinesClient()


class PipelinesLogSource:
    def __init__(self, client: PipelinesClient):
        self.client = client

    def fetch(self, incident: Any) -> FetchedLogs:
        self.client.logs_read.append(incident.target.run_id)
        return FetchedLogs(text=PIPELINE_LOG)


class RetryPipelineParams(StrictParams):
    repo: str
    run_id: int


class RetryPipelineJobs:
    """The source's own way of re-running a failed run's jobs."""

    action: ClassVar[ActionKind] = ActionKind.RERUN_FAILED_JOBS
    params_model: ClassVar[type[RetryPipelineParams]] = RetryPipelineParams
    risk: ClassVar[Risk] = Risk.LOW
    reruns_workflow_run: ClassVar[bool] = True

    def __init__(self, client: PipelinesClient):
        self.client = client

    def prevalidate(self, params: RetryPipelineParams) -> RemediationResult | None:
        return None

    def execute(self, params: RetryPipelineParams) -> RemediationResult:
        self.client.retried.append((params.repo, params.run_id))
        return RemediationResult(
            status=RemediationStatus.SUCCEEDED, detail=f"retried pipeline {params.run_id}"
        )

    def describe(self, params: RetryPipelineParams) -> str:
        return f"retry the failed jobs of pipeline {params.run_id} of {params.repo}"


def pipelines_endpoint(settings: Settings) -> WebhookSource:
    token = SecretStr(PIPELINES_TOKEN)
    return WebhookSource(
        LABEL, SharedToken("x-gitlab-token", token, "PIPELINES_TOKEN", scheme=None)
    )


# The one entry a new source adds to the table (app/bootstrap/sources.py).
PIPELINES = Source(
    "pipelines",
    LABEL,
    lambda _: parse_pipeline_delivery,
    pipelines_endpoint,
    client="tests.support.added_source:build_pipelines_client",
    log_source="tests.support.added_source:PipelinesLogSource",
    remediators=("tests.support.added_source:RetryPipelineJobs",),
)
WITH_PIPELINES = (*SOURCES, PIPELINES)


def pipeline_hook(pipeline_id: int, *, status: str = "failed") -> dict[str, Any]:
    """A pipeline hook's fields the parser reads, as GitLab names them."""
    return {
        "object_kind": "pipeline",
        "object_attributes": {"id": pipeline_id, "status": status, "sha": "a" * 40},
        "project": {"path_with_namespace": "acme/api"},
    }
