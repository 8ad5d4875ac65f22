"""Kubernetes client and pod log source against respx, with the API's documented shapes."""

import json

import httpx
import pytest
import respx
from pydantic import SecretStr

from app.adapters.external.kubernetes.client import (
    KubernetesClient,
    _TokenFileAuth,
    build_kubernetes_client,
    kubernetes_connection,
)
from app.adapters.external.kubernetes.logs import KubernetesLogSource
from app.core.cluster_ports import Eviction
from app.core.enums import IncidentKind, IncidentSource
from app.core.errors import ConfigurationError, KubernetesError
from app.core.models import IncidentTarget
from tests.conftest import make_settings
from tests.support.cluster_api import (
    DEPLOYMENT_PATH,
    K8S,
    NS,
    POD,
    POD_PATH,
    RS_PATH,
    backoff_event,
    deployment,
    event_list,
    pdb_refusal,
    pod,
    replicaset,
)

TOKEN = "k8s-token-for-tests"


@pytest.fixture
def kube():
    settings = make_settings(k8s_api_url=K8S, k8s_token=SecretStr(TOKEN))
    client = build_kubernetes_client(settings.kubernetes, sleep=lambda _: None)
    yield client
    client.close()


def target(**changes) -> IncidentTarget:
    values = {
        "id": 1,
        "source": IncidentSource.KUBERNETES,
        "kind": IncidentKind.K8S_POD,
        "cluster": "prod-eu-1",
        "namespace": NS,
        "pod": POD,
        "container": "checkout",
        "reason": "CrashLoopBackOff",
        "details": {
            "category_hint": "k8s_crashloop",
            "message": "Back-off restarting failed container checkout",
        },
    }
    values.update(changes)
    return IncidentTarget(**values)


# --- configuration -------------------------------------------------------------------------
def test_no_api_url_means_no_client():
    assert build_kubernetes_client(make_settings().kubernetes) is None


def test_in_cluster_config_reads_the_service_account_folder(tmp_path):
    (tmp_path / "token").write_text("sa-token\n")
    (tmp_path / "ca.crt").write_text("not read here")
    settings = make_settings(k8s_in_cluster=True)
    connection = kubernetes_connection(
        settings.kubernetes,
        environ={"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"},
        service_account_dir=tmp_path,
    )
    assert connection.base_url == "https://10.96.0.1:443"
    assert connection.token_file == tmp_path / "token"
    assert connection.ca_file == tmp_path / "ca.crt"
    assert connection.token is None


def test_in_cluster_without_service_host_is_a_configuration_error(tmp_path):
    (tmp_path / "token").write_text("sa-token")
    (tmp_path / "ca.crt").write_text("ca")
    with pytest.raises(ConfigurationError, match="KUBERNETES_SERVICE_HOST"):
        kubernetes_connection(
            make_settings(k8s_in_cluster=True).kubernetes, environ={}, service_account_dir=tmp_path
        )


def test_in_cluster_without_token_file_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="token"):
        kubernetes_connection(
            make_settings(k8s_in_cluster=True).kubernetes,
            environ={"KUBERNETES_SERVICE_HOST": "10.96.0.1"},
            service_account_dir=tmp_path,
        )


def test_token_file_is_read_again_after_a_minute(tmp_path):
    path = tmp_path / "token"
    path.write_text("first")
    now = [0.0]
    auth = _TokenFileAuth(path, clock=lambda: now[0])
    assert auth.token() == "first"
    path.write_text("second")
    now[0] = 30.0
    assert auth.token() == "first"
    now[0] = 61.0
    assert auth.token() == "second"


@respx.mock(base_url=K8S)
def test_requests_carry_the_bearer_token(respx_mock, kube):
    route = respx_mock.get(POD_PATH).respond(200, json=pod())
    kube.get_pod(NS, POD)
    assert route.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"


# --- reads ---------------------------------------------------------------------------------
@respx.mock(base_url=K8S)
def test_missing_pod_is_none(respx_mock, kube):
    respx_mock.get(POD_PATH).respond(404, json={"kind": "Status", "code": 404})
    assert kube.get_pod(NS, POD) is None


@respx.mock(base_url=K8S)
def test_pod_events_are_selected_by_involved_object_name(respx_mock, kube):
    route = respx_mock.get(f"/api/v1/namespaces/{NS}/events").respond(
        200, json=event_list(backoff_event())
    )
    [event] = kube.list_pod_events(NS, POD)
    assert event["reason"] == "BackOff"
    assert route.calls.last.request.url.params["fieldSelector"] == f"involvedObject.name={POD}"


@respx.mock(base_url=K8S)
def test_previous_log_asks_for_the_previous_container_tail(respx_mock, kube):
    route = respx_mock.get(f"{POD_PATH}/log").respond(200, text="panic: boom\n")
    assert kube.read_pod_log(NS, POD, container="checkout") == "panic: boom\n"
    params = route.calls.last.request.url.params
    assert (params["previous"], params["tailLines"], params["container"]) == (
        "true",
        "200",
        "checkout",
    )


@respx.mock(base_url=K8S)
def test_no_previous_container_is_none(respx_mock, kube):
    respx_mock.get(f"{POD_PATH}/log").respond(
        400,
        json={"kind": "Status", "message": 'previous terminated container "checkout" not found'},
    )
    assert kube.read_pod_log(NS, POD) is None


