"""Flaky tests learned from history, end to end: `codehealer serve` in its own process, a
loopback GitHub (App authentication, run jobs, job logs) and signed workflow_run deliveries.

- test A fails on commit 1 and a person's re-run of it passes: A is flaky, so A failing on
  commit 3 is a flaky test, to re-run (``flaky_test`` / ``rerun_failed_jobs``);
- test B fails on commit 2 and again on its re-run: B is broken, so B failing on commit 4 stays
  a test failure for a person;
- test C, never seen before, failing on commit 5 is a test failure too.

The incidents name their failing tests; the dashboard and `codehealer report` list A as the
flakiest test of the repository, and not B.
"""

import html
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.core.config import setting_variables
from tests.conftest import WEBHOOK_SECRET, fixture_bytes
from tests.support.github_api import run_webhook
from tests.support.github_deliveries import post_github
from tests.support.loopback_github import LoopbackGitHub

APP_ID = 364102
REPO = "octo-org/octo-repo"
INSTALLATION = json.loads(fixture_bytes("github/octokit__workflow_job__in_progress.payload.json"))[
    "installation"
]
TEST_A = "tests/test_checkout.py::test_pays_with_saved_card"
TEST_B = "tests/test_checkout.py::test_refunds_to_original_card"
TEST_C = "tests/test_orders.py::test_lists_recent_orders"
STARTED_WITHIN = 120
ANALYSED_WITHIN = 90


def pytest_job_log(test_id: str) -> str:
    """A GitHub Actions job log of a pytest step with one failing test (pytest's default
    output: the failure section, then the short test summary)."""
    name = test_id.rsplit("::", 1)[1]
    lines = [
        "##[group]Run pytest -q",
        "pytest -q",
        "##[endgroup]",
        "........F.....                                                           [100%]",
        "=================================== FAILURES ===================================",
        f"_______________________________ {name} ________________________________",
        "",
        f"    def {name}():",
        ">       assert response.status_code == 200",
        "E       assert 502 == 200",
        "E        +  where 502 = <Response [502]>.status_code",
        "",
        f"{test_id.split('::')[0]}:41: AssertionError",
        "=========================== short test summary info ============================",
        f"FAILED {test_id} - assert 502 == 200",
        "1 failed, 13 passed in 2.41s",
        "##[error]Process completed with exit code 1.",
    ]
    stamp = "2026-03-02T09:14:0{}.1234567Z"
    return "".join(f"{stamp.format(i % 10)} {line}\n" for i, line in enumerate(lines))


@dataclass
class Served:
    url: str
    process: subprocess.Popen
    output: Path
    env: dict[str, str]
    cwd: Path

    def log(self) -> str:
        return self.output.read_text(errors="replace")[-4000:]


def app_key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def app_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def github(app_key) -> Iterator[LoopbackGitHub]:
    with LoopbackGitHub(APP_ID, app_key.public_key(), {INSTALLATION["id"]: [REPO]}) as server:
        yield server


