"""Every mutation of a GitHub signature → 401 with nothing stored."""

import uuid

import pytest
from sqlalchemy import func, select

from app.adapters.database.tables import Incident, WebhookDelivery
from app.core.security import github_signature
from tests.conftest import WEBHOOK_SECRET, fixture_bytes

BODY = fixture_bytes("github/derived__workflow_run__completed.failure.payload.json")
GOOD = github_signature(WEBHOOK_SECRET, BODY)


def mutations() -> list[str]:
    digest = GOOD.removeprefix("sha256=")
    flipped = [
        GOOD[: 7 + i] + ("0" if digest[i] != "0" else "1") + GOOD[8 + i :] for i in range(0, 64, 7)
    ]
    return [
        *flipped,
        digest,  # no prefix
        "sha1=" + digest[:40],
        "SHA256=" + digest,
        GOOD.upper(),
        GOOD[:-1],
        GOOD + "0",
        "sha256=",
        "",
        " " * 5,
        github_signature("wrong-secret", BODY),
        github_signature(WEBHOOK_SECRET, BODY + b" "),
    ]


@pytest.mark.parametrize("signature", mutations())
def test_mutated_signature_is_401_and_stores_nothing(client, container, signature):
    response = client.post(
        "/webhooks/github",
        content=BODY,
        headers={
            "X-GitHub-Event": "workflow_run",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-Hub-Signature-256": signature,
        },
    )
    assert response.status_code == 401
    with container.db.session() as session:
        assert session.execute(select(func.count()).select_from(WebhookDelivery)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(Incident)).scalar_one() == 0


def test_the_unmutated_signature_is_accepted(client):
    response = client.post(
        "/webhooks/github",
        content=BODY,
        headers={
            "X-GitHub-Event": "workflow_run",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-Hub-Signature-256": GOOD,
        },
    )
    assert response.status_code == 202
