from typing import ClassVar

from pydantic import Field

from app.core.enums import ActionKind
from app.core.names import RepoFullName
from app.core.ports import GitHubPullRequests
from app.domain.config_fixes.guard import path_refusal
from app.domain.config_fixes.location import ConfigLocation, config_kind, safe_path
from app.domain.config_fixes.propose import FixModel, NoFix, ProposedFix, propose_fix
from app.domain.config_fixes.pull_request import FileChange, branch_name, capped_diff, open_change
from app.domain.remediators.base import RemediationResult, RemediationStatus, Risk, StrictParams
from app.domain.remediators.k8s_workload import aborted


class FixPullRequestParams(StrictParams):
    """The failed run and the file and line its log names (found when the attempt is planned)."""

    repo: RepoFullName
    run_id: int = Field(gt=0)
    head_sha: str = Field(pattern=r"^[0-9a-f]{40}$")
    head_branch: str = Field(min_length=1, max_length=255)
    installation_id: int | None = Field(default=None, gt=0)
    path: str = Field(min_length=1, max_length=500)
    line: int = Field(ge=1)
    message: str = Field(default="", max_length=500)
    diagnosis: str = Field(default="", max_length=2000)

    @property
    def location(self) -> ConfigLocation:
        return ConfigLocation(path=self.path, line=self.line, message=self.message)


class OpenFixPullRequest:
    """Propose the fix of a broken configuration file as a pull request against the branch
    that failed: read the file at the run's commit, repair it (deterministic repairs first,
    then the model when one is configured), validate the result, refuse risky paths and edits,
    then a ``codehealer/`` branch, one commit and a pull request. Never merged: a person
    reviews it, and merging or closing it is the verdict (the ``pull_request`` webhook).

    Always asks a person first (the ``config_fix_pr`` entry of config/remediation_rules.yaml):
    a pull request is a proposal, and its approval is the review of what the fix will touch.
    """

    action: ClassVar[ActionKind] = ActionKind.CONFIG_FIX_PR
    params_model: ClassVar[type[FixPullRequestParams]] = FixPullRequestParams
    # It writes a new branch of the repository, which closing the pull request undoes.
    risk: ClassVar[Risk] = Risk.MEDIUM
    reruns_workflow_run: ClassVar[bool] = False

    def __init__(self, github: GitHubPullRequests, *, model: FixModel | None = None):
        self.github = github
        self.model = model

    def describe(self, params: FixPullRequestParams) -> str:
        return (
            f"open a pull request on {params.repo} fixing {params.path} (line {params.line}) "
            f"against {params.head_branch}"
        )

    def prevalidate(self, params: FixPullRequestParams) -> RemediationResult | None:
        if safe_path(params.path) != params.path or config_kind(params.path) is None:
            return aborted(f"{params.path} is not a configuration file CodeHealer can validate")
        refused = path_refusal(params.path)
        return aborted(f"refused: {refused}") if refused is not None else None

    def execute(self, params: FixPullRequestParams) -> RemediationResult:
        github = self.github.for_installation(params.installation_id)
        original = github.get_file(params.repo, params.path, ref=params.head_sha)
        if original is None or original.text is None:
            return aborted(f"{params.path} is not in {params.repo} at {params.head_sha[:12]}")
        fix = propose_fix(
            params.location, original.text, model=self.model, diagnosis=params.diagnosis
        )
        if isinstance(fix, NoFix):
            return aborted(fix.reason)
        change = FileChange(
            repo=params.repo,
            base_sha=params.head_sha,
            base_branch=params.head_branch,
            original=original,
            text=fix.fixed,
            title=f"Fix {params.path}: {fix.summary}",
            body=_body(params, fix),
        )
        pull = open_change(github, change, branch_name("fix-run", params.run_id, params.path))
        diff = capped_diff(fix.diff)
        return RemediationResult(
            status=RemediationStatus.SUCCEEDED if pull.created else RemediationStatus.ALREADY_DONE,
            detail=f"pull request #{pull.number} {pull.url} ({fix.summary}):\n```\n{diff}\n```",
            data={
                "pull_request": {"repo": pull.repo, "number": pull.number, "url": pull.url},
                "path": params.path,
                "fixed_by": fix.author.value,
                "diff": diff,
            },
        )


def _body(params: FixPullRequestParams, fix: ProposedFix) -> str:
    said = f": {params.message}" if params.message else ""
    return "\n".join(
        [
            f"Run {params.run_id} of `{params.head_branch}` failed on `{params.path}` line "
            f"{params.line}{said}",
            "",
            f"**Diagnosis**: {params.diagnosis or 'configuration syntax error'}",
            "",
            f"**Change** ({'deterministic repair' if fix.author.value == 'rules' else 'model'}):"
            f" {fix.summary}. The file parses and passes its structure check after the change.",
            "",
            "```diff",
            capped_diff(fix.diff),
            "```",
            "",
            "Proposed by CodeHealer, never merged by it: merge it if it is right, close it if "
            "not. Either way CodeHealer records the outcome for next time.",
        ]
    )
