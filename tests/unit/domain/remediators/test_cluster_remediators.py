"""Kubernetes and Argo CD remediators against respx: each sees exactly the calls it should make."""

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from pydantic import SecretStr, ValidationError

from app.adapters.external.argocd.client import build_argocd_client
from app.adapters.external.kubernetes.client import build_kubernetes_client
from app.core.errors import ConfigurationError
from app.domain.remediators.argocd_app import ArgoAppParams
from app.domain.remediators.argocd_hard_refresh import ArgoHardRefresh
from app.domain.remediators.argocd_rollback import ArgoRollback, ArgoRollbackParams, rollback_target
from app.domain.remediators.argocd_sync import ArgoSync
from app.domain.remediators.base import RemediationStatus
from app.domain.remediators.k8s_quantity import format_memory, parse_quantity
from app.domain.remediators.k8s_workload import PodParams, WorkloadParams
from app.domain.remediators.restart_pod import RestartPod
from app.domain.remediators.rollout_restart import RESTARTED_AT, RolloutRestart
from app.domain.remediators.scale_memory import ScaleMemory
from tests.conftest import make_settings
from tests.support.cluster_api import (
    APP,
    APP_PATH,
    ARGO,
    BAD_REVISION,
    DEPLOYMENT_PATH,
    K8S,
    NS,
    POD,
    POD_PATH,
    RS_PATH,
    application,
    deployment,
    eviction_created,
    healthy_application,
    operation_in_progress,
    pdb_refusal,
    pod,
    replicaset,
)

NOW = datetime(2024, 3, 12, 9, 45, 0, tzinfo=UTC)
POD_PARAMS = PodParams(namespace=NS, pod=POD)
WORKLOAD = WorkloadParams(namespace=NS, pod=POD, container="checkout")


@pytest.fixture
def kube():
    client = build_kubernetes_client(
        make_settings(k8s_api_url=K8S, k8s_token=SecretStr("t")).kubernetes, sleep=lambda _: None
    )
    yield client
    client.close()


@pytest.fixture
def argocd():
    client = build_argocd_client(
        make_settings(argocd_url=ARGO, argocd_token=SecretStr("t")).argocd, sleep=lambda _: None
    )
    yield client
    client.close()


def run(remediator, params):
    """What the remediation service does: pre-validate, and act only when told to."""
    stop = remediator.prevalidate(params)
    return stop if stop is not None else remediator.execute(params)


def mock_owner_chain(respx_mock, dep=None):
    respx_mock.get(POD_PATH).respond(200, json=pod())
    respx_mock.get(RS_PATH).respond(200, json=replicaset())
    return respx_mock.get(DEPLOYMENT_PATH).respond(200, json=dep or deployment())


# --- restart_pod ---------------------------------------------------------------------------
@respx.mock(base_url=K8S)
def test_restart_pod_posts_a_policy_v1_eviction(respx_mock, kube):
    respx_mock.get(POD_PATH).respond(200, json=pod())
    evict = respx_mock.post(f"{POD_PATH}/eviction").respond(201, json=eviction_created())
    result = run(RestartPod(kube), POD_PARAMS)
    assert result.status is RemediationStatus.SUCCEEDED
    request = evict.calls.last.request
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": POD, "namespace": NS},
    }


@respx.mock(base_url=K8S, assert_all_called=False)
def test_restart_pod_refused_by_a_disruption_budget_is_deferred_and_never_deletes(respx_mock, kube):
    respx_mock.get(POD_PATH).respond(200, json=pod())
    respx_mock.post(f"{POD_PATH}/eviction").respond(429, json=pdb_refusal())
    delete = respx_mock.delete(url__regex=r".*")
    result = run(RestartPod(kube), POD_PARAMS)
    assert result.status is RemediationStatus.DEFERRED
    assert result.retry_after == 60.0
    assert not delete.called


@respx.mock(base_url=K8S)
def test_restart_pod_honours_the_eviction_retry_after(respx_mock, kube):
    respx_mock.get(POD_PATH).respond(200, json=pod())
    respx_mock.post(f"{POD_PATH}/eviction").respond(
        429, json=pdb_refusal(), headers={"Retry-After": "120"}
    )
    assert run(RestartPod(kube), POD_PARAMS).retry_after == 120.0


