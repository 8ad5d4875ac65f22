"""The sweep with a GitHub App: it reconciles the repositories the App's installations were
granted, and checks stale runs with the token of the incident's installation (against the
loopback GitHub, which verifies the App's JWT and the installation tokens it issued)."""

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import update

from app.adapters.database.tables import Incident, utcnow
from app.bootstrap import build_container
from app.core.enums import IncidentStatus
from tests.conftest import _truncate, make_settings
from tests.support.github_api import REPO, RUN_ID
from tests.support.incidents import analyzed_incident, insert
from tests.support.loopback_github import LoopbackGitHub

APP_ID = 364102
INSTALLATION_ID = 1
OTHER_REPO = "octo-org/hello-world"


@pytest.fixture(scope="module")
def app_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def github(app_key):
    installations = {INSTALLATION_ID: [REPO, OTHER_REPO]}
    with LoopbackGitHub(APP_ID, app_key.public_key(), installations) as server:
        yield server


@pytest.fixture
def app_container(database_url, github, app_key):
    pem = app_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    settings = make_settings(
        database_url,
        github_app_id=APP_ID,
        github_app_private_key=pem,
        github_api_url=github.url,
        github_repositories="",
    )
    container = build_container(settings, database_url=database_url)
    yield container
    _truncate(container)
    container.close()


def test_reconcile_lists_the_installations_repositories_and_ingests_with_the_installation(
    app_container, github
):
    github.add_failed_run(OTHER_REPO, RUN_ID, "npm ERR! code ECONNRESET")

    report = app_container.new_sweeper().tasks["reconcile"]()

    assert report["repositories"] == 2 and report["failed_runs_seen"] == 1
    [incident_id] = report["ingested"]
    with app_container.db.session() as session:
        incident = session.get(Incident, incident_id)
    assert (incident.repo, incident.github_installation_id) == (OTHER_REPO, INSTALLATION_ID)
    [listed] = github.calls_to("GET", "/app/installations")
    assert listed.status == 200  # the JWT verified with the App's public key
    [token] = github.issued_tokens()
    for path in ("/installation/repositories", rf"/repos/{REPO}/actions/runs"):
        [call] = github.calls_to("GET", path)
        assert call.authorization == f"Bearer {token}"


def test_stale_attempt_check_reads_the_run_with_the_incidents_installation_token(
    app_container, github
):
    github.add_failed_run(REPO, RUN_ID, "npm ERR! code ECONNRESET")
    incident = analyzed_incident(repo=REPO, run_id=RUN_ID)
    incident.github_installation_id = INSTALLATION_ID
    [incident_id] = insert(app_container, incident)
    with app_container.db.session() as session:
        session.execute(
            update(Incident)
            .where(Incident.id == incident_id)
            .values(status=IncidentStatus.VERIFYING, updated_at=utcnow() - timedelta(hours=2))
        )

    report = app_container.new_sweeper().tasks["stale_attempts"]()

    assert report["checked"] == 1
    [token] = github.issued_tokens()
    [call] = github.calls_to("GET", rf"/repos/{REPO}/actions/runs/{RUN_ID}")
    assert (call.authorization, call.status) == (f"Bearer {token}", 200)
    assert [c.path for c in github.calls if c.path.startswith("/app/")] == [
        f"/app/installations/{INSTALLATION_ID}/access_tokens"
    ]


def test_reconcile_skips_a_run_it_cannot_record_and_ingests_the_others(app_container, github):
    bad = github.add_failed_run(REPO, RUN_ID, "npm ERR! code ECONNRESET")
    bad["run_attempt"] = 2**31  # past the column it would be stored in
    github.add_failed_run(OTHER_REPO, RUN_ID + 1, "npm ERR! code ECONNRESET")

    report = app_container.new_sweeper().tasks["reconcile"]()

    assert report["failed_runs_seen"] == 2
    [incident_id] = report["ingested"]
    with app_container.db.session() as session:
        assert session.get(Incident, incident_id).repo == OTHER_REPO
