"""Argo CD client and application log source against respx, with the API's documented shapes."""

import json

import pytest
import respx
from pydantic import SecretStr

from app.adapters.external.argocd.client import build_argocd_client
from app.adapters.external.argocd.logs import ArgoAppLogSource
from app.core.cluster_ports import OperationInProgressError
from app.core.enums import IncidentKind, IncidentSource
from app.core.errors import ArgoCDError
from app.core.models import IncidentTarget
from tests.conftest import make_settings
from tests.support.cluster_api import APP, APP_PATH, ARGO, application, operation_in_progress

TOKEN = "argocd-token-for-tests"


@pytest.fixture
def argocd():
    settings = make_settings(argocd_url=ARGO, argocd_token=SecretStr(TOKEN))
    client = build_argocd_client(settings.argocd, sleep=lambda _: None)
    yield client
    client.close()


def test_no_url_means_no_client():
    assert build_argocd_client(make_settings().argocd) is None


@respx.mock(base_url=ARGO)
def test_get_application_sends_the_bearer_token(respx_mock, argocd):
    route = respx_mock.get(APP_PATH).respond(200, json=application())
    assert argocd.get_application(APP)["metadata"]["name"] == APP
    assert route.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"
    assert "refresh" not in route.calls.last.request.url.params


@respx.mock(base_url=ARGO)
def test_operation_in_progress_409_is_retryable_with_retry_after(respx_mock, argocd):
    route = respx_mock.post(f"{APP_PATH}/rollback").respond(409, json=operation_in_progress())
    with pytest.raises(OperationInProgressError) as caught:
        argocd.rollback(APP, 9)
    assert caught.value.retryable and caught.value.retry_after == 60.0
    assert route.call_count == 1


@respx.mock(base_url=ARGO)
def test_other_refusal_is_a_plain_failure(respx_mock, argocd):
    message = "rollback cannot be initiated when auto-sync is enabled"
    respx_mock.post(f"{APP_PATH}/rollback").respond(
        400, json={"error": message, "code": 9, "message": message}
    )
    with pytest.raises(ArgoCDError, match="auto-sync") as caught:
        argocd.rollback(APP, 9)
    assert not isinstance(caught.value, OperationInProgressError)
    assert not caught.value.retryable


@respx.mock(base_url=ARGO)
def test_disable_auto_sync_is_a_merge_patch_of_the_sync_policy(respx_mock, argocd):
    route = respx_mock.patch(APP_PATH).respond(200, json=application())
    argocd.disable_auto_sync(APP)
    body = json.loads(route.calls.last.request.content)
    assert body["name"] == APP and body["patchType"] == "merge"
    assert json.loads(body["patch"]) == {"spec": {"syncPolicy": {"automated": None}}}


def test_application_names_that_could_steer_the_path_are_refused(argocd):
    with pytest.raises(ArgoCDError):
        argocd.get_application("../settings")


@respx.mock(base_url=ARGO)
def test_log_source_reports_operation_conditions_and_failed_resources(respx_mock, argocd):
    respx_mock.get(APP_PATH).respond(200, json=application())
    target = IncidentTarget(
        id=1,
        source=IncidentSource.ARGOCD,
        kind=IncidentKind.ARGOCD_APP,
        app=APP,
        reason="SyncFailed",
        details={"category_hint": "argocd_sync_error"},
    )
    text = ArgoAppLogSource(argocd).fetch(target).text
    for expected in (
        "Argo CD application guestbook: SyncFailed",
        "Sync status: OutOfSync",
        "Operation phase: Failed",
        "Condition SyncError: Failed sync attempt",
        "Resource Deployment/guestbook-ui sync SyncFailed",
        "History 9: revision 995737f96c59e53e9f60e2a45d1eae1c60646ecd",
        "Auto-sync: enabled",
    ):
        assert expected in text


def test_log_source_without_api_uses_the_notification():
    target = IncidentTarget(
        id=1,
        source=IncidentSource.ARGOCD,
        kind=IncidentKind.ARGOCD_APP,
        app=APP,
        reason="Degraded",
        details={"message": "successfully synced (all tasks run)"},
    )
    logs = ArgoAppLogSource(None).fetch(target)
    assert "guestbook: Degraded" in logs.text and "not configured" in logs.note


@pytest.mark.parametrize("name", ["guestbook\n", "a..b", "a.-b", "Guestbook", "x" * 254])
def test_application_names_outside_rfc_1123_are_refused_without_a_call(argocd, name):
    with respx.mock(base_url=ARGO, assert_all_called=False) as mock:
        route = mock.route().respond(200, json={})
        with pytest.raises(ArgoCDError, match="not an application name"):
            argocd.get_application(name)
    assert not route.called
