"""A deploy that broke a workload, end to end through the HTTP app: Argo CD notifies the sync of
a new revision (with its image), GitHub the successful run that built that image's commit, the
kubelet's BackOff events arrive for a pod of the app; the worker reads the pod from the
Kubernetes API (respx) and the app's history from Argo CD (respx), links the incident to the
revision, the commit and the run, and proposes rolling the app back instead of restarting the
pod; a signed Slack approval (the local fake Slack) runs the rollback against Argo CD's API,
switching auto-sync off first."""

import json
from datetime import timedelta

import pytest
import respx
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.adapters.database.repositories.approvals import ApprovalRepository
from app.adapters.database.tables import Incident, utcnow
from app.bootstrap import build_container
from app.main import create_app
from tests.conftest import _truncate, make_settings
from tests.integration.api.test_slack_interactions import APPROVERS, SIGNING_SECRET, approve
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
    event_list,
)
from tests.support.deploys import (
    BUILD_REPO,
    BUILD_RUN_ID,
    COMMIT,
    GOOD_REVISION,
    NEW_REVISION,
    backoff,
    build_run_delivery,
    deployed_pod,
    rolled_out_replicaset,
    second_deployment,
    sync_notification,
    synced_application,
)
from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.github_deliveries import post_github

K8S_TOKEN = "k8s-webhook-token-for-the-deploy-flow"
ARGO_TOKEN = "argocd-webhook-token-for-the-deploy-flow"
CRASH_LOG = "2026-12-05T11:56:01Z FATAL config: DATABASE_URL is not set\nexit status 1\n"


@pytest.fixture
def slack():
    with FakeSlack() as server:
        yield server


@pytest.fixture
def flow(database_url, slack):
    settings = make_settings(
        database_url,
        dry_run=False,
        k8s_api_url=K8S,
        k8s_token=SecretStr("k8s-api-token"),
        k8s_webhook_token=SecretStr(K8S_TOKEN),
        argocd_url=ARGO,
        argocd_token=SecretStr("argocd-api-token"),
        argocd_webhook_token=SecretStr(ARGO_TOKEN),
        slack_bot_token=BOT_TOKEN,
        slack_base_url=slack.base_url,
        slack_signing_secret=SIGNING_SECRET,
        slack_approver_ids=",".join(APPROVERS),
    )
    container = build_container(settings, database_url=database_url)
    try:
        with TestClient(create_app(container), raise_server_exceptions=False) as http:
            yield container, http
    finally:
        _truncate(container)
        container.close()


def bearer(http, path: str, body: dict, token: str):
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    response = http.post(path, content=json.dumps(body).encode(), headers=headers)
    assert response.status_code == 202, response.text
    return response.json()


def mock_apis(respx_mock, *, synced):
    respx_mock.route(host="127.0.0.1").pass_through()  # the fake Slack is real HTTP
    respx_mock.get(f"{K8S}{POD_PATH}").respond(200, json=deployed_pod())
    respx_mock.get(f"{K8S}{RS_PATH}").respond(200, json=rolled_out_replicaset(created=synced))
    respx_mock.get(f"{K8S}{DEPLOYMENT_PATH}").respond(200, json=second_deployment())
    respx_mock.get(f"{K8S}/api/v1/namespaces/{NS}/events").respond(200, json=event_list())
    respx_mock.get(f"{K8S}{POD_PATH}/log").respond(200, text=CRASH_LOG)
    app = synced_application(synced=synced)
    routes = {
        "app": respx_mock.get(f"{ARGO}{APP_PATH}").respond(200, json=app),
        "auto_sync_off": respx_mock.patch(f"{ARGO}{APP_PATH}").respond(200, json=app),
        "rollback": respx_mock.post(f"{ARGO}{APP_PATH}/rollback").respond(200, json=app),
        "restart": respx_mock.post(f"{K8S}{POD_PATH}/eviction").respond(201, json={}),
    }
    return routes


