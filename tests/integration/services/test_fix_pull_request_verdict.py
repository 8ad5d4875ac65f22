"""A fix proposed as a pull request is judged when the pull request closes: merged, it
worked; closed without merging, it did not. Through the signed webhook and the recorder."""

import json
from datetime import timedelta

from sqlalchemy import update

from app.adapters.database.repositories.attempts import AttemptRepository
from app.adapters.database.tables import Incident, utcnow
from app.core.enums import AttemptStatus, IncidentStatus
from app.domain.verification import FixPullRequestClosed
from app.services.verification import VerificationRecorder
from app.services.verification_sweep import StaleAttemptChecker
from tests.conftest import fixture_bytes
from tests.support.github_deliveries import post_github
from tests.support.incidents import analyzed_incident, insert

PR_REPO = "Codertocat/Hello-World"  # the repository of the published pull_request example
PR_NUMBER = 2


def proposed(container, *, number: int = PR_NUMBER) -> int:
    """An incident whose configuration fix was opened as pull request ``number``."""
    incident = analyzed_incident(repo=PR_REPO, run_id=31)
    incident.status = IncidentStatus.VERIFYING
    [incident_id] = insert(container, incident)
    with container.db.session() as session:
        AttemptRepository(session).add(
            incident_id=incident_id,
            action="config_fix_pr",
            status=AttemptStatus.SUCCEEDED,
            result={
                "detail": "pull request opened",
                "pull_request": {"repo": PR_REPO, "number": number, "url": "u"},
            },
        )
    return incident_id


def closed_delivery(*, merged: bool) -> bytes:
    payload = json.loads(fixture_bytes("github/octokit__pull_request__closed.payload.json"))
    payload["pull_request"]["merged"] = merged
    return json.dumps(payload).encode()


def state(container, incident_id: int) -> tuple[str, str]:
    with container.db.session() as session:
        incident = session.get(Incident, incident_id)
        attempt = AttemptRepository(session).latest(incident_id)
        return incident.status, attempt.status


def test_a_merged_fix_pull_request_resolves_the_incident_and_verifies_the_fix(container, client):
    incident_id = proposed(container)
    response = post_github(client, closed_delivery(merged=True), event="pull_request")
    assert response.status_code in (200, 202)
    assert state(container, incident_id) == (IncidentStatus.RESOLVED, AttemptStatus.VERIFIED)


def test_a_fix_pull_request_closed_unmerged_fails_the_fix(container, client):
    incident_id = proposed(container)
    post_github(client, closed_delivery(merged=False), event="pull_request")
    assert state(container, incident_id) == (
        IncidentStatus.FAILED,
        AttemptStatus.VERIFICATION_FAILED,
    )


def test_a_pull_request_codehealer_did_not_open_is_ignored(container, client):
    incident_id = proposed(container, number=99)
    response = post_github(client, closed_delivery(merged=True), event="pull_request")
    assert "no fix awaits it" in response.json()["ignored"]
    assert state(container, incident_id) == (IncidentStatus.VERIFYING, AttemptStatus.SUCCEEDED)


def test_the_recorder_names_the_incident_whose_pull_request_was_merged(container):
    incident_id = proposed(container)
    seen = FixPullRequestClosed(PR_REPO, PR_NUMBER, True, observed_at=utcnow())
    with container.db.session() as session:
        assert VerificationRecorder().record(session, seen) == incident_id


class RunsAsked:
    """Stands in for GitHub's runs API: records which runs the sweep asks about."""

    def __init__(self):
        self.asked: list[int] = []

    def for_installation(self, installation_id):
        return self

    def get_run(self, repo: str, run_id: int) -> dict:
        self.asked.append(run_id)
        return {"status": "in_progress"}


def test_the_stale_rerun_sweep_does_not_ask_github_about_a_proposed_fix(container):
    incident_id = proposed(container)
    with container.db.session() as session:
        session.execute(
            update(Incident)
            .where(Incident.id == incident_id)
            .values(updated_at=utcnow() - timedelta(hours=2))
        )
    github = RunsAsked()
    report = StaleAttemptChecker(container.db, github, VerificationRecorder())()
    assert (report["checked"], github.asked) == (0, [])
