"""`codehealer demo` as a newcomer runs it: the command in its own process, with nothing
configured but a database (the test server's, instead of a second embedded one) and a short
arrival window. The failures come from the stand-in GitHub's recorded logs and go through the
real service: signed webhooks, workers, analysis, decisions, the dashboard.

With UPDATE_SCREENSHOTS=1 the browser test saves the filled dashboard as docs/images/dashboard.png,
the picture in the README.
"""

import os
import shutil
import signal
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
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from app.core.config import setting_variables
from app.demo.scenario import LOGS, SCENARIOS
from tests.support.browser import headless_chromium

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUT = REPO_ROOT / "test-output"
README_SCREENSHOT = REPO_ROOT / "docs" / "images" / "dashboard.png"
ARRIVAL_SECONDS = 5
DECIDED_WITHIN_SECONDS = 180


@dataclass
class Demo:
    url: str
    process: subprocess.Popen
    stdout: Path
    stderr: Path
    incidents: list[dict[str, Any]]

    def output(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()[-4000:]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_environment(database_url: str) -> dict[str, str]:
    """This process's environment without any CodeHealer setting, plus the test database."""
    names = set(setting_variables())
    env = {key: value for key, value in os.environ.items() if key.upper() not in names}
    env.update(DATABASE_URL=database_url, PYTHONUNBUFFERED="1")
    return env


def wait_for_decisions(demo: Demo, *, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    items: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        assert demo.process.poll() is None, f"the demo exited:\n{demo.output()}"
        try:
            items = httpx.get(f"{demo.url}/api/v1/incidents", timeout=5).json()["items"]
        except (httpx.TransportError, KeyError, ValueError):
            items = []
        if len(items) == len(SCENARIOS) and all(item["decision"] for item in items):
            return items
        time.sleep(0.5)
    raise AssertionError(f"not all demo failures were decided: {items}\n{demo.output()}")


@pytest.fixture(scope="module")
def demo(new_database, tmp_path_factory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("demo")  # no stray .env is read; demo data stays here
    port = free_port()
    stdout, stderr = folder / "stdout.txt", folder / "stderr.txt"
    command = [sys.executable, "-m", "app.cli", "demo", "--port", str(port)]
    with stdout.open("w") as out, stderr.open("w") as err:
        process = subprocess.Popen(
            [*command, "--duration", str(ARRIVAL_SECONDS)],
            cwd=folder,
            env=clean_environment(new_database("codehealer_demo")),
            stdout=out,
            stderr=err,
        )
    running = Demo(f"http://127.0.0.1:{port}", process, stdout, stderr, incidents=[])
    try:
        running.incidents = wait_for_decisions(running, timeout=DECIDED_WITHIN_SECONDS)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def detail(demo: Demo, incident: dict[str, Any]) -> dict[str, Any]:
    return httpx.get(f"{demo.url}/api/v1/incidents/{incident['id']}", timeout=5).json()


def with_decision(demo: Demo, decision: str) -> list[dict[str, Any]]:
    return [i for i in demo.incidents if i["decision"] == decision]


def test_the_banner_says_what_to_open(demo):
    assert f"{demo.url}/dashboard" in demo.stdout.read_text()


def test_every_failure_of_every_repository_is_analyzed_and_decided(demo):
    assert sorted((i["repo"], i["workflow_name"]) for i in demo.incidents) == sorted(
        (s.repo, s.workflow) for s in SCENARIOS
    )
    assert all(i["category"] and i["confidence"] is not None for i in demo.incidents)


def test_transient_failures_get_a_dry_run_fix(demo):
    fixed = with_decision(demo, "auto_fix")
    assert fixed
    for incident in fixed:
        [attempt] = detail(demo, incident)["attempts"]
        assert attempt["dry_run"] is True
        assert attempt["status"] == "planned"
        assert attempt["action"].startswith("rerun")
    assert "transient_network" in {i["category"] for i in fixed}


def test_a_fix_that_is_not_low_risk_waits_for_approval(demo):
    waiting = [i for i in demo.incidents if i["status"] == "awaiting_approval"]
    assert waiting
    for incident in waiting:
        assert [a["status"] for a in detail(demo, incident)["approvals"]] == ["pending"]
    assert "auth_expired_credentials" in {i["category"] for i in waiting}


def test_code_failures_are_escalated(demo):
    escalated = [i for i in demo.incidents if i["status"] == "escalated"]
    assert {"compile_error", "lint_format"} <= {i["category"] for i in escalated}


def test_analyses_read_the_recorded_logs_from_the_github_stand_in(demo):
    logs = {(s.repo, s.workflow): (LOGS / s.log).read_text() for s in SCENARIOS}
    for incident in demo.incidents:
        log = logs[(incident["repo"], incident["workflow_name"])]
        lines = [line.strip() for line in (incident["excerpt"] or "").splitlines()]
        assert any(len(line) > 20 and line in log for line in lines), incident["excerpt"]


def test_the_dashboard_lists_every_demo_incident(demo):
    page = httpx.get(f"{demo.url}/dashboard", timeout=10)
    assert page.status_code == 200
    for incident in demo.incidents:
        assert f'data-incident-id="{incident["id"]}"' in page.text
    assert "awaiting approval" in page.text and "escalated" in page.text


@pytest.mark.browser
def test_the_dashboard_in_chromium_shows_the_demo_incidents(demo, browser_binaries):
    with headless_chromium(browser_binaries) as browser:
        browser.set_window_size(1366, 1800)
        browser.get(f"{demo.url}/dashboard")
        WebDriverWait(browser, 10).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "[data-kpi]"))
        )
        rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-incident-id]")
        OUTPUT.mkdir(exist_ok=True)
        path = OUTPUT / "demo-dashboard.png"
        assert browser.save_screenshot(str(path)), f"could not save {path}"
    assert len(rows) == len(SCENARIOS)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, README_SCREENSHOT)


def test_ctrl_c_stops_the_demo_cleanly(demo):
    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(timeout=60) == 0, demo.output()
    assert "CodeHealer stopped" in demo.stderr.read_text()
