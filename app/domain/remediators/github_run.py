"""Shared by the GitHub remediators: params naming one run attempt, and its pre-validation."""

from typing import Generic, TypeVar

from pydantic import Field

from app.core.names import RepoFullName
from app.core.ports import GitHubActions
from app.domain.remediators.base import RemediationResult, StrictParams
from app.domain.validators.github_run import check_not_superseded, check_run_still_failed


class GitHubRunParams(StrictParams):
    repo: RepoFullName
    run_id: int = Field(gt=0)
    run_attempt: int = Field(default=1, ge=1)
    head_branch: str | None = None
    # The GitHub App installation that reported the run: its token makes the calls.
    installation_id: int | None = Field(default=None, gt=0)


P = TypeVar("P", bound=GitHubRunParams)


class GitHubRunPrevalidation(Generic[P]):
    """The run still exists, still failed, is not superseded, and has not been re-run since."""

    def __init__(self, github: GitHubActions):
        self.github = github

    def github_for(self, params: P) -> GitHubActions:
        """The client acting for the installation that reported the run."""
        return self.github.for_installation(params.installation_id)

    def prevalidate(self, params: P) -> RemediationResult | None:
        github = self.github_for(params)
        run = github.get_run(params.repo, params.run_id)
        stop = check_run_still_failed(run, decided_attempt=params.run_attempt)
        if stop is not None:
            return stop
        workflow_id = run.get("workflow_id")
        if workflow_id is None:
            return None
        newest = github.list_workflow_runs(
            params.repo, int(workflow_id), branch=run.get("head_branch")
        )
        return check_not_superseded(run, newest)
