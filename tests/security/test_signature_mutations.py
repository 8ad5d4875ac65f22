"""Every mutation of a GitHub signature → 401 with nothing stored."""

import pytest
from sqlalchemy import func, select

from app.adapters.database.tables import Incident, WebhookDelivery
from tests.conftest import fixture_bytes
from tests.support.github_deliveries import SIGNATURE_HEADER, post_github, signature_of

BODY = fixture_bytes("github/derived__workflow_run__completed.failure.payload.json")
GOOD = signature_of(BODY)


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
        signature_of(BODY, secret="wrong-secret"),
        signature_of(BODY + b" "),
    ]


@pytest.mark.parametrize("signature", mutations())
def test_mutated_signature_is_401_and_stores_nothing(client, container, signature):
    response = post_github(client, BODY, headers={SIGNATURE_HEADER: signature})
    assert response.status_code == 401
    with container.db.session() as session:
        assert session.execute(select(func.count()).select_from(WebhookDelivery)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(Incident)).scalar_one() == 0


def test_the_unmutated_signature_is_accepted(client):
    response = post_github(client, BODY, headers={SIGNATURE_HEADER: GOOD})
    assert response.status_code == 202
