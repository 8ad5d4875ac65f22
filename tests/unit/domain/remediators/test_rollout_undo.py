"""rollout_undo against respx: the previous ReplicaSet's template replaces the Deployment's,
as ``kubectl rollout undo`` does (apps/v1 has no rollback call)."""

import json

import pytest
import respx
from pydantic import SecretStr

from app.adapters.external.kubernetes.client import build_kubernetes_client
from app.domain.remediators.base import RemediationStatus
from app.domain.remediators.k8s_workload import WorkloadParams
from app.domain.remediators.rollout_undo import RolloutUndo
from tests.conftest import make_settings
from tests.support.cluster_api import CONTAINER, DEPLOYMENT, DEPLOYMENT_PATH, K8S, NS, deployment

PARAMS = WorkloadParams(namespace=NS, owner_kind="Deployment", owner_name=DEPLOYMENT)
RS_LIST = f"/apis/apps/v1/namespaces/{NS}/replicasets"
UID = "uid-deployment-checkout"


@pytest.fixture
def kube():
    client = build_kubernetes_client(
        make_settings(k8s_api_url=K8S, k8s_token=SecretStr("t")).kubernetes, sleep=lambda _: None
    )
    yield client
    client.close()


def current(*, paused: bool = False, image: str = "registry.example.com/shop/checkout:2.4.0"):
    obj = deployment(containers=[{"name": CONTAINER, "image": image}])
    obj["metadata"] |= {
        "uid": UID,
        "resourceVersion": "4817400",
        "annotations": {
            "deployment.kubernetes.io/revision": "3",
            "kubectl.kubernetes.io/last-applied-configuration": "{}",
        },
    }
    obj["spec"]["paused"] = paused
    return obj


def replicaset(revision: int, image: str, template_hash: str, *, owner_uid: str = UID):
    """A ReplicaSet as GET .../replicasets lists it: the template with its pod-template-hash."""
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{DEPLOYMENT}-{template_hash}",
            "namespace": NS,
            "annotations": {
                "deployment.kubernetes.io/revision": str(revision),
                "deployment.kubernetes.io/desired-replicas": "3",
                "example.com/change-cause": f"image {image}",
            },
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": DEPLOYMENT,
                    "uid": owner_uid,
                    "controller": True,
                }
            ],
        },
        "spec": {
            "replicas": 0,
            "template": {
                "metadata": {"labels": {"app": DEPLOYMENT, "pod-template-hash": template_hash}},
                "spec": {"containers": [{"name": CONTAINER, "image": image}]},
            },
        },
    }


def replicasets(*items):
    return {"kind": "ReplicaSetList", "apiVersion": "apps/v1", "metadata": {}, "items": list(items)}


@respx.mock(base_url=K8S)
def test_the_previous_replicasets_template_replaces_the_deployments(respx_mock, kube):
    respx_mock.get(DEPLOYMENT_PATH).respond(200, json=current())
    listed = respx_mock.get(RS_LIST).respond(
        200,
        json=replicasets(
            replicaset(1, "registry.example.com/shop/checkout:2.2.0", "5c6d7e8f9"),
            replicaset(2, "registry.example.com/shop/checkout:2.3.1", "6d7e8f9a0"),
            replicaset(3, "registry.example.com/shop/checkout:2.4.0", "7d9f8b6c5"),
        ),
    )
    patch = respx_mock.patch(DEPLOYMENT_PATH).respond(200, json=current())

    result = RolloutUndo(kube).execute(PARAMS)

    assert result.status is RemediationStatus.SUCCEEDED
    assert result.data["revision"] == 2
    assert listed.calls.last.request.url.params["labelSelector"] == f"app={DEPLOYMENT}"
    request = patch.calls.last.request
    assert request.headers["content-type"] == "application/json-patch+json"
    test, template, annotations = json.loads(request.content)
    assert test == {"op": "test", "path": "/metadata/resourceVersion", "value": "4817400"}
    assert template["path"] == "/spec/template"
    assert template["value"]["metadata"]["labels"] == {"app": DEPLOYMENT}
    assert template["value"]["spec"]["containers"][0]["image"].endswith(":2.3.1")
    assert annotations["value"] == {
        "deployment.kubernetes.io/revision": "3",
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
        "example.com/change-cause": "image registry.example.com/shop/checkout:2.3.1",
    }


@respx.mock(base_url=K8S)
def test_replicasets_of_another_deployment_with_the_same_labels_are_not_gone_back_to(
    respx_mock, kube
):
    respx_mock.get(DEPLOYMENT_PATH).respond(200, json=current())
    respx_mock.get(RS_LIST).respond(
        200,
        json=replicasets(
            replicaset(2, "registry.example.com/shop/other:1.0", "1a2b3c4d5", owner_uid="uid-x"),
            replicaset(3, "registry.example.com/shop/checkout:2.4.0", "7d9f8b6c5"),
        ),
    )
    result = RolloutUndo(kube).prevalidate(PARAMS)
    assert result is not None and result.status is RemediationStatus.ABORTED
    assert "no earlier ReplicaSet" in result.detail


@respx.mock(base_url=K8S)
def test_a_paused_deployment_is_not_rolled_back(respx_mock, kube):
    respx_mock.get(DEPLOYMENT_PATH).respond(200, json=current(paused=True))
    result = RolloutUndo(kube).prevalidate(PARAMS)
    assert result is not None and result.status is RemediationStatus.ABORTED
    assert "paused" in result.detail


@respx.mock(base_url=K8S)
def test_a_deployment_already_on_the_previous_template_is_done(respx_mock, kube):
    respx_mock.get(DEPLOYMENT_PATH).respond(
        200, json=current(image="registry.example.com/shop/checkout:2.3.1")
    )
    respx_mock.get(RS_LIST).respond(
        200,
        json=replicasets(
            replicaset(2, "registry.example.com/shop/checkout:2.3.1", "6d7e8f9a0"),
            replicaset(3, "registry.example.com/shop/checkout:2.4.0", "7d9f8b6c5"),
        ),
    )
    result = RolloutUndo(kube).prevalidate(PARAMS)
    assert result is not None and result.status is RemediationStatus.ALREADY_DONE