@respx.mock(base_url=K8S, assert_all_called=False)
def test_restart_pod_never_evicts_a_pod_without_controller(respx_mock, kube):
    respx_mock.get(POD_PATH).respond(200, json=pod(owner=None))
    evict = respx_mock.post(f"{POD_PATH}/eviction")
    result = run(RestartPod(kube), POD_PARAMS)
    assert result.status is RemediationStatus.ABORTED
    assert not evict.called


@respx.mock(base_url=K8S)
def test_restart_pod_of_a_terminating_pod_is_already_done(respx_mock, kube):
    respx_mock.get(POD_PATH).respond(200, json=pod(terminating=True))
    assert run(RestartPod(kube), POD_PARAMS).status is RemediationStatus.ALREADY_DONE


def test_pod_params_refuse_names_that_are_not_dns_names():
    with pytest.raises(ValidationError):
        PodParams(namespace=NS, pod="../etc")


# --- rollout_restart -------------------------------------------------------------------------
@respx.mock(base_url=K8S)
def test_rollout_restart_patches_the_restarted_at_annotation_of_the_deployment(respx_mock, kube):
    mock_owner_chain(respx_mock)
    patch = respx_mock.patch(DEPLOYMENT_PATH).respond(200, json=deployment())
    result = run(RolloutRestart(kube, clock=lambda: NOW), WORKLOAD)
    assert result.status is RemediationStatus.SUCCEEDED
    assert result.data["owner_name"] == "checkout"
    request = patch.calls.last.request
    assert request.headers["content-type"] == "application/strategic-merge-patch+json"
    assert json.loads(request.content) == {
        "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: "2024-03-12T09:45:00Z"}}}}
    }


@respx.mock(base_url=K8S)
def test_two_rollout_decisions_within_a_second_make_one_patch(respx_mock, kube):
    live = {"deployment": deployment()}
    respx_mock.get(POD_PATH).respond(200, json=pod())
    respx_mock.get(RS_PATH).respond(200, json=replicaset())
    respx_mock.get(DEPLOYMENT_PATH).mock(
        side_effect=lambda request: httpx.Response(200, json=live["deployment"])
    )

    def apply(request):
        stamp = json.loads(request.content)["spec"]["template"]["metadata"]["annotations"]
        live["deployment"] = deployment(restarted_at=stamp[RESTARTED_AT])
        return httpx.Response(200, json=live["deployment"])

    patch = respx_mock.patch(DEPLOYMENT_PATH).mock(side_effect=apply)
    clock = iter([NOW, NOW, NOW + timedelta(milliseconds=400)])
    remediator = RolloutRestart(kube, clock=lambda: next(clock))
    first, second = run(remediator, WORKLOAD), run(remediator, WORKLOAD)
    assert first.status is RemediationStatus.SUCCEEDED
    assert second.status is RemediationStatus.ALREADY_DONE
    assert patch.call_count == 1


@respx.mock(base_url=K8S)
def test_rollout_restart_with_a_named_owner_does_not_read_the_pod(respx_mock, kube):
    respx_mock.get(DEPLOYMENT_PATH).respond(200, json=deployment())
    patch = respx_mock.patch(DEPLOYMENT_PATH).respond(200, json=deployment())
    params = WorkloadParams(namespace=NS, owner_kind="Deployment", owner_name="checkout")
    assert (
        run(RolloutRestart(kube, clock=lambda: NOW), params).status is RemediationStatus.SUCCEEDED
    )
    assert patch.call_count == 1


@respx.mock(base_url=K8S, assert_all_called=False)
def test_rollout_restart_of_a_pod_without_workload_is_aborted(respx_mock, kube):
    respx_mock.get(POD_PATH).respond(200, json=pod(owner=("Job", "nightly-28512345")))
    patch = respx_mock.patch(url__regex=r".*")
    result = run(RolloutRestart(kube, clock=lambda: NOW), WORKLOAD)
    assert result.status is RemediationStatus.ABORTED
    assert not patch.called


# --- scale_memory ----------------------------------------------------------------------------
def memory_patch(value: str) -> dict:
    container = {"name": "checkout", "resources": {"limits": {"memory": value}}}
    return {"spec": {"template": {"spec": {"containers": [container]}}}}


@respx.mock(base_url=K8S)
def test_scale_memory_raises_the_limit_by_half(respx_mock, kube):
    mock_owner_chain(respx_mock)
    patch = respx_mock.patch(DEPLOYMENT_PATH).respond(200, json=deployment(memory="768Mi"))
    result = run(ScaleMemory(kube, max_memory="4Gi"), WORKLOAD)
    assert result.status is RemediationStatus.SUCCEEDED
    assert (result.data["from"], result.data["to"]) == ("512Mi", "768Mi")
    request = patch.calls.last.request
    assert request.headers["content-type"] == "application/strategic-merge-patch+json"
    assert json.loads(request.content) == memory_patch("768Mi")


