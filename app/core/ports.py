"""Ports: the small interfaces services depend on. Adapters implement them."""

from dataclasses import dataclass
from typing import Any, Protocol

from app.core.analysis.models import ClassifierVerdict, EmbeddingSpace, SimilarIncident
from app.core.models import FetchedLogs, IncidentTarget


class Queue(Protocol):
    """Hands incident ids to the workers that process them."""

    def enqueue(self, incident_id: int) -> None: ...


class LogSource(Protocol):
    """Fetches the raw text that explains a failure (job logs, pod status, app status).

    Returns ``FetchedLogs(not_ready=True)`` when the source has nothing yet (retry later);
    raises ``IntegrationError`` when it cannot be read.
    """

    def fetch(self, incident: IncidentTarget) -> FetchedLogs: ...


class Embedder(Protocol):
    """Text → unit vectors of ``dimensions`` floats, all in one ``space`` (embedder and model).

    ``asymmetric``: stored texts ("passage") and searched ones ("query") are embedded
    differently, so a search embeds its text once more."""

    dimensions: int
    name: str
    space: EmbeddingSpace
    asymmetric: bool

    def embed(self, texts: list[str], *, input_type: str = "passage") -> list[list[float]]: ...


class Classifier(Protocol):
    """Excerpt + similar past incidents → a verdict."""

    @property
    def name(self) -> str:
        """Which classifier answered (recorded with the analysis)."""
        ...

    def classify(self, excerpt: str, similar: list[SimilarIncident]) -> ClassifierVerdict: ...


class SecretStore(Protocol):
    """Name → current secret value from a source of truth (environment, AWS Secrets Manager)."""

    def get(self, name: str) -> str: ...


class GitHubTokenProvider(Protocol):
    """Who GitHub calls are made as: one personal token, or a GitHub App's installation tokens.

    The GitHub client asks for a token on every call, naming the installation the call is for
    (the one that sent the incident's delivery; None when unknown, then the App looks up the
    installation of ``repo``).
    """

    def token(self, installation_id: int | None, *, repo: str | None = None) -> str: ...

    def refresh(
        self, installation_id: int | None, rejected: str, *, repo: str | None = None
    ) -> str | None:
        """A newer token after GitHub answered 401 to ``rejected``; None when there is none."""
        ...

    def installations(self) -> list[int] | None:
        """The App's active installations; None when calls are made with a personal token."""
        ...


class GitHubActions(Protocol):
    """The GitHub Actions operations the remediators use (GitHubClient implements it)."""

    def for_installation(self, installation_id: int | None) -> "GitHubActions":
        """The same operations, made with the token of one App installation."""
        ...

    def installations(self) -> list[int] | None: ...

    def list_installation_repositories(self) -> list[str]: ...

    def get_run(self, repo: str, run_id: int) -> dict[str, Any]: ...

    def list_workflow_runs(
        self, repo: str, workflow_id: int, *, branch: str | None = None, per_page: int = 5
    ) -> list[dict[str, Any]]: ...

    def list_runs(
        self, repo: str, *, status: str | None = None, created_since: Any = None
    ) -> list[dict[str, Any]]: ...

    def rerun_failed_jobs(self, repo: str, run_id: int) -> None: ...

    def list_caches(
        self, repo: str, *, ref: str | None = None, key: str | None = None
    ) -> list[dict[str, Any]]: ...

    def delete_cache(self, repo: str, cache_id: int) -> None: ...

    def get_secrets_public_key(self, repo: str) -> dict[str, str]: ...

    def put_secret(self, repo: str, name: str, *, encrypted_value: str, key_id: str) -> None: ...


class GitHubPullRequests(Protocol):
    """What proposing a change as a pull request needs (GitHubClient implements it). Writes go
    only to branches CodeHealer creates; nothing here merges or writes a default branch."""

    def for_installation(self, installation_id: int | None) -> "GitHubPullRequests": ...

    def get_file(self, repo: str, path: str, *, ref: str) -> "RepoFile | None":
        """The file at ``ref``; None when there is no such file there."""
        ...

    def list_directory(self, repo: str, path: str, *, ref: str) -> list["RepoFile"]:
        """The files (not folders) directly in ``path`` at ``ref``, without their text."""
        ...

    def default_branch(self, repo: str) -> str: ...

    def branch_head(self, repo: str, branch: str) -> str | None:
        """The branch's latest commit; None when there is no such branch."""
        ...

    def create_branch(self, repo: str, branch: str, *, sha: str) -> bool:
        """Create ``branch`` at ``sha``; False when it already exists."""
        ...

    def put_file(
        self, repo: str, path: str, *, text: str, message: str, branch: str, blob_sha: str
    ) -> str:
        """Commit ``text`` as ``path`` on ``branch`` (replacing blob ``blob_sha``); the commit."""
        ...

    def open_pull_request(
        self, repo: str, *, head: str, base: str, title: str, body: str
    ) -> "PullRequestRef":
        """Open the pull request, or return the one already open from ``head``."""
        ...


@dataclass(frozen=True)
class RepoFile:
    """A file of a repository at one ref: its path, blob sha and (when read) its text."""

    path: str
    sha: str
    text: str | None = None


@dataclass(frozen=True)
class PullRequestRef:
    repo: str
    number: int
    url: str
    created: bool = True  # False: it was already open