@pytest.fixture(scope="module")
def served(new_database, github, app_key, tmp_path_factory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("flaky-serve")  # no stray .env is read
    names = set(setting_variables())
    env = {k: v for k, v in os.environ.items() if k.upper() not in names}
    env.update(
        DATABASE_URL=new_database("codehealer_flaky_e2e"),
        ENVIRONMENT="dev",
        GITHUB_APP_ID=str(APP_ID),
        GITHUB_APP_PRIVATE_KEY=app_key_pem(app_key),
        GITHUB_API_URL=github.url,
        GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET,
        WORKER_POLL_SECONDS="0.2",
        LOG_FORMAT="text",
        PYTHONUNBUFFERED="1",
    )
    port = free_port()
    output = folder / "serve.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    running = Served(f"http://127.0.0.1:{port}", process, output, env, folder)
    try:
        wait_for(lambda: _healthy(running.url), running, STARTED_WITHIN, "serve did not start")
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def wait_for(check, served: Served, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert served.process.poll() is None, f"serve exited:\n{served.log()}"
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{what}\n{served.log()}")


def deliver_run(
    served: Served, *, run_id: int, sha: str, attempt: int = 1, conclusion: str = "failure"
) -> dict[str, Any]:
    body = run_webhook(repo=REPO, run_id=run_id, attempt=attempt, conclusion=conclusion)
    payload = json.loads(body)
    payload["workflow_run"]["head_sha"] = sha
    payload["workflow_run"]["head_commit"]["id"] = sha
    payload["installation"] = INSTALLATION
    with httpx.Client(base_url=served.url, timeout=10) as client:
        response = post_github(client, payload)
    assert response.status_code in (200, 202), response.text
    return response.json()


def analysed(served: Served, incident_id: int) -> dict[str, Any]:
    """The incident once its analysis and decision are stored."""

    def decided() -> dict[str, Any] | None:
        detail = httpx.get(f"{served.url}/api/v1/incidents/{incident_id}", timeout=5).json()
        return detail if detail.get("decision") else None

    return wait_for(decided, served, ANALYSED_WITHIN, f"incident {incident_id} was not decided")


def fails(served: Served, github: LoopbackGitHub, *, run_id: int, sha: str, test_id: str,
          attempt: int = 1) -> dict[str, Any]:  # fmt: skip
    """Attempt ``attempt`` of run ``run_id`` on commit ``sha`` failed with ``test_id``."""
    if attempt == 1:
        github.add_failed_run(REPO, run_id, pytest_job_log(test_id), head_sha=sha)
    incident_id = deliver_run(served, run_id=run_id, sha=sha, attempt=attempt)["incident_id"]
    return analysed(served, incident_id)


@pytest.fixture(scope="module")
def history(served, github) -> dict[str, dict[str, Any]]:
    """The story of the module docstring, as GitHub would deliver it."""
    seen = {"A1": fails(served, github, run_id=81001, sha="a" * 40, test_id=TEST_A)}
    deliver_run(served, run_id=81001, sha="a" * 40, attempt=2, conclusion="success")
    seen["B2"] = fails(served, github, run_id=81002, sha="b" * 40, test_id=TEST_B)
    seen["B2 re-run"] = fails(
        served, github, run_id=81002, sha="b" * 40, test_id=TEST_B, attempt=2
    )
    seen["A3"] = fails(served, github, run_id=81003, sha="c" * 40, test_id=TEST_A)
    seen["B4"] = fails(served, github, run_id=81004, sha="d" * 40, test_id=TEST_B)
    seen["C5"] = fails(served, github, run_id=81005, sha="e" * 40, test_id=TEST_C)
    return seen


def test_a_test_whose_rerun_passed_fails_again_later_as_a_flaky_test_to_rerun(history):
    assert (history["A1"]["category"], history["A1"]["action"]) == ("test_failure", "none")
    a3 = history["A3"]
    assert (a3["category"], a3["action"]) == ("flaky_test", "rerun_failed_jobs")
    assert a3["failing_tests"] == [TEST_A]
    assert 0 < a3["confidence_parts"]["classifier"] < 1  # from one re-run: a lower bound


def test_a_test_that_failed_again_on_its_rerun_stays_a_test_failure_for_a_person(history):
    b4 = history["B4"]
    assert (b4["category"], b4["action"], b4["fixability"]) == ("test_failure", "none", "manual")
    assert b4["status"] == "escalated"
    assert b4["failing_tests"] == [TEST_B]


def test_a_test_never_seen_stays_a_test_failure(history):
    c5 = history["C5"]
    assert (c5["category"], c5["action"]) == ("test_failure", "none")
    assert c5["failing_tests"] == [TEST_C]


def test_the_dashboard_lists_the_flaky_test_and_not_the_broken_one(served, history):
    page = httpx.get(f"{served.url}/dashboard", timeout=10).text
    listed = [html.unescape(r.split('"')[0]) for r in page.split('data-flaky-test="')[1:]]
    assert listed == [TEST_A]


def test_codehealer_report_lists_the_flakiest_tests_of_the_repository(served, history):
    report = subprocess.run(
        [sys.executable, "-m", "app.cli", "report", "--since", "1d"],
        cwd=served.cwd,
        env=served.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert report.returncode == 0, report.stderr
    flaky = report.stdout.split("## Flakiest tests", 1)[1]
    assert f"- {REPO}" in flaky
    assert f"`{TEST_A}` flaky ×1, failed again ×0" in flaky
    assert TEST_B not in flaky
