"""The linking step on the real database, with the Kubernetes and Argo CD APIs mocked by respx:
a crash loop minutes after a sync is linked to the Deployment, the image, the sync, the commit
and the run, and its fix becomes the rollback a person approves."""

import uuid
from datetime import timedelta

import pytest
import respx
from pydantic import SecretStr

from app.adapters.database.repositories.deliveries import DeliveryRepository
from app.adapters.database.repositories.episodes import EpisodeRepository
from app.adapters.database.repositories.links import LinkRepository
from app.adapters.database.tables import Incident, utcnow
from app.adapters.external.argocd.client import build_argocd_client
from app.adapters.external.kubernetes.client import build_kubernetes_client
from app.core.enums import ActionKind, IncidentStatus
from app.core.events.argocd import parse_argocd_notification
from app.core.events.kubernetes import parse_kubernetes_payload
from app.services.deployment_links import DeploymentLinker
from tests.conftest import make_settings
from tests.support.cluster_api import (
    APP_PATH,
    ARGO,
    DEPLOYMENT_PATH,
    K8S,
    POD_PATH,
    RS_PATH,
    fixture_json,
)
from tests.support.deploys import (
    APP,
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

WINDOW = timedelta(minutes=30)


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


def crash_looping(container, *, minutes_after_sync: int) -> int:
    """An analysed crash-loop incident whose BackOff began ``minutes_after_sync`` after the sync
    (at now - 10 min), as the analysis leaves it: no action, a person must look."""
    began = utcnow() - timedelta(minutes=10) + timedelta(minutes=minutes_after_sync)
    [signal] = parse_kubernetes_payload(backoff(first=began))
    with container.db.session() as session:
        incident_id = EpisodeRepository(session).create(signal.event.draft, seen_at=utcnow())
        incident = session.get(Incident, incident_id)
        incident.status = IncidentStatus.ANALYZED
        incident.category, incident.action, incident.fixability = "k8s_crashloop", "none", "manual"
        incident.confidence = 0.7
    return incident_id


def store(container, source: str, event_type: str, payload: dict) -> None:
    with container.db.session() as session:
        DeliveryRepository(session).insert_once(
            source=source,
            delivery_id=f"{source}-{uuid.uuid4()}",
            event_type=event_type,
            payload=payload,
        )


def mock_cluster(respx_mock) -> None:
    synced = utcnow() - timedelta(minutes=10)
    respx_mock.get(f"{K8S}{POD_PATH}").respond(200, json=deployed_pod())
    respx_mock.get(f"{K8S}{RS_PATH}").respond(200, json=rolled_out_replicaset(created=synced))
    respx_mock.get(f"{K8S}{DEPLOYMENT_PATH}").respond(200, json=second_deployment())


def linker(container, kube, argocd=None) -> DeploymentLinker:
    return DeploymentLinker(
        container.db, kubernetes=kube, argocd=argocd, window=WINDOW, actions=set(ActionKind)
    )


def test_a_crash_loop_after_a_sync_is_linked_and_proposes_the_rollback(container, kube, argocd):
    incident_id = crash_looping(container, minutes_after_sync=4)
    store(container, "github", "workflow_run", build_run_delivery(completed=utcnow()))
    with respx.mock(assert_all_called=True) as respx_mock:
        mock_cluster(respx_mock)
        synced = utcnow() - timedelta(minutes=10)
        respx_mock.get(f"{ARGO}{APP_PATH}").respond(200, json=synced_application(synced=synced))
        linker(container, kube, argocd)(incident_id)

    with container.db.session() as session:
        incident = session.get(Incident, incident_id)
        links = LinkRepository(session).for_incident(incident_id)
        assert incident.action == ActionKind.ARGOCD_ROLLBACK
        assert incident.fixability == "unknown"
        cause = incident.details["cause"]
        assert cause["params"] == {"app": APP, "revision": NEW_REVISION}
        assert cause["previous_revision"] == GOOD_REVISION
        assert cause["run"] == f"{BUILD_REPO}#{BUILD_RUN_ID}"
        assert cause["commit"] == f"{BUILD_REPO}@{COMMIT}"
        assert [(link.source, link.kind, link.relation) for link in links] == [
            ("kubernetes", "deployment", "runs as"),
            ("kubernetes", "image", "runs image"),
            ("github", "commit", "image ghcr.io/octo-org/checkout built from"),
            ("github", "run", "built by"),
            ("argocd", "app", "deployed by"),
            ("argocd", "revision", "started 4 minutes after the sync of"),
        ]


def test_without_the_argocd_api_the_stored_notifications_tell_the_syncs(container, kube):
    incident_id = crash_looping(container, minutes_after_sync=4)
    synced = utcnow() - timedelta(minutes=10)
    store(
        container,
        "argocd",
        "argocd:on-sync-succeeded",
        sync_notification(finished=synced - timedelta(days=1), revision=GOOD_REVISION),
    )
    store(container, "argocd", "argocd:on-sync-succeeded", sync_notification(finished=synced))
    with respx.mock(assert_all_called=True) as respx_mock:
        mock_cluster(respx_mock)
        linker(container, kube)(incident_id)

    with container.db.session() as session:
        cause = session.get(Incident, incident_id).details["cause"]
    assert cause["params"] == {"app": APP, "revision": NEW_REVISION}
    assert cause["previous_revision"] == GOOD_REVISION


def test_a_crash_loop_long_after_the_sync_keeps_its_analysis(container, kube, argocd):
    incident_id = crash_looping(container, minutes_after_sync=45)
    with respx.mock(assert_all_called=True) as respx_mock:
        mock_cluster(respx_mock)
        synced = utcnow() - timedelta(minutes=10)
        respx_mock.get(f"{ARGO}{APP_PATH}").respond(200, json=synced_application(synced=synced))
        linker(container, kube, argocd)(incident_id)

    with container.db.session() as session:
        incident = session.get(Incident, incident_id)
        assert incident.action == "none" and "cause" not in incident.details
        assert LinkRepository(session).for_incident(incident_id)  # still linked


def test_an_argocd_api_that_refuses_is_noted_and_the_notifications_answer(container, kube, argocd):
    incident_id = crash_looping(container, minutes_after_sync=4)
    with respx.mock(assert_all_called=True) as respx_mock:
        mock_cluster(respx_mock)
        respx_mock.get(f"{ARGO}{APP_PATH}").respond(
            403, json={"error": "permission denied", "code": 7, "message": "permission denied"}
        )
        linker(container, kube, argocd)(incident_id)

    with container.db.session() as session:
        incident = session.get(Incident, incident_id)
    assert "Argo CD" in incident.details["links_note"]
    assert incident.action == "none"


def test_the_decision_asks_a_person_to_approve_the_rollback(container, kube, argocd):
    incident_id = crash_looping(container, minutes_after_sync=4)
    with respx.mock() as respx_mock:
        mock_cluster(respx_mock)
        synced = utcnow() - timedelta(minutes=10)
        respx_mock.get(f"{ARGO}{APP_PATH}").respond(200, json=synced_application(synced=synced))
        linker(container, kube, argocd)(incident_id)
    container.decider(incident_id)

    with container.db.session() as session:
        incident = session.get(Incident, incident_id)
    assert incident.status == IncidentStatus.AWAITING_APPROVAL
    assert incident.decision_reason.startswith("the deploy is the likely cause: started 4 minutes")


def test_a_deployment_outside_argocd_is_undone_to_its_previous_replicaset(container, kube):
    incident_id = crash_looping(container, minutes_after_sync=4)
    unmanaged = deployed_pod()
    del unmanaged["metadata"]["labels"]["app.kubernetes.io/instance"]
    with respx.mock(assert_all_called=True) as respx_mock:
        mock_cluster(respx_mock)
        respx_mock.get(f"{K8S}{POD_PATH}").respond(200, json=unmanaged)
        linker(container, kube)(incident_id)

    with container.db.session() as session:
        incident = session.get(Incident, incident_id)
    assert incident.action == ActionKind.ROLLOUT_UNDO
    assert incident.details["cause"]["params"]["owner_name"] == "checkout"
    assert "rolled out ReplicaSet checkout-7d9f8b6c5" in incident.details["cause"]["summary"]


def test_an_argocd_app_degraded_after_a_sync_is_linked_through_its_images(container, argocd):
    [signal] = parse_argocd_notification(
        {**fixture_json("argocd/codehealer__on-health-degraded.json"), "app": APP}
    )
    store(container, "github", "workflow_run", build_run_delivery(completed=utcnow()))
    with container.db.session() as session:
        incident_id = EpisodeRepository(session).create(signal.event.draft, seen_at=utcnow())
        incident = session.get(Incident, incident_id)
        incident.status, incident.category, incident.action = "analyzed", "unknown", "none"
    with respx.mock(assert_all_called=True) as respx_mock:
        synced = utcnow() - timedelta(minutes=3)
        respx_mock.get(f"{ARGO}{APP_PATH}").respond(200, json=synced_application(synced=synced))
        linker(container, None, argocd)(incident_id)

    with container.db.session() as session:
        incident = session.get(Incident, incident_id)
        kinds = [link.kind for link in LinkRepository(session).for_incident(incident_id)]
    assert incident.action == ActionKind.ARGOCD_ROLLBACK
    assert incident.details["cause"]["run"] == f"{BUILD_REPO}#{BUILD_RUN_ID}"
    assert kinds == ["commit", "run", "app", "revision"]
