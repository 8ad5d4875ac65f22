"""Builders of Kubernetes and Argo CD API objects in their documented shapes, for respx routes,
and of webhook bodies derived from the fixtures."""

import copy
import json
from typing import Any

from tests.conftest import fixture_bytes

K8S = "https://k8s.example.test"
ARGO = "https://argocd.example.test"
NS = "shop"
POD = "checkout-7d9f8b6c5-x2lqz"
RS = "checkout-7d9f8b6c5"
DEPLOYMENT = "checkout"
CONTAINER = "checkout"
APP = "guestbook"
BAD_REVISION = "53e28ff20cc530b9ada2173fbbd64d48338583ba"

POD_PATH = f"/api/v1/namespaces/{NS}/pods/{POD}"
RS_PATH = f"/apis/apps/v1/namespaces/{NS}/replicasets/{RS}"
DEPLOYMENT_PATH = f"/apis/apps/v1/namespaces/{NS}/deployments/{DEPLOYMENT}"
APP_PATH = f"/api/v1/applications/{APP}"


def fixture_json(relative: str) -> dict[str, Any]:
    return json.loads(fixture_bytes(relative))


def owner_ref(kind: str, name: str, *, api_version: str = "apps/v1") -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": f"uid-{name}",
        "controller": True,
        "blockOwnerDeletion": True,
    }


def pod(
    *,
    name: str = POD,
    owner: tuple[str, str] | None = ("ReplicaSet", RS),
    memory: str = "512Mi",
    terminating: bool = False,
    ready: bool = False,
    last_reason: str = "OOMKilled",
    exit_code: int = 137,
) -> dict[str, Any]:
    """A pod as GET /api/v1/namespaces/{ns}/pods/{name} returns it (trimmed)."""
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": NS,
        "uid": "5e3c1a2b-8f4d-4c6e-9b7a-1d2e3f4a5b6c",
        "labels": {"app": DEPLOYMENT, "pod-template-hash": "7d9f8b6c5"},
        "ownerReferences": [owner_ref(*owner)] if owner else [],
    }
    if terminating:
        metadata["deletionTimestamp"] = "2024-03-12T09:40:00Z"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "containers": [
                {
                    "name": CONTAINER,
                    "image": "registry.example.com/shop/checkout:2.3.1",
                    "resources": {
                        "limits": {"cpu": "500m", "memory": memory},
                        "requests": {"cpu": "100m", "memory": "256Mi"},
                    },
                }
            ]
        },
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [
                {
                    "name": CONTAINER,
                    "ready": ready,
                    "restartCount": 31,
                    "state": {
                        "waiting": {
                            "reason": "CrashLoopBackOff",
                            "message": "back-off 5m0s restarting failed container=checkout "
                            f"pod={name}_shop(5e3c1a2b-8f4d-4c6e-9b7a-1d2e3f4a5b6c)",
                        }
                    },
                    "lastState": {
                        "terminated": {
                            "exitCode": exit_code,
                            "reason": last_reason,
                            "startedAt": "2024-03-12T09:20:01Z",
                            "finishedAt": "2024-03-12T09:21:45Z",
                        }
                    },
                }
            ],
        },
    }


def replicaset(*, name: str = RS, owner: tuple[str, str] = ("Deployment", DEPLOYMENT)):
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": NS, "ownerReferences": [owner_ref(*owner)]},
        "spec": {"replicas": 3},
        "status": {"replicas": 3, "readyReplicas": 0},
    }


def deployment(
    *,
    memory: str = "512Mi",
    restarted_at: str | None = None,
    replicas: int = 3,
    ready: int = 3,
    containers: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    annotations = {"kubectl.kubernetes.io/restartedAt": restarted_at} if restarted_at else {}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": DEPLOYMENT, "namespace": NS, "generation": 12},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": DEPLOYMENT}},
            "template": {
                "metadata": {"labels": {"app": DEPLOYMENT}, "annotations": annotations},
                "spec": {
                    "containers": containers
                    or [
                        {
                            "name": CONTAINER,
                            "image": "registry.example.com/shop/checkout:2.3.1",
                            "resources": {"limits": {"cpu": "500m", "memory": memory}},
                        }
                    ]
                },
            },
        },
        "status": {
            "replicas": replicas,
            "readyReplicas": ready,
            "updatedReplicas": replicas,
            "availableReplicas": ready,
        },
    }


def event_list(*events: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "EventList", "apiVersion": "v1", "metadata": {}, "items": list(events)}


def backoff_event(last_timestamp: str = "2024-03-12T09:21:47Z") -> dict[str, Any]:
    event = fixture_json("kubernetes/event-exporter__pod-backoff.warning.json")
    event.pop("clusterName")
    event["involvedObject"].pop("labels")
    event["lastTimestamp"] = last_timestamp
    return event


def eviction_created() -> dict[str, Any]:
    """What the API answers to an accepted eviction (a Status object, 201)."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def pdb_refusal() -> dict[str, Any]:
    """The 429 Status of an eviction a PodDisruptionBudget does not allow."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Cannot evict pod as it would violate the pod's disruption budget.",
        "reason": "TooManyRequests",
        "details": {
            "causes": [
                {
                    "reason": "DisruptionBudget",
                    "message": "The disruption budget checkout-pdb needs 2 healthy pods and "
                    "has 2 currently",
                }
            ]
        },
        "code": 429,
    }


def application(**status_changes: Any) -> dict[str, Any]:
    """GET /api/v1/applications/guestbook after a failed automated sync (from the fixture)."""
    app = copy.deepcopy(fixture_json("argocd/application__guestbook.sync-failed.json"))
    app["status"].update(status_changes)
    return app


def healthy_application() -> dict[str, Any]:
    app = application(
        sync={"status": "Synced", "revision": BAD_REVISION}, health={"status": "Healthy"}
    )
    app["status"]["operationState"]["phase"] = "Succeeded"
    return app


def operation_in_progress() -> dict[str, Any]:
    """Argo CD's gRPC-gateway error body for FailedPrecondition (code 9)."""
    message = "another operation is already in progress"
    return {"error": message, "code": 9, "message": message}


def alertmanager_body(relative: str, **alert_changes: Any) -> dict[str, Any]:
    body = fixture_json(relative)
    for alert in body["alerts"]:
        alert.update(alert_changes)
    return body
