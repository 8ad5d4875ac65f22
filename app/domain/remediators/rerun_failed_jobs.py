from typing import ClassVar

from app.core.enums import ActionKind
from app.domain.remediators.base import RemediationResult, RemediationStatus, Risk
from app.domain.remediators.github_run import GitHubRunParams, GitHubRunPrevalidation


class RerunFailedJobs(GitHubRunPrevalidation[GitHubRunParams]):
    """POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs."""

    action: ClassVar[ActionKind] = ActionKind.RERUN_FAILED_JOBS
    params_model: ClassVar[type[GitHubRunParams]] = GitHubRunParams
    risk: ClassVar[Risk] = Risk.LOW
    reruns_workflow_run: ClassVar[bool] = True

    def describe(self, params: GitHubRunParams) -> str:
        return f"re-run the failed jobs of {params.repo} run {params.run_id}"

    def execute(self, params: GitHubRunParams) -> RemediationResult:
        self.github_for(params).rerun_failed_jobs(params.repo, params.run_id)
        return RemediationResult(
            status=RemediationStatus.SUCCEEDED,
            detail=f"re-run requested for the failed jobs of run {params.run_id}",
            data={"expected_attempt": params.run_attempt + 1},
        )
