from typing import ClassVar

from app.core.enums import ActionKind
from app.domain.remediators.base import RemediationResult, RemediationStatus, Risk
from app.domain.remediators.github_run import GitHubRunParams, GitHubRunPrevalidation


class RerunNoCacheParams(GitHubRunParams):
    cache_key_prefix: str | None = None


class RerunNoCache(GitHubRunPrevalidation[RerunNoCacheParams]):
    """Delete the Actions caches of the failing ref (optionally one key prefix), then re-run."""

    action: ClassVar[ActionKind] = ActionKind.RERUN_NO_CACHE
    params_model: ClassVar[type[RerunNoCacheParams]] = RerunNoCacheParams
    risk: ClassVar[Risk] = Risk.LOW
    reruns_workflow_run: ClassVar[bool] = True

    def describe(self, params: RerunNoCacheParams) -> str:
        return f"delete the caches of {params.repo} ref {self._ref(params)} and re-run run {params.run_id}"

    def execute(self, params: RerunNoCacheParams) -> RemediationResult:
        github = self.github_for(params)
        caches = github.list_caches(params.repo, ref=self._ref(params), key=params.cache_key_prefix)
        for cache in caches:
            github.delete_cache(params.repo, int(cache["id"]))
        github.rerun_failed_jobs(params.repo, params.run_id)
        return RemediationResult(
            status=RemediationStatus.SUCCEEDED,
            detail=f"deleted {len(caches)} cache(s), re-run requested for run {params.run_id}",
            data={
                "deleted_caches": [int(c["id"]) for c in caches],
                "expected_attempt": params.run_attempt + 1,
            },
        )

    @staticmethod
    def _ref(params: RerunNoCacheParams) -> str | None:
        return f"refs/heads/{params.head_branch}" if params.head_branch else None
