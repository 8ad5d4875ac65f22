"""The verification sweep of Argo CD apps and Kubernetes workloads on the real database, with
Argo CD and Kubernetes on respx."""

from datetime import datetime, timedelta

import pytest
import respx
from pydantic import SecretStr
from sqlalchemy import select

from app.adapters.database.repositories.attempts import AttemptRepository
from app.adapters.database.repositories.episodes import EpisodeRepository
from app.adapters.database.tables import Incident, RemediationAttempt, utcnow
from app.adapters.external.argocd.client import build_argocd_client
from app.adapters.external.kubernetes.client import build_kubernetes_client
from app.core.enums import ActionKind, AttemptStatus, IncidentStatus
from app.core.events.argocd import parse_argocd_notification
from app.core.events.kubernetes import parse_kubernetes_payload
from app.services.verification import VerificationRecorder
from app.services.verification_sweep import TargetHealthChecker
from tests.conftest import make_settings
from tests.support.cluster_api import (
    APP_PATH,
    ARGO,
    DEPLOYMENT_PATH,
    K8S,
    NS,
    POD,
    application,
    backoff_event,
    deployment,
    event_list,
    fixture_json,
    healthy_application,
)

EVENTS_PATH = f"/api/v1/namespaces/{NS}/events"


@pytest.fixture
def argocd():
    client = build_argocd_client(
        make_settings(argocd_url=ARGO, argocd_token=SecretStr("t")).argocd, sleep=lambda _: None
    )
    yield client
    client.close()


@pytest.fixture
def kube():
    client = build_kubernetes_client(
        make_settings(k8s_api_url=K8S, k8s_token=SecretStr("t")).kubernetes, sleep=lambda _: None
    )
    yield client
    client.close()


def verifying(container, draft, *, action: ActionKind, fixed_at: datetime, result=None) -> int:
    """An incident whose remediation succeeded at ``fixed_at`` and now waits for verification."""
    with container.db.session() as session:
        incident_id = EpisodeRepository(session).create(
            draft, seen_at=fixed_at - timedelta(minutes=5)
        )
        session.get(Incident, incident_id).status = IncidentStatus.VERIFYING
        AttemptRepository(session).add(
            incident_id=incident_id,
            action=action,
            status=AttemptStatus.SUCCEEDED,
            finished_at=fixed_at,
            result=result or {},
        )
    return incident_id


def app_incident(container, fixed_at, action=ActionKind.ARGOCD_SYNC) -> int:
    [signal] = parse_argocd_notification(fixture_json("argocd/codehealer__on-sync-failed.json"))
    return verifying(container, signal.event.draft, action=action, fixed_at=fixed_at)


def pod_incident(container, fixed_at, **kwargs) -> int:
    body = fixture_json("kubernetes/alertmanager__kubepodcrashlooping.firing.json")
    [signal] = parse_kubernetes_payload(body)
    return verifying(
        container, signal.event.draft, action=ActionKind.RESTART_POD, fixed_at=fixed_at, **kwargs
    )


def state(container, incident_id):
    with container.db.session() as session:
        incident = session.get(Incident, incident_id)
        attempt = session.execute(
            select(RemediationAttempt).where(RemediationAttempt.incident_id == incident_id)
        ).scalar_one()
        return incident.status, attempt.status


def checker(container, now, *, kube=None, argocd=None) -> TargetHealthChecker:
    return TargetHealthChecker(
        container.db,
        VerificationRecorder(),
        kubernetes=kube,
        argocd=argocd,
        window=timedelta(minutes=10),
        clock=lambda: now,
    )


# --- Argo CD -------------------------------------------------------------------------------
@respx.mock(base_url=ARGO)
def test_healthy_and_synced_app_resolves(respx_mock, container, argocd):
    fixed = utcnow()
    incident_id = app_incident(container, fixed)
    respx_mock.get(APP_PATH).respond(200, json=healthy_application())
    report = checker(container, fixed + timedelta(minutes=2), argocd=argocd)()
    assert report["resolved"] == 1
    assert state(container, incident_id) == (IncidentStatus.RESOLVED, AttemptStatus.VERIFIED)


@respx.mock(base_url=ARGO)
def test_rolled_back_app_healthy_but_out_of_sync_resolves(respx_mock, container, argocd):
    fixed = utcnow()
    incident_id = app_incident(container, fixed, action=ActionKind.ARGOCD_ROLLBACK)
    app = healthy_application()
    app["status"]["sync"]["status"] = "OutOfSync"
    respx_mock.get(APP_PATH).respond(200, json=app)
    checker(container, fixed + timedelta(minutes=2), argocd=argocd)()
    assert state(container, incident_id)[0] == IncidentStatus.RESOLVED


@respx.mock(base_url=ARGO)
def test_degraded_app_fails_the_fix(respx_mock, container, argocd):
    fixed = utcnow()
    incident_id = app_incident(container, fixed)
    app = healthy_application()
    app["status"]["health"] = {"status": "Degraded"}
    respx_mock.get(APP_PATH).respond(200, json=app)
    report = checker(container, fixed + timedelta(minutes=2), argocd=argocd)()
    assert report["failed"] == 1
    assert state(container, incident_id) == (
        IncidentStatus.FAILED,
        AttemptStatus.VERIFICATION_FAILED,
    )