@respx.mock(base_url=K8S)
def test_scale_memory_is_capped_at_the_maximum(respx_mock, kube):
    respx_mock.get(POD_PATH).respond(200, json=pod(memory="3Gi"))
    respx_mock.get(RS_PATH).respond(200, json=replicaset())
    respx_mock.get(DEPLOYMENT_PATH).respond(200, json=deployment(memory="3Gi"))
    patch = respx_mock.patch(DEPLOYMENT_PATH).respond(200, json=deployment(memory="4Gi"))
    result = run(ScaleMemory(kube, max_memory="4Gi"), WORKLOAD)
    assert result.data["to"] == "4Gi"
    assert json.loads(patch.calls.last.request.content) == memory_patch("4Gi")


@respx.mock(base_url=K8S, assert_all_called=False)
def test_scale_memory_at_the_maximum_is_aborted(respx_mock, kube):
    respx_mock.get(POD_PATH).respond(200, json=pod(memory="4Gi"))
    respx_mock.get(RS_PATH).respond(200, json=replicaset())
    respx_mock.get(DEPLOYMENT_PATH).respond(200, json=deployment(memory="4Gi"))
    patch = respx_mock.patch(url__regex=r".*")
    result = run(ScaleMemory(kube, max_memory="4Gi"), WORKLOAD)
    assert result.status is RemediationStatus.ABORTED
    assert "already at the maximum" in result.detail
    assert not patch.called


@respx.mock(base_url=K8S, assert_all_called=False)
def test_scale_memory_already_raised_since_the_pod_started_is_not_raised_again(respx_mock, kube):
    mock_owner_chain(respx_mock, dep=deployment(memory="768Mi"))
    patch = respx_mock.patch(url__regex=r".*")
    assert run(ScaleMemory(kube), WORKLOAD).status is RemediationStatus.ALREADY_DONE
    assert not patch.called


@pytest.mark.parametrize(
    ("quantity", "size"),
    [
        ("512Mi", 512 * 2**20),
        ("1Gi", 2**30),
        ("1.5Gi", 3 * 2**29),
        ("1G", 10**9),
        ("500M", 5 * 10**8),
        ("129e6", 129 * 10**6),
        ("134217728", 2**27),
        ("64Ki", 64 * 1024),
    ],
)
def test_memory_quantities_parse_to_bytes(quantity, size):
    assert parse_quantity(quantity) == size


def test_memory_is_written_in_whole_gi_or_mi():
    assert format_memory(2**32) == "4Gi"
    assert format_memory(768 * 2**20) == "768Mi"
    assert format_memory(10**9) == "954Mi"


def test_garbage_is_not_a_quantity():
    with pytest.raises(ValueError):
        parse_quantity("lots")


# --- Argo CD -------------------------------------------------------------------------------
@respx.mock(base_url=ARGO)
def test_argocd_sync_posts_the_sync_request(respx_mock, argocd):
    respx_mock.get(APP_PATH).respond(200, json=application())
    sync = respx_mock.post(f"{APP_PATH}/sync").respond(200, json=application())
    result = run(ArgoSync(argocd), ArgoAppParams(app=APP))
    assert result.status is RemediationStatus.SUCCEEDED
    assert json.loads(sync.calls.last.request.content) == {
        "name": APP,
        "prune": False,
        "dryRun": False,
    }


@respx.mock(base_url=ARGO, assert_all_called=False)
def test_argocd_sync_of_a_synced_healthy_app_is_already_done(respx_mock, argocd):
    respx_mock.get(APP_PATH).respond(200, json=healthy_application())
    sync = respx_mock.post(f"{APP_PATH}/sync")
    assert run(ArgoSync(argocd), ArgoAppParams(app=APP)).status is RemediationStatus.ALREADY_DONE
    assert not sync.called


@respx.mock(base_url=ARGO)
def test_argocd_operation_in_progress_is_deferred_with_retry_after(respx_mock, argocd):
    respx_mock.get(APP_PATH).respond(200, json=application())
    sync = respx_mock.post(f"{APP_PATH}/sync").respond(400, json=operation_in_progress())
    result = run(ArgoSync(argocd), ArgoAppParams(app=APP))
    assert result.status is RemediationStatus.DEFERRED
    assert result.retry_after == 60.0
    assert sync.call_count == 1