@respx.mock(base_url=K8S)
def test_owner_chain_follows_replicaset_to_deployment(respx_mock, kube):
    respx_mock.get(RS_PATH).respond(200, json=replicaset())
    assert kube.owner_chain(NS, pod()) == [
        ("ReplicaSet", "checkout-7d9f8b6c5"),
        ("Deployment", "checkout"),
    ]


def test_names_that_could_steer_the_path_are_refused(kube):
    with pytest.raises(KubernetesError):
        kube.get_pod(NS, "../../secrets/x")
    with pytest.raises(KubernetesError):
        kube.get_pod("Shop/..", POD)


# --- writes --------------------------------------------------------------------------------
@respx.mock(base_url=K8S)
def test_patch_is_a_strategic_merge_patch(respx_mock, kube):
    route = respx_mock.patch(DEPLOYMENT_PATH).respond(200, json=deployment())
    kube.patch_workload(NS, "Deployment", "checkout", {"spec": {"replicas": 3}})
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/strategic-merge-patch+json"
    assert json.loads(request.content) == {"spec": {"replicas": 3}}


def test_only_workloads_are_patched(kube):
    with pytest.raises(KubernetesError):
        kube.patch_workload(NS, "ReplicaSet", "checkout-7d9f8b6c5", {})


@respx.mock(base_url=K8S)
def test_eviction_429_is_refused_with_retry_after_and_not_retried(respx_mock, kube):
    route = respx_mock.post(f"{POD_PATH}/eviction").respond(
        429, json=pdb_refusal(), headers={"Retry-After": "10"}
    )
    outcome = kube.evict_pod(NS, POD)
    assert (outcome.result, outcome.retry_after) == (Eviction.REFUSED, 10.0)
    assert route.call_count == 1


@respx.mock(base_url=K8S)
def test_eviction_of_a_missing_pod_is_gone(respx_mock, kube):
    respx_mock.post(f"{POD_PATH}/eviction").respond(404, json={"kind": "Status", "code": 404})
    assert kube.evict_pod(NS, POD).result is Eviction.GONE


def test_client_has_no_delete_operation():
    assert not [name for name in dir(KubernetesClient) if "delete" in name.lower()]


# --- log source ----------------------------------------------------------------------------
@respx.mock(base_url=K8S)
def test_log_source_joins_state_events_and_previous_log(respx_mock, kube):
    respx_mock.get(POD_PATH).respond(200, json=pod())
    respx_mock.get(f"/api/v1/namespaces/{NS}/events").respond(200, json=event_list(backoff_event()))
    respx_mock.get(f"{POD_PATH}/log").respond(
        200, text="java.lang.OutOfMemoryError: Java heap space\n"
    )
    text = KubernetesLogSource(kube).fetch(target()).text
    for expected in (
        "Reason: CrashLoopBackOff",
        "Category hint: k8s_crashloop",
        "waiting CrashLoopBackOff",
        "terminated OOMKilled, exit code 137",
        "memory limit=512Mi",
        "Warning BackOff (x31)",
        "=== previous container 'checkout' log",
        "java.lang.OutOfMemoryError",
    ):
        assert expected in text


@respx.mock(base_url=K8S)
def test_log_source_falls_back_to_the_current_log(respx_mock, kube):
    respx_mock.get(POD_PATH).respond(200, json=pod())
    respx_mock.get(f"/api/v1/namespaces/{NS}/events").respond(200, json=event_list())
    log = respx_mock.get(f"{POD_PATH}/log").mock(
        side_effect=[httpx.Response(400, json={"kind": "Status"}), httpx.Response(200, text="ok\n")]
    )
    text = KubernetesLogSource(kube).fetch(target()).text
    assert "=== current container 'checkout' log" in text
    assert "previous" not in log.calls[1].request.url.params


@respx.mock(base_url=K8S)
def test_log_source_for_a_gone_pod_uses_the_event(respx_mock, kube):
    respx_mock.get(POD_PATH).respond(404, json={"kind": "Status"})
    logs = KubernetesLogSource(kube).fetch(target())
    assert "no longer exists" in logs.text
    assert "Back-off restarting failed container" in logs.text


def test_log_source_without_api_uses_the_event():
    logs = KubernetesLogSource(None).fetch(target())
    assert "Reason: CrashLoopBackOff" in logs.text
    assert logs.note and "not configured" in logs.note


@pytest.mark.parametrize(
    "namespace, pod",
    [
        (NS, "web-0\n"),
        (NS, "a..b"),
        (NS, "a.-b"),
        ("shop\n", POD),
        ("a" * 64, POD),
        (NS, "x" * 254),
    ],
    ids=["pod-newline", "pod-dots", "pod-dot-dash", "namespace-newline", "namespace-64", "pod-254"],
)
def test_names_outside_rfc_1123_are_refused_without_a_call(kube, namespace, pod):
    with respx.mock(base_url=K8S, assert_all_called=False) as mock:
        route = mock.route().respond(200, json={})
        with pytest.raises(KubernetesError, match="not a"):
            kube.get_pod(namespace, pod)
    assert not route.called