@respx.mock(base_url=ARGO)
def test_failed_operation_after_the_fix_fails_it(respx_mock, container, argocd):
    fixed = utcnow()
    incident_id = app_incident(container, fixed)
    app = application()
    app["status"]["operationState"]["finishedAt"] = (fixed + timedelta(minutes=1)).isoformat()
    respx_mock.get(APP_PATH).respond(200, json=app)
    checker(container, fixed + timedelta(minutes=2), argocd=argocd)()
    assert state(container, incident_id)[0] == IncidentStatus.FAILED


@respx.mock(base_url=ARGO)
def test_progressing_app_waits_then_fails_after_the_window(respx_mock, container, argocd):
    fixed = utcnow()
    incident_id = app_incident(container, fixed)
    app = healthy_application()
    app["status"]["health"] = {"status": "Progressing"}
    respx_mock.get(APP_PATH).respond(200, json=app)
    assert checker(container, fixed + timedelta(minutes=2), argocd=argocd)()["pending"] == 1
    assert state(container, incident_id)[0] == IncidentStatus.VERIFYING
    checker(container, fixed + timedelta(minutes=11), argocd=argocd)()
    assert state(container, incident_id)[0] == IncidentStatus.FAILED


# --- pods ----------------------------------------------------------------------------------
def test_failure_reported_again_after_the_fix_fails_it_without_asking_the_api(container):
    fixed = utcnow()
    incident_id = pod_incident(container, fixed)
    with container.db.session() as session:
        session.get(Incident, incident_id).last_seen_at = fixed + timedelta(minutes=1)
    checker(container, fixed + timedelta(minutes=2))()
    assert state(container, incident_id)[0] == IncidentStatus.FAILED


@respx.mock(base_url=K8S)
def test_new_backoff_event_after_the_fix_fails_it(respx_mock, container, kube):
    fixed = utcnow()
    incident_id = pod_incident(container, fixed)
    later = (fixed + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    respx_mock.get(EVENTS_PATH).respond(200, json=event_list(backoff_event(later)))
    checker(container, fixed + timedelta(minutes=2), kube=kube)()
    assert state(container, incident_id)[0] == IncidentStatus.FAILED


@respx.mock(base_url=K8S)
def test_quiet_pod_waits_for_the_window(respx_mock, container, kube):
    fixed = utcnow()
    incident_id = pod_incident(container, fixed)
    respx_mock.get(EVENTS_PATH).respond(200, json=event_list(backoff_event("2024-03-12T09:21:47Z")))
    assert checker(container, fixed + timedelta(minutes=2), kube=kube)()["pending"] == 1
    assert state(container, incident_id)[0] == IncidentStatus.VERIFYING


@respx.mock(base_url=K8S)
def test_ready_workload_after_a_quiet_window_resolves(respx_mock, container, kube):
    fixed = utcnow()
    incident_id = pod_incident(
        container, fixed, result={"owner_kind": "Deployment", "owner_name": "checkout"}
    )
    respx_mock.get(EVENTS_PATH).respond(200, json=event_list())
    respx_mock.get(DEPLOYMENT_PATH).respond(200, json=deployment(replicas=3, ready=3))
    checker(container, fixed + timedelta(minutes=11), kube=kube)()
    assert state(container, incident_id) == (IncidentStatus.RESOLVED, AttemptStatus.VERIFIED)


@respx.mock(base_url=K8S)
def test_workload_not_ready_after_the_window_fails(respx_mock, container, kube):
    fixed = utcnow()
    incident_id = pod_incident(
        container, fixed, result={"owner_kind": "Deployment", "owner_name": "checkout"}
    )
    respx_mock.get(EVENTS_PATH).respond(200, json=event_list())
    respx_mock.get(DEPLOYMENT_PATH).respond(200, json=deployment(replicas=3, ready=1))
    checker(container, fixed + timedelta(minutes=11), kube=kube)()
    assert state(container, incident_id)[0] == IncidentStatus.FAILED


@respx.mock(base_url=K8S)
def test_evicted_pod_without_owner_and_without_new_failure_resolves(respx_mock, container, kube):
    fixed = utcnow()
    incident_id = pod_incident(container, fixed)
    respx_mock.get(EVENTS_PATH).respond(200, json=event_list())
    respx_mock.get(f"/api/v1/namespaces/{NS}/pods/{POD}").respond(404, json={"kind": "Status"})
    checker(container, fixed + timedelta(minutes=11), kube=kube)()
    assert state(container, incident_id)[0] == IncidentStatus.RESOLVED


def test_without_api_a_quiet_window_resolves(container):
    fixed = utcnow()
    incident_id = pod_incident(container, fixed)
    checker(container, fixed + timedelta(minutes=11))()
    assert state(container, incident_id)[0] == IncidentStatus.RESOLVED
