"""The failed workflow runs the demo sends: recorded logs of public CI failures, each in a
delivery built from GitHub's published ``workflow_run`` example (scripts/samples), with the
repository, run and workflow ids of the demo.

The logs are chosen so that a fresh install shows every kind of decision: network and rate-limit
blips and a truncated cache that get a (dry-run) re-run, an expired publishing token that waits
for a person's approval, and a compile error and a lint error that are escalated.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
SAMPLE_PAYLOAD = DATA / "workflow_run_failure.json"
LOGS = DATA / "logs"

# Identifiers in the published example, replaced by the demo's own.
SAMPLE_REPO = "octo-org/octo-repo"
SAMPLE_RUN_ID = "289782451"
SAMPLE_WORKFLOW_ID = "2823525"
OWNER = "octo-org"


@dataclass(frozen=True)
class Scenario:
    """One failure: where it happens and the recorded log its failed job printed."""

    repo: str
    workflow: str
    path: str
    job: str
    step: str
    log: str


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("octo-org/web-frontend", "CI", ".github/workflows/ci.yml", "build",
             "Install dependencies", "040_npm_econnreset_actions.log"),
    Scenario("octo-org/payments-api", "Build", ".github/workflows/build.yml", "compile",
             "Compile", "004_maven_cannot_find_symbol.log"),
    Scenario("octo-org/web-frontend", "Release", ".github/workflows/release.yml", "publish",
             "Publish to npm", "068_npm_token_expired_changesets.log"),
    Scenario("octo-org/data-pipeline", "Integration", ".github/workflows/integration.yml",
             "integration", "Run the test image", "052_docker_run_toomanyrequests.log"),
    Scenario("octo-org/octo-repo", "E2E", ".github/workflows/e2e.yml", "cypress",
             "Cypress run", "015_cypress_attempts_flaky.log"),
    Scenario("octo-org/octo-repo", "Lint", ".github/workflows/lint.yml", "eslint",
             "Lint", "022_eslint_no_unused_vars.log"),
    Scenario("octo-org/data-pipeline", "CI", ".github/workflows/ci.yml", "test",
             "Restore npm cache", "072_actions_cache_tar_unexpected_eof.log"),
    Scenario("octo-org/payments-api", "CI", ".github/workflows/ci.yml", "build",
             "Install dependencies", "041_npm_error_econnreset_script.log"),
)  # fmt: skip


@dataclass(frozen=True)
class DemoRun:
    """A scenario with the ids GitHub would have given its run, workflow and failed job."""

    scenario: Scenario
    run_id: int
    run_number: int
    workflow_id: int
    job_id: int

    @property
    def repo(self) -> str:
        return self.scenario.repo


def plan_runs(first_run_id: int) -> list[DemoRun]:
    """The scenarios with fresh run and job ids (a new demo must not repeat an old one's runs)."""
    return [
        DemoRun(
            scenario=scenario,
            run_id=first_run_id + index,
            run_number=100 + index,
            workflow_id=int(SAMPLE_WORKFLOW_ID) + index,
            job_id=(first_run_id + index) * 10 + 1,
        )
        for index, scenario in enumerate(SCENARIOS)
    ]


def read_log(run: DemoRun) -> str:
    return (LOGS / run.scenario.log).read_text(encoding="utf-8")


def workflow_run_payload(run: DemoRun, *, now: datetime) -> dict[str, Any]:
    """The published ``workflow_run`` failure, moved to this run's repository, ids and time."""
    text = SAMPLE_PAYLOAD.read_text(encoding="utf-8")
    text = (
        text.replace(SAMPLE_REPO, run.repo)
        .replace(SAMPLE_RUN_ID, str(run.run_id))
        .replace(SAMPLE_WORKFLOW_ID, str(run.workflow_id))
    )
    payload = json.loads(text)
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    name = run.repo.split("/", 1)[1]
    for repository in (
        payload["repository"],
        payload["workflow_run"]["repository"],
        payload["workflow_run"]["head_repository"],
    ):
        repository["name"] = name
    payload["workflow"].update(name=run.scenario.workflow, path=run.scenario.path)
    payload["workflow_run"].update(
        name=run.scenario.workflow,
        path=run.scenario.path,
        run_number=run.run_number,
        run_attempt=1,
        status="completed",
        conclusion="failure",
        created_at=stamp,
        run_started_at=stamp,
        updated_at=stamp,
    )
    return payload


def delivery_body(run: DemoRun, *, now: datetime) -> bytes:
    return json.dumps(workflow_run_payload(run, now=now)).encode()
