"""The read API's response models carry every field its services read: nothing is dropped
between the service and the answer, for an incident with a row in every related table."""

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from app.adapters.database.engine import Database
from app.adapters.database.repositories.approvals import ApprovalRepository
from app.adapters.database.tables import WebhookDelivery
from app.api import deps
from app.main import create_app
from app.services.health import HealthCheck
from app.services.interactions import FeedbackClick
from tests.support.incidents import analyzed_incident, insert

APPROVER = "UAPPROVER1"
RELATED = ("deliveries", "attempts", "approvals", "feedback", "audit")


def approved_and_rated(container) -> int:
    """An incident with its delivery, taken through a decision, an approval request, its
    approval and a 👍: a row in every table the detail shows."""
    [incident_id] = insert(
        container, analyzed_incident(repo="org/read-models", run_id=9300, confidence=0.7)
    )
    container.decider(incident_id)
    with container.db.session() as session:
        session.add(
            WebhookDelivery(
                source="github",
                delivery_id="read-models-9300",
                event_type="workflow_run",
                payload={"workflow_run": {"id": 9300}},
                incident_id=incident_id,
                outcome="incident",
            )
        )
        nonce = ApprovalRepository(session).pending_for(incident_id).nonce
    container.approvals.decide(
        incident_id=incident_id, nonce=nonce, user_id=APPROVER, approve=True, allowed=True
    )
    container.interactions.rate(APPROVER, FeedbackClick(incident_id, 1))
    return incident_id


def test_the_incident_answer_is_everything_the_service_reads(client, container):
    incident_id = approved_and_rated(container)

    answer = client.get(f"/api/v1/incidents/{incident_id}").json()

    expected = container.incident_views.detail(incident_id)
    assert all(expected[name] for name in RELATED)
    assert answer == expected


def test_the_list_answer_is_everything_the_service_reads(client, container):
    approved_and_rated(container)

    answer = client.get("/api/v1/incidents", params={"limit": 10}).json()

    expected = container.incident_views.page(
        status=None, source=None, repo=None, category=None, limit=10, offset=0
    )
    assert expected["total"] == 1
    assert answer == expected


def test_the_metrics_answer_is_everything_the_service_reads(client, container):
    approved_and_rated(container)

    answer = client.get("/api/v1/metrics/summary", params={"days": 3}).json()

    assert answer == container.kpis.summary(days=3)
    assert answer["window_days"] == 3


def test_readiness_names_the_schema_and_the_head(client):
    answer = client.get("/ready").json()
    assert set(answer) == {"ready", "database", "schema", "head"}
    assert answer["schema"] == answer["head"]


def test_readiness_without_a_database_is_503_and_names_no_schema(container):
    # Port 1 on the loopback: nothing listens, the connection is refused at once.
    unreachable = Database(create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    app = create_app(container)
    app.dependency_overrides[deps.get_health] = lambda: HealthCheck(unreachable)
    with TestClient(app) as http:
        response = http.get("/ready")
    assert response.status_code == 503
    assert response.json() == {"ready": False, "database": "unreachable"}
