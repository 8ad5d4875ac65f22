"""The read API's response models have one field per column of the tables they show, so the
OpenAPI schema is complete and no column is dropped from an answer."""

import pytest
from pydantic import BaseModel
from sqlmodel import SQLModel

from app.adapters.database.tables import (
    Approval,
    AuditEntry,
    Feedback,
    Incident,
    RemediationAttempt,
    WebhookDelivery,
)
from app.services.incident_views import (
    ApprovalView,
    AttemptView,
    AuditView,
    DeliveryView,
    FeedbackView,
    IncidentDetail,
    IncidentSummary,
)

ROWS = [
    # (response model, table, columns not shown, fields added to the columns)
    (IncidentSummary, Incident, {"embedding"}, {"has_embedding", "confidence_parts"}),
    (DeliveryView, WebhookDelivery, {"payload"}, set()),
    (AttemptView, RemediationAttempt, set(), set()),
    (ApprovalView, Approval, set(), set()),
    (FeedbackView, Feedback, set(), set()),
    (AuditView, AuditEntry, set(), set()),
]


@pytest.mark.parametrize(
    ("model", "table", "hidden", "added"), ROWS, ids=[model.__name__ for model, *_ in ROWS]
)
def test_a_response_model_has_a_field_for_every_shown_column(
    model: type[BaseModel], table: type[SQLModel], hidden: set[str], added: set[str]
):
    assert set(model.model_fields) == set(table.model_fields) - hidden | added


def test_the_detail_adds_the_related_rows_to_the_summary():
    added = set(IncidentDetail.model_fields) - set(IncidentSummary.model_fields)
    assert added == {"links", "deliveries", "attempts", "approvals", "feedback", "audit"}
