"""One file's change proposed as a pull request: a CodeHealer branch from the commit the
change was made against, one commit, one pull request. Never merged, never written to the
base branch: a person reviews it, and merging or closing it is the verdict on the fix.

Shared by the configuration fixes and the GitOps memory raise. Each step can be repeated (a
retried attempt finds its branch, its commit and its pull request and goes on from there).
"""

import re
from dataclasses import dataclass

from app.core.ports import GitHubPullRequests, PullRequestRef, RepoFile

BRANCH_PREFIX = "codehealer/"
MAX_DIFF_CHARS = 3000  # what a Slack reply and a result row carry of a diff
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class FileChange:
    repo: str
    base_sha: str  # the commit the change was made against (the branch starts there)
    base_branch: str  # where the pull request asks to merge
    original: RepoFile  # the file at base_sha, with its blob sha
    text: str  # the changed file
    title: str
    body: str


def branch_name(purpose: str, key: str | int, path: str) -> str:
    """A stable branch per change: ``codehealer/<purpose>-<key>-<path as a slug>``."""
    slug = _UNSAFE.sub("-", path).strip("-.")[:60]
    return f"{BRANCH_PREFIX}{purpose}-{key}-{slug}"


def open_change(github: GitHubPullRequests, change: FileChange, branch: str) -> PullRequestRef:
    """Branch, commit and pull request for ``change`` (each skipped when already done)."""
    blob_sha = change.original.sha
    if not github.create_branch(change.repo, branch, sha=change.base_sha):
        on_branch = github.get_file(change.repo, change.original.path, ref=branch)
        blob_sha = on_branch.sha if on_branch is not None else blob_sha
        if on_branch is not None and on_branch.text == change.text:
            blob_sha = ""  # already committed by an earlier try
    if blob_sha:
        github.put_file(
            change.repo,
            change.original.path,
            text=change.text,
            message=change.title,
            branch=branch,
            blob_sha=blob_sha,
        )
    return github.open_pull_request(
        change.repo, head=branch, base=change.base_branch, title=change.title, body=change.body
    )


def capped_diff(diff: str) -> str:
    if len(diff) <= MAX_DIFF_CHARS:
        return diff
    return diff[:MAX_DIFF_CHARS] + "\n… (the whole diff is in the pull request)"
