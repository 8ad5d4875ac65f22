"""GitHub deliveries: dates outside what Python holds are dropped with a note, numbers past
their columns and repository names GitHub would not give are a bad request."""

import json
from datetime import UTC, datetime

import pytest

from app.core.errors import NormalizationError
from app.core.events.github import parse_github_event
from app.core.events.models import FailureObserved, Ignored, PullRequestClosed
from tests.conftest import fixture_bytes

FAILED_RUN = "github/derived__workflow_run__completed.failure.payload.json"
FAILED_JOB = "github/octokit__workflow_job__completed.failure.with-organization.payload.json"


def failed_run(**run_changes) -> dict:
    payload = json.loads(fixture_bytes(FAILED_RUN))
    payload["workflow_run"].update(run_changes)
    return payload


@pytest.mark.parametrize("started", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-14:00"])
def test_a_run_start_outside_the_storable_range_is_dropped_with_a_note(started):
    event = parse_github_event("workflow_run", failed_run(run_started_at=started))
    assert isinstance(event, FailureObserved)
    assert event.draft.target.run_started_at is None
    [note] = event.draft.details["dropped_fields"]
    assert note.startswith(f"run_started_at {started[:10]}")


def test_a_run_start_in_range_is_kept_without_a_note():
    event = parse_github_event("workflow_run", failed_run())
    assert event.draft.target.run_started_at is not None
    assert "dropped_fields" not in event.draft.details


@pytest.mark.parametrize(
    "changes",
    [{"run_attempt": 2**31}, {"id": 2**63}, {"workflow_id": -5}],
    ids=["attempt-past-integer", "id-past-bigint", "negative-workflow-id"],
)
def test_a_number_past_its_column_is_a_bad_request(changes):
    with pytest.raises(NormalizationError):
        parse_github_event("workflow_run", failed_run(**changes))


@pytest.mark.parametrize("repo", ["octo/.", "octo/..", "octo/repo\n", "octo/a/b", "octo/re po"])
@pytest.mark.parametrize(
    "event_type, fixture", [("workflow_run", FAILED_RUN), ("workflow_job", FAILED_JOB)]
)
def test_a_repository_name_github_would_not_give_is_a_bad_request(event_type, fixture, repo):
    payload = json.loads(fixture_bytes(fixture))
    payload["repository"]["full_name"] = repo
    with pytest.raises(NormalizationError, match="repository.full_name"):
        parse_github_event(event_type, payload)


PULL_CLOSED = "github/octokit__pull_request__closed.payload.json"


def test_a_closed_pull_request_is_parsed_with_whether_it_was_merged():
    event = parse_github_event("pull_request", json.loads(fixture_bytes(PULL_CLOSED)))
    assert event == PullRequestClosed(
        repo="Codertocat/Hello-World",
        number=2,
        merged=False,
        head_ref="changes",
        closed_at=datetime(2019, 5, 15, 15, 21, 18, tzinfo=UTC),
    )


def test_a_merged_pull_request_says_so():
    payload = json.loads(fixture_bytes(PULL_CLOSED))
    payload["pull_request"]["merged"] = True
    assert parse_github_event("pull_request", payload).merged is True


def test_a_pull_request_that_is_not_closed_is_ignored():
    payload = json.loads(fixture_bytes(PULL_CLOSED)) | {"action": "opened"}
    assert isinstance(parse_github_event("pull_request", payload), Ignored)


def test_a_pull_request_without_its_number_is_a_normalization_error():
    payload = json.loads(fixture_bytes(PULL_CLOSED))
    del payload["pull_request"]["number"]
    with pytest.raises(NormalizationError, match="pull_request.number"):
        parse_github_event("pull_request", payload)
