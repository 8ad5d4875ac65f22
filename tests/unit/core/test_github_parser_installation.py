"""The GitHub App installation a delivery names becomes part of the incident draft."""

import json

import pytest

from app.core.errors import NormalizationError
from app.core.events.github import parse_github_event
from tests.conftest import fixture_bytes

FAILED_RUN = "github/derived__workflow_run__completed.failure.payload.json"
FAILED_JOB = "github/octokit__workflow_job__completed.failure.with-organization.payload.json"
# As GitHub sends it to an App (published example).
INSTALLATION = json.loads(fixture_bytes("github/octokit__workflow_job__in_progress.payload.json"))[
    "installation"
]


def payload(name: str, **extra) -> dict:
    return {**json.loads(fixture_bytes(name)), **extra}


@pytest.mark.parametrize(
    ("event", "name"), [("workflow_run", FAILED_RUN), ("workflow_job", FAILED_JOB)]
)
def test_the_installation_of_an_app_delivery_is_drafted(event, name):
    parsed = parse_github_event(event, payload(name, installation=INSTALLATION))
    assert parsed.draft.target.installation_id == INSTALLATION["id"]


def test_a_delivery_of_a_repository_webhook_names_no_installation():
    assert (
        parse_github_event("workflow_run", payload(FAILED_RUN)).draft.target.installation_id is None
    )


@pytest.mark.parametrize("installation_id", [0, -4, "many", 2**63])
def test_an_installation_id_that_is_not_a_positive_bigint_is_a_bad_request(installation_id):
    with pytest.raises(NormalizationError, match="installation.id"):
        parse_github_event(
            "workflow_run", payload(FAILED_RUN, installation={"id": installation_id})
        )
