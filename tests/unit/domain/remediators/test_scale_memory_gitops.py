"""A memory raise of a workload Argo CD manages is a pull request to the app's manifests on
GitHub, not a live patch; against respx (Kubernetes, Argo CD and GitHub in their shapes)."""

import pytest
from pydantic import SecretStr

from app.adapters.external.argocd.client import build_argocd_client
from app.adapters.external.github.client import build_github_client
from app.adapters.external.kubernetes.client import build_kubernetes_client
from app.domain.remediators.base import RemediationStatus
from app.domain.remediators.gitops import GitOpsMemory, github_repository
from app.domain.remediators.scale_memory import ScaleMemory, ScaleMemoryParams
from tests.conftest import make_settings
from tests.support.cluster_api import (
    APP,
    APP_PATH,
    ARGO,
    DEPLOYMENT_PATH,
    K8S,
    NS,
    POD,
    POD_PATH,
    RS_PATH,
    application,
    deployment,
    pod,
    replicaset,
)
from tests.support.github_pulls import API, FakeRepository

MANIFESTS = "argoproj/argocd-example-apps"  # the repoURL of the published application
HEAD = "e" * 40
MANIFEST = "guestbook/checkout-deployment.yaml"
MANIFEST_TEXT = f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  namespace: {NS}
spec:
  template:
    spec:
      containers:
        - name: checkout
          image: shop/checkout:1.4
          resources:
            limits:
              memory: 512Mi
"""
PARAMS = ScaleMemoryParams(
    namespace=NS, pod=POD, container="checkout", diagnosis="the JVM heap outgrew its limit"
)


def managed(annotation: str | None = f"{APP}:apps/Deployment:{NS}/checkout") -> dict:
    body = deployment()
    if annotation:
        body["metadata"]["annotations"] = {"argocd.argoproj.io/tracking-id": annotation}
    return body


@pytest.fixture
def clients():
    kube = build_kubernetes_client(
        make_settings(k8s_api_url=K8S, k8s_token=SecretStr("t")).kubernetes, sleep=lambda _: None
    )
    argocd = build_argocd_client(
        make_settings(argocd_url=ARGO, argocd_token=SecretStr("t")).argocd, sleep=lambda _: None
    )
    github = build_github_client(
        make_settings(github_token="ghp_" + "a" * 36).github, sleep=lambda s: None
    )
    yield kube, argocd, github
    for client in (kube, argocd, github):
        client.close()


@pytest.fixture
def cluster(respx_mock):
    respx_mock.get(f"{K8S}{POD_PATH}").respond(200, json=pod())
    respx_mock.get(f"{K8S}{RS_PATH}").respond(200, json=replicaset())
    respx_mock.get(f"{ARGO}{APP_PATH}").respond(200, json=application())
    respx_mock.get(f"{API}/repos/{MANIFESTS}").respond(
        200, json={"full_name": MANIFESTS, "default_branch": "master"}
    )
    respx_mock.get(f"{API}/repos/{MANIFESTS}/branches/master").respond(
        200, json={"name": "master", "commit": {"sha": HEAD, "url": "u"}}
    )
    repository = FakeRepository(
        MANIFESTS,
        default_branch="master",
        files={
            HEAD: {
                "guestbook/guestbook-ui-svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: ui\n",
                MANIFEST: MANIFEST_TEXT,
            }
        },
    )
    repository.route(respx_mock)
    return repository


def remediator(clients) -> ScaleMemory:
    kube, argocd, github = clients
    return ScaleMemory(kube, max_memory="4Gi", gitops=GitOpsMemory(argocd, github))


def test_a_managed_workload_gets_a_pull_request_to_its_manifests(respx_mock, clients, cluster):
    respx_mock.get(f"{K8S}{DEPLOYMENT_PATH}").respond(200, json=managed())
    live_patch = respx_mock.patch(f"{K8S}{DEPLOYMENT_PATH}")
    result = remediator(clients).execute(PARAMS)
    assert result.status is RemediationStatus.SUCCEEDED
    assert not live_patch.called
    [commit] = cluster.commits
    assert commit["text"] == MANIFEST_TEXT.replace("512Mi", "768Mi")
    assert cluster.branches == {
        "codehealer/memory-checkout-768Mi-guestbook-checkout-deployment.yaml": HEAD
    }
    [pull] = cluster.pulls
    assert pull["base"]["ref"] == "master"
    assert "the JVM heap outgrew its limit" in pull["body"]
    assert result.data["pull_request"]["repo"] == MANIFESTS
    assert cluster.default_branch_writes() == []


def test_an_unmanaged_workload_is_still_patched_live(respx_mock, clients, cluster):
    respx_mock.get(f"{K8S}{DEPLOYMENT_PATH}").respond(200, json=managed(annotation=None))
    live_patch = respx_mock.patch(f"{K8S}{DEPLOYMENT_PATH}").respond(
        200, json=deployment(memory="768Mi")
    )
    result = remediator(clients).execute(PARAMS)
    assert result.status is RemediationStatus.SUCCEEDED and live_patch.called
    assert cluster.writes == []


def test_manifests_outside_github_are_refused_saying_only_github_is_supported(
    respx_mock, clients, cluster
):
    app = application()
    app["spec"]["source"]["repoURL"] = "https://gitlab.com/shop/deploy.git"
    respx_mock.get(f"{ARGO}{APP_PATH}").respond(200, json=app)
    respx_mock.get(f"{K8S}{DEPLOYMENT_PATH}").respond(200, json=managed())
    live_patch = respx_mock.patch(f"{K8S}{DEPLOYMENT_PATH}")
    result = remediator(clients).execute(PARAMS)
    assert result.status is RemediationStatus.ABORTED
    assert "only GitHub-hosted manifest repositories" in result.detail
    assert not live_patch.called


def test_a_limit_already_raised_in_git_is_already_done(respx_mock, clients, cluster):
    cluster.files[HEAD][MANIFEST] = MANIFEST_TEXT.replace("512Mi", "1Gi")
    respx_mock.get(f"{K8S}{DEPLOYMENT_PATH}").respond(200, json=managed())
    result = remediator(clients).execute(PARAMS)
    assert result.status is RemediationStatus.ALREADY_DONE
    assert cluster.writes == []


@pytest.mark.parametrize(
    ("url", "repo"),
    [
        ("https://github.com/argoproj/argocd-example-apps.git", "argoproj/argocd-example-apps"),
        ("git@github.com:shop/deploy.git", "shop/deploy"),
        ("https://gitlab.com/shop/deploy.git", None),
        ("https://github.com/shop", None),
    ],
)
def test_a_repository_url_is_read_only_on_the_github_host(url, repo):
    assert github_repository(url, "github.com") == repo
