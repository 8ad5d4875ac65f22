"""Names from payloads that end up in GitHub request paths, checked before they get there."""

from app.core.errors import GitHubError
from app.core.names import is_repo_full_name


def checked_repo(repo: str) -> str:
    """``owner/name`` only: a repo string from a payload must not steer the request path."""
    if not is_repo_full_name(repo):
        raise GitHubError(f"not a repository name: {repo!r}")
    return repo
