"""LogSource for GitHub Actions: the failed jobs of the run attempt, their logs, their failing step,
and (with ``green``) the same jobs' logs in the workflow's last successful run to compare with."""

from typing import Any

from app.adapters.external.github.client import GitHubClient
from app.adapters.external.github.green_run import LastGreenRun
from app.core.analysis.green_diff import masked_lines
from app.core.errors import GitHubError
from app.core.models import FetchedLogs, IncidentTarget
from app.core.targets import RunTarget

FAILED = frozenset({"failure", "timed_out", "startup_failure", "cancelled"})


class GitHubLogSource:
    def __init__(
        self, client: GitHubClient | None, *, max_jobs: int = 5, green: LastGreenRun | None = None
    ):
        self.client = client
        self.max_jobs = max_jobs
        # None: failures are not compared with the last successful run.
        self.green = green

    def fetch(self, incident: IncidentTarget) -> FetchedLogs:
        if self.client is None:
            raise GitHubError(
                "neither GITHUB_TOKEN nor a GitHub App is configured, so job logs cannot be read",
                status_code=401,
            )
        run = incident.target
        if not isinstance(run, RunTarget):
            raise GitHubError("the incident names no repository and run", status_code=400)
        # Read as the App installation that reported the failure (when there is an App).
        client = self.client.for_installation(run.installation_id)
        jobs = client.list_attempt_jobs(run.repo, run.run_id, run.run_attempt)
        failed = [j for j in jobs if j.get("conclusion") in FAILED]
        if not failed:
            if any(j.get("status") != "completed" for j in jobs):
                return FetchedLogs(not_ready=True, note="jobs of this attempt are still running")
            return FetchedLogs(text="", note="GitHub lists no failed job for this attempt")
        sections = []
        for job in failed[: self.max_jobs]:
            log = client.download_job_log(run.repo, int(job["id"]))
            if log is None:
                return FetchedLogs(
                    not_ready=True, note=f"log of job {job['id']} is not available yet"
                )
            sections.append(_section(job, log))
        summary = [
            {"id": j["id"], "name": j.get("name", ""), "failed_step": _failed_step(j)}
            for j in failed
        ]
        green = None
        if self.green is not None:
            read = failed[: self.max_jobs]
            green = self.green.baseline(client, run, read)
            # The section headers are this source's, not the failure's: never news.
            headers = masked_lines("\n".join(_header(job) for job in read))
            green = green.model_copy(update={"lines": green.lines | headers})
        return FetchedLogs(text="\n".join(sections), failed_jobs=summary, green=green)


def _failed_step(job: dict[str, Any]) -> str | None:
    for step in job.get("steps") or []:
        if step.get("conclusion") in FAILED:
            return step.get("name")
    return None


def _header(job: dict[str, Any]) -> str:
    step = _failed_step(job)
    at_step = f" at step {step!r}" if step else ""
    return f"=== job {job.get('name', job['id'])!r} failed{at_step} ==="


def _section(job: dict[str, Any], log: str) -> str:
    return f"{_header(job)}\n{log}"
