"""The remediation service driving the Kubernetes remediators against respx, on the real database."""

import pytest
import respx
from pydantic import SecretStr
from sqlalchemy import select

from app.adapters.database.repositories.attempts import AttemptRepository
from app.adapters.database.repositories.episodes import EpisodeRepository
from app.adapters.database.tables import Incident, RemediationAttempt, utcnow
from app.adapters.external.kubernetes.client import build_kubernetes_client
from app.core.enums import ActionKind, AttemptStatus, IncidentStatus
from app.core.errors import RetryLater
from app.core.events.kubernetes import parse_kubernetes_payload
from app.domain.remediators.restart_pod import RestartPod
from app.services.remediation import MAX_DEFERRALS, RemediationService
from tests.conftest import make_settings
from tests.support.cluster_api import K8S, NS, POD, POD_PATH, fixture_json, pdb_refusal, pod


@pytest.fixture
def kube():
    client = build_kubernetes_client(
        make_settings(k8s_api_url=K8S, k8s_token=SecretStr("t")).kubernetes, sleep=lambda _: None
    )
    yield client
    client.close()


def remediating_pod_incident(container) -> int:
    [signal] = parse_kubernetes_payload(
        fixture_json("kubernetes/event-exporter__pod-backoff.warning.json")
    )
    with container.db.session() as session:
        incident_id = EpisodeRepository(session).create(
            signal.event.draft, seen_at=utcnow()
        )
        session.get(Incident, incident_id).status = IncidentStatus.REMEDIATING
        AttemptRepository(session).add(
            incident_id=incident_id,
            action=ActionKind.RESTART_POD,
            params={"namespace": NS, "pod": POD},
            target=NS,
        )
    return incident_id


def test_eviction_refused_every_time_defers_then_escalates_and_never_deletes(container, kube):
    incident_id = remediating_pod_incident(container)
    service = RemediationService(container.db, {ActionKind.RESTART_POD: RestartPod(kube)})
    with respx.mock(base_url=K8S, assert_all_called=False) as respx_mock:
        respx_mock.get(POD_PATH).respond(200, json=pod())
        evict = respx_mock.post(f"{POD_PATH}/eviction").respond(429, json=pdb_refusal())
        delete = respx_mock.delete(url__regex=r".*")
        delays = []
        for _ in range(MAX_DEFERRALS - 1):
            with pytest.raises(RetryLater) as deferred:
                service(incident_id)
            delays.append(deferred.value.delay.total_seconds())
        service(incident_id)
    assert evict.call_count == MAX_DEFERRALS
    assert not delete.called
    assert all(delay >= 60 for delay in delays)
    with container.db.session() as session:
        incident = session.get(Incident, incident_id)
        attempt = session.execute(select(RemediationAttempt)).scalar_one()
        assert incident.status == IncidentStatus.ESCALATED
        assert attempt.status == AttemptStatus.FAILED
        assert "disruption" in attempt.error.lower()
