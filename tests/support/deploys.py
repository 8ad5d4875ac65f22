"""A deploy that broke a workload, in the documented shapes of each sender and API: the Argo CD
notification of the sync (with the app's images), the GitHub ``workflow_run`` that built the
image, the kubelet's BackOff event, and the pod, ReplicaSet, Deployment and Argo CD
application the cluster and Argo CD answer with. Times are relative to ``now``."""

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import fixture_bytes
from tests.support.cluster_api import (
    APP,
    CONTAINER,
    DEPLOYMENT,
    NS,
    POD,
    RS,
    application,
    backoff_event,
    deployment,
    fixture_json,
    pod,
    replicaset,
)

BUILD_REPO = "octo-org/checkout"
BUILD_RUN_ID = 9200001
COMMIT = "4c5d6e7f8091a2b3c4d1a2b3c4d5e6f708192a3b"
IMAGE = f"ghcr.io/octo-org/checkout:sha-{COMMIT[:7]}"
DIGEST = "sha256:" + "5e" * 32
GOOD_REVISION = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"
NEW_REVISION = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_run_delivery(*, completed: datetime, conclusion: str = "success") -> dict[str, Any]:
    """The workflow_run ``completed`` delivery of the run that built IMAGE (published example)."""
    payload = json.loads(fixture_bytes("github/octokit__workflow_run__completed.payload.json"))
    payload["repository"]["full_name"] = BUILD_REPO
    payload["workflow_run"].update(
        id=BUILD_RUN_ID,
        name="Build image",
        head_sha=COMMIT,
        conclusion=conclusion,
        updated_at=iso(completed),
        html_url=f"https://github.com/{BUILD_REPO}/actions/runs/{BUILD_RUN_ID}",
    )
    return payload


def sync_notification(*, finished: datetime, revision: str = NEW_REVISION) -> dict[str, Any]:
    """The ``on-sync-succeeded`` body of the documented template, with the app's images."""
    body = fixture_json("argocd/codehealer__on-sync-succeeded.json")
    body.update(
        app=APP,
        revision=revision,
        operationRevision=revision,
        healthStatus="Progressing",
        finishedAt=iso(finished),
        destNamespace=NS,
        images=[IMAGE],
    )
    return body


def backoff(*, first: datetime) -> dict[str, Any]:
    """The kubelet's BackOff event for POD, as kubernetes-event-exporter posts it."""
    event = backoff_event(iso(first + timedelta(minutes=1)))
    event["firstTimestamp"] = iso(first)
    event["involvedObject"]["labels"] = {"app": DEPLOYMENT, "pod-template-hash": "7d9f8b6c5"}
    return event


def deployed_pod() -> dict[str, Any]:
    """POD running IMAGE (its digest in imageID), labelled with the Argo CD instance label."""
    obj = pod(last_reason="Error", exit_code=1)
    obj["metadata"]["labels"]["app.kubernetes.io/instance"] = APP
    obj["spec"]["containers"][0]["image"] = IMAGE
    status = obj["status"]["containerStatuses"][0]
    status["image"] = IMAGE
    status["imageID"] = f"ghcr.io/octo-org/checkout@{DIGEST}"
    return obj


def rolled_out_replicaset(*, created: datetime) -> dict[str, Any]:
    obj = replicaset()
    obj["metadata"]["creationTimestamp"] = iso(created)
    obj["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "2"}
    return obj


def second_deployment() -> dict[str, Any]:
    """The Deployment at its second revision (one earlier ReplicaSet to go back to)."""
    obj = deployment(containers=[{"name": CONTAINER, "image": IMAGE}])
    obj["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "2"}
    return obj


def synced_application(*, synced: datetime) -> dict[str, Any]:
    """GET /api/v1/applications/guestbook: NEW_REVISION synced at ``synced`` after
    GOOD_REVISION two days earlier; auto-sync on; the app Degraded, no operation running."""
    app = copy.deepcopy(application())
    status = app["status"]
    status["sync"] = {"status": "Synced", "revision": NEW_REVISION}
    status["health"] = {"status": "Degraded"}
    status["operationState"]["phase"] = "Succeeded"
    status["operationState"]["operation"]["sync"]["revision"] = NEW_REVISION
    status["operationState"]["syncResult"]["revision"] = NEW_REVISION
    status["operationState"]["finishedAt"] = iso(synced)
    status["conditions"] = []
    status["summary"] = {"images": [IMAGE]}
    source = status["history"][0]["source"]
    status["history"] = [
        {
            "id": 10,
            "revision": GOOD_REVISION,
            "deployedAt": iso(synced - timedelta(days=2)),
            "deployStartedAt": iso(synced - timedelta(days=2, seconds=3)),
            "source": source,
        },
        {
            "id": 11,
            "revision": NEW_REVISION,
            "deployedAt": iso(synced),
            "deployStartedAt": iso(synced - timedelta(seconds=3)),
            "source": source,
        },
    ]
    return app


__all__ = ["APP", "NS", "POD", "RS", "DEPLOYMENT"]