def test_a_crash_loop_after_a_sync_is_linked_to_its_deploy_and_rolled_back_on_approval(flow, slack):
    container, http = flow
    synced = utcnow() - timedelta(minutes=10)
    with respx.mock(assert_all_called=False) as respx_mock:
        routes = mock_apis(respx_mock, synced=synced)
        bearer(http, "/webhooks/argocd", sync_notification(finished=synced), ARGO_TOKEN)
        built = post_github(http, build_run_delivery(completed=synced - timedelta(minutes=5)))
        assert built.status_code == 202
        answer = bearer(
            http, "/webhooks/kubernetes", backoff(first=synced + timedelta(minutes=4)), K8S_TOKEN
        )
        [incident_id] = answer["incident_ids"]
        container.new_worker().drain()

        detail = http.get(f"/api/v1/incidents/{incident_id}").json()
        assert detail["status"] == "awaiting_approval"
        assert detail["action"] == "argocd_rollback"
        assert detail["decision"] == "needs_approval"
        assert f"{BUILD_REPO}#{BUILD_RUN_ID}" in detail["decision_reason"]
        assert "started 4 minutes after" in detail["decision_reason"]
        linked = {(link["kind"], link["ref"]) for link in detail["links"]}
        assert {
            ("revision", NEW_REVISION),
            ("commit", f"{BUILD_REPO}@{COMMIT}"),
            ("run", f"{BUILD_REPO}#{BUILD_RUN_ID}"),
            ("app", APP),
        } <= linked
        revision = next(link for link in detail["links"] if link["kind"] == "revision")
        assert revision["relation"] == "started 4 minutes after the sync of"
        assert revision["details"]["previous_revision"] == GOOD_REVISION

        page = http.get(f"/dashboard/incidents/{incident_id}")
        assert page.status_code == 200
        assert "Linked to" in page.text and f"{BUILD_REPO}#{BUILD_RUN_ID}" in page.text
        assert "started 4 minutes after the sync of" in page.text  # in the timeline too

        container.notifier.deliver_pending()
        [posted] = slack.calls_to("chat.postMessage")
        card = json.dumps(posted.body)
        assert "Linked to" in card and f"{BUILD_REPO}#{BUILD_RUN_ID}" in card

        with container.db.session() as session:
            nonce = ApprovalRepository(session).pending_for(incident_id).nonce
        assert approve(http, APPROVERS[0], incident_id, nonce).status_code == 200
        container.new_worker().drain()

    assert routes["auto_sync_off"].call_count == 1
    assert json.loads(routes["auto_sync_off"].calls.last.request.content)["patch"] == (
        '{"spec": {"syncPolicy": {"automated": null}}}'
    )
    assert routes["rollback"].call_count == 1
    assert json.loads(routes["rollback"].calls.last.request.content) == {
        "name": APP,
        "id": 10,
        "prune": False,
        "dryRun": False,
    }
    assert routes["restart"].call_count == 0  # the pod was not restarted
    with container.db.session() as session:
        assert session.get(Incident, incident_id).status == "verifying"


def test_the_pod_is_named_in_the_links(flow):
    """Kept small: the Deployment and the pod it runs are the first entry of the chain."""
    container, http = flow
    synced = utcnow() - timedelta(minutes=10)
    with respx.mock(assert_all_called=False) as respx_mock:
        mock_apis(respx_mock, synced=synced)
        answer = bearer(
            http, "/webhooks/kubernetes", backoff(first=synced + timedelta(minutes=4)), K8S_TOKEN
        )
        container.new_worker().drain()
    [incident_id] = answer["incident_ids"]
    [first, *_] = http.get(f"/api/v1/incidents/{incident_id}").json()["links"]
    assert (first["kind"], first["ref"], first["details"]["pod"]) == (
        "deployment",
        f"{NS}/checkout",
        POD,
    )
