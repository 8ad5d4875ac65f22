"""Names from payloads that end up in GitHub request paths, checked before they get there."""

import re

from app.core.errors import GitHubError

_REPO = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")


def checked_repo(repo: str) -> str:
    """``owner/name`` only: a repo string from a payload must not steer the request path."""
    if not _REPO.match(repo) or ".." in repo:
        raise GitHubError(f"not a repository name: {repo!r}")
    return repo