@respx.mock(base_url=ARGO, assert_all_called=False)
def test_argocd_sync_while_an_operation_runs_is_deferred_without_posting(respx_mock, argocd):
    app = application()
    app["status"]["operationState"]["phase"] = "Running"
    respx_mock.get(APP_PATH).respond(200, json=app)
    sync = respx_mock.post(f"{APP_PATH}/sync")
    assert run(ArgoSync(argocd), ArgoAppParams(app=APP)).status is RemediationStatus.DEFERRED
    assert not sync.called


@respx.mock(base_url=ARGO)
def test_argocd_hard_refresh_asks_for_refresh_hard(respx_mock, argocd):
    get = respx_mock.get(APP_PATH).respond(200, json=application())
    result = run(ArgoHardRefresh(argocd), ArgoAppParams(app=APP))
    assert result.status is RemediationStatus.SUCCEEDED
    assert get.calls.last.request.url.params["refresh"] == "hard"


@respx.mock(base_url=ARGO)
def test_argocd_rollback_disables_auto_sync_then_rolls_back_to_the_last_deployment(
    respx_mock, argocd
):
    respx_mock.get(APP_PATH).respond(200, json=application())
    patch = respx_mock.patch(APP_PATH).respond(200, json=application())
    rollback = respx_mock.post(f"{APP_PATH}/rollback").respond(200, json=application())
    result = run(ArgoRollback(argocd), ArgoRollbackParams(app=APP, revision=BAD_REVISION))
    assert result.status is RemediationStatus.SUCCEEDED
    assert result.data["auto_sync_disabled"] is True
    assert result.data["history_id"] == 9
    assert "auto-sync is disabled" in result.detail
    assert json.loads(json.loads(patch.calls.last.request.content)["patch"]) == {
        "spec": {"syncPolicy": {"automated": None}}
    }
    assert json.loads(rollback.calls.last.request.content) == {
        "name": APP,
        "id": 9,
        "prune": False,
        "dryRun": False,
    }
    assert patch.calls.last.request.url.path == APP_PATH


@respx.mock(base_url=ARGO, assert_all_called=False)
def test_argocd_rollback_with_auto_sync_off_does_not_patch(respx_mock, argocd):
    app = application()
    app["spec"]["syncPolicy"] = {}
    respx_mock.get(APP_PATH).respond(200, json=app)
    patch = respx_mock.patch(APP_PATH)
    respx_mock.post(f"{APP_PATH}/rollback").respond(200, json=app)
    result = run(ArgoRollback(argocd), ArgoRollbackParams(app=APP))
    assert result.data["auto_sync_disabled"] is True
    assert result.data["auto_sync_was_enabled"] is False
    assert not patch.called


@respx.mock(base_url=ARGO)
def test_argocd_rollback_in_progress_is_deferred_with_retry_after(respx_mock, argocd):
    respx_mock.get(APP_PATH).respond(200, json=application())
    respx_mock.patch(APP_PATH).respond(200, json=application())
    respx_mock.post(f"{APP_PATH}/rollback").respond(409, json=operation_in_progress())
    result = run(ArgoRollback(argocd), ArgoRollbackParams(app=APP))
    assert result.status is RemediationStatus.DEFERRED
    assert result.retry_after == 60.0
    assert result.data["auto_sync_disabled"] is True


def test_rollback_target_skips_the_current_revision_when_it_deployed():
    app = application()
    history = app["status"]["history"]
    history.append({**history[-1], "id": 10, "revision": BAD_REVISION})
    assert rollback_target(app, BAD_REVISION)["id"] == 9
    history.append({**history[0], "id": 11, "revision": "e2be3479bb46086832a484f28ca4bb171d657f91"})
    assert rollback_target(app, BAD_REVISION)["id"] == 9


def test_rollback_target_of_a_revision_that_never_deployed_is_the_newest_entry():
    assert rollback_target(application(), BAD_REVISION)["id"] == 9


def test_rollback_without_an_earlier_deployment_is_aborted():
    app = application(history=[{"id": 1, "revision": BAD_REVISION}])
    assert rollback_target(app, BAD_REVISION) is None


def test_an_invalid_maximum_is_a_configuration_error(kube):
    with pytest.raises(ConfigurationError, match="K8S_MAX_MEMORY"):
        ScaleMemory(kube, max_memory="a lot")
