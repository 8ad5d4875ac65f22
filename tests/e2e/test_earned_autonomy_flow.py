"""Autonomy earned from what people do and taken back when it stops working, end to end:
`codehealer serve` in its own process with its default settings (dev, not a dry run, a GitHub
App's token), a loopback GitHub, and signed workflow_run deliveries.

The same transient failure (npm ECONNRESET) fails run after run; each time a person re-runs it
in GitHub and the re-run passes. CodeHealer asks a person at first, and re-runs the failure by
itself after at most 10 such successes. Then its own re-runs fail again: it stops re-running by
itself after at most 3 of them, and asks a person again.
"""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import FIXTURES, WEBHOOK_SECRET, fixture_bytes
from tests.support.github_api import run_webhook
from tests.support.github_deliveries import post_github
from tests.support.loopback_github import LoopbackGitHub
from tests.support.served import Served, app_key_pem, serve

APP_ID = 364103
REPO = "octo-org/octo-repo"
INSTALLATION = json.loads(fixture_bytes("github/octokit__workflow_job__in_progress.payload.json"))[
    "installation"
]
NETWORK_LOG = (FIXTURES / "ci_logs" / "040_npm_econnreset_actions.log").read_text()
FIRST_RUN = 83001
EARNED_WITHIN = 10  # successes of people's re-runs
REVOKED_WITHIN = 3  # failures of its own automatic re-runs
DECIDED_WITHIN = 90


@pytest.fixture(scope="module")
def app_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def github(app_key) -> Iterator[LoopbackGitHub]:
    with LoopbackGitHub(APP_ID, app_key.public_key(), {INSTALLATION["id"]: [REPO]}) as server:
        yield server


@pytest.fixture(scope="module")
def served(new_database, github, app_key, tmp_path_factory) -> Iterator[Served]:
    """Nothing about decisions is set: the defaults of a new installation. The reference
    memory is left out: this measures what people's evidence alone earns (its log has a twin
    there, whose labels would lift the confidence over the dev band before autonomy is earned)."""
    variables = dict(
        DATABASE_URL=new_database("codehealer_autonomy_e2e"),
        DRY_RUN="false",
        SEED_REFERENCE="false",
        GITHUB_APP_ID=str(APP_ID),
        GITHUB_APP_PRIVATE_KEY=app_key_pem(app_key),
        GITHUB_API_URL=github.url,
        GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET,
        WORKER_POLL_SECONDS="0.2",
    )
    with serve(tmp_path_factory.mktemp("autonomy-serve"), variables) as running:
        yield running


def deliver(served: Served, run_id: int, *, attempt: int, conclusion: str) -> dict[str, Any]:
    payload = json.loads(run_webhook(run_id=run_id, attempt=attempt, conclusion=conclusion))
    payload["repository"]["full_name"] = REPO
    payload["installation"] = INSTALLATION
    with httpx.Client(base_url=served.url, timeout=10) as client:
        response = post_github(client, payload)
    assert response.status_code in (200, 202), response.text
    return response.json()


def incident(served: Served, incident_id: int) -> dict[str, Any]:
    return httpx.get(f"{served.url}/api/v1/incidents/{incident_id}", timeout=5).json()


def failed(served: Served, run_id: int, *, attempt: int = 1) -> dict[str, Any]:
    """Attempt ``attempt`` of run ``run_id`` failed; the incident once it is decided."""
    incident_id = deliver(served, run_id, attempt=attempt, conclusion="failure")["incident_id"]
    return served.wait_for(
        lambda: (found := incident(served, incident_id)).get("decision") and found,
        DECIDED_WITHIN,
        f"incident {incident_id} was not decided",
    )


def rerun_by_codehealer(served: Served, github: LoopbackGitHub, decided: dict[str, Any]) -> None:
    """The automatic re-run reached GitHub and its incident waits for the next attempt."""
    path = f"/repos/{REPO}/actions/runs/{decided['run_id']}/rerun-failed-jobs"
    served.wait_for(
        lambda: github.calls_to("POST", path) and incident(served, decided["id"])["status"]
        == "verifying",
        DECIDED_WITHIN,
        f"incident {decided['id']} was not re-run",
    )


def events(detail: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [entry for entry in detail["audit"] if entry["event"] == name]


@pytest.fixture(scope="module")
def story(served, github) -> dict[str, Any]:
    """The module docstring, delivered as GitHub would."""
    run_id, person_successes = FIRST_RUN, 0
    github.add_failed_run(REPO, run_id, NETWORK_LOG)
    decided = failed(served, run_id)
    asked = decided
    while decided["decision"] != "auto_fix" and person_successes <= EARNED_WITHIN:
        assert decided["decision"] == "needs_approval", decided["decision_reason"]
        asked = decided
        deliver(served, run_id, attempt=2, conclusion="success")  # a person re-ran it
        person_successes += 1
        run_id += 1
        github.add_failed_run(REPO, run_id, NETWORK_LOG)
        decided = failed(served, run_id)
    first_automatic = decided

    rerun_automatically: list[int] = []
    while decided["decision"] == "auto_fix" and len(rerun_automatically) <= REVOKED_WITHIN:
        rerun_by_codehealer(served, github, decided)
        rerun_automatically.append(decided["id"])
        # Its own re-run failed: the next attempt of the run is a new failure to decide.
        decided = failed(served, decided["run_id"], attempt=decided["run_attempt"] + 1)
    run_id += 1
    github.add_failed_run(REPO, run_id, NETWORK_LOG)
    return {
        "person_successes": person_successes,
        "first_automatic": first_automatic,
        # The passing re-run that earned it is judged on the incident it re-ran.
        "promotions": events(incident(served, asked["id"]), "autonomy.promoted"),
        "automatic_failures": len(rerun_automatically),
        # The failed re-run is judged on the incident it was to fix.
        "demotions": [
            event
            for incident_id in rerun_automatically
            for event in events(incident(served, incident_id), "autonomy.demoted")
        ],
        "after_revocation": decided,
        "next_run": failed(served, run_id),
    }


def test_the_first_automatic_rerun_comes_after_at_most_ten_passing_reruns_by_people(story):
    first = story["first_automatic"]

    assert first["decision"] == "auto_fix"
    assert 1 <= story["person_successes"] <= EARNED_WITHIN
    assert first["decision_reason"].startswith("earned autonomy: ")
    [promoted] = story["promotions"]
    assert promoted["details"]["detail"].startswith(
        f"rerun_failed_jobs for “npm ERR! code ECONNRESET” is now automatic: "
        f"{story['person_successes']} of {story['person_successes']} re-runs passed"
    )


def test_automatic_reruns_that_fail_stop_after_at_most_three(story):
    after = story["after_revocation"]

    assert 1 <= story["automatic_failures"] <= REVOKED_WITHIN
    assert after["decision"] == "needs_approval"
    [demoted] = story["demotions"]
    assert demoted["details"]["detail"].startswith(
        "rerun_failed_jobs for “npm ERR! code ECONNRESET” is no longer automatic: "
    )


def test_after_the_revocation_a_new_run_of_the_same_failure_asks_a_person(story):
    fresh = story["next_run"]

    assert fresh["decision"] == "needs_approval"
    [decision] = events(fresh, "decision.made")
    assert decision["details"]["autonomy"]["taken_back"] is True


def test_the_dashboard_lists_the_promotion_and_the_demotion(served, story):
    page = httpx.get(f"{served.url}/dashboard", timeout=10).text

    assert "is now automatic" in page
    assert "is no longer automatic" in page
