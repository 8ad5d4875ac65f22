"""GitHub REST API client: a small typed surface over one httpx client and one retry point.

Every call asks the token provider (a personal token, or a GitHub App's installation tokens)
for the token of the installation it is made for."""

import base64
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from app.adapters.external.github.app_auth import build_token_provider
from app.adapters.external.github.names import checked_repo
from app.adapters.external.http import CircuitBreaker, ResilientClient, resilient_client
from app.core.errors import GitHubError
from app.core.ports import GitHubTokenProvider, PullRequestRef, RepoFile
from app.core.settings_parts import GitHubSettings

_SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
API_VERSION = "2022-11-28"
MAX_LOG_BYTES = 5 * 1024 * 1024
# Every branch CodeHealer writes starts so: a write to any other branch (a default branch, a
# person's branch) is refused here, whatever a caller asks.
FIX_BRANCH_PREFIX = "codehealer/"
MAX_FILE_BYTES = 1024 * 1024


def build_github_client(
    settings: GitHubSettings,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> "GitHubClient":
    """The client, calling as the GitHub App when one is configured, else with GITHUB_TOKEN."""
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": "codehealer",
    }
    timeout = httpx.Timeout(settings.timeout_seconds, connect=5.0)
    api = httpx.Client(
        base_url=settings.api_url.rstrip("/"),
        headers=headers,
        timeout=timeout,
        transport=transport,
        follow_redirects=False,
    )
    # Log archives live on another host behind a short-lived signed URL: no token goes there.
    blobs = httpx.Client(
        timeout=timeout,
        transport=transport,
        follow_redirects=False,
        headers={"User-Agent": "codehealer"},
    )

    def retry_point(http: httpx.Client, name: str) -> ResilientClient:
        return resilient_client(
            http,
            name=name,
            error_cls=GitHubError,
            sleep=sleep,
            max_attempts=settings.max_retries,
            max_concurrency=settings.max_concurrency,
        )

    api_point = retry_point(api, "github")
    return GitHubClient(
        api_point,
        retry_point(blobs, "github-logs"),
        api_url=settings.api_url,
        tokens=build_token_provider(settings, api_point),
    )


class GitHubClient:
    """GitHub calls for one installation of the App (``installation_id``; None: not known, or
    no App). ``for_installation`` gives the same client for another installation; they share
    connections, retry point, circuit breaker and token cache."""

    def __init__(
        self,
        api: ResilientClient,
        blobs: ResilientClient,
        *,
        api_url: str,
        tokens: GitHubTokenProvider | None = None,
        installation_id: int | None = None,
    ):
        self.api = api
        self.blobs = blobs
        self.api_url = api_url
        self.api_host = urlsplit(api_url).netloc
        self.tokens = tokens
        self.installation_id = installation_id

    @property
    def breaker(self) -> CircuitBreaker:
        return self.api.breaker

    def close(self) -> None:
        self.api.client.close()
        self.blobs.client.close()

    def for_installation(self, installation_id: int | None) -> "GitHubClient":
        if installation_id == self.installation_id:
            return self
        return GitHubClient(
            self.api,
            self.blobs,
            api_url=self.api_url,
            tokens=self.tokens,
            installation_id=installation_id,
        )

    def is_api_url(self, url: str) -> bool:
        """Only URLs on the configured API host may be called when they come from a payload."""
        parts = urlsplit(url)
        return parts.scheme in ("https", "http") and parts.netloc == self.api_host

    # --- runs and jobs -------------------------------------------------------------------
    def get_run(self, repo: str, run_id: int) -> dict[str, Any]:
        return self._call(
            "GET", f"/repos/{checked_repo(repo)}/actions/runs/{int(run_id)}", repo=repo
        ).json()

    def list_attempt_jobs(self, repo: str, run_id: int, attempt: int) -> list[dict[str, Any]]:
        path = (
            f"/repos/{checked_repo(repo)}/actions/runs/{int(run_id)}/attempts/{int(attempt)}/jobs"
        )
        return self._paginate(path, "jobs", repo=repo)

    def list_run_jobs(self, repo: str, run_id: int) -> list[dict[str, Any]]:
        """The jobs of the run's latest attempt."""
        path = f"/repos/{checked_repo(repo)}/actions/runs/{int(run_id)}/jobs"
        return self._paginate(path, "jobs", repo=repo, max_pages=3)

    def list_runs(
        self,
        repo: str,
        *,
        status: str | None = None,
        created_since: datetime | None = None,
        branch: str | None = None,
        per_page: int = 100,
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {}
        if status:
            params["status"] = status
        if created_since is not None:
            params["created"] = f">={created_since.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        if branch:
            params["branch"] = branch
        return self._paginate(
            f"/repos/{checked_repo(repo)}/actions/runs",
            "workflow_runs",
            repo=repo,
            params=params,
            per_page=per_page,
            max_pages=5,
        )

    def list_workflow_runs(
        self,
        repo: str,
        workflow_id: int,
        *,
        branch: str | None = None,
        status: str | None = None,
        per_page: int = 5,
    ) -> list[dict[str, Any]]:
        """The newest runs of one workflow (optionally on one branch, with one status or
        conclusion such as ``success``), newest first."""
        params: dict[str, Any] = {"per_page": per_page}
        if branch:
            params["branch"] = branch
        if status:
            params["status"] = status
        path = f"/repos/{checked_repo(repo)}/actions/workflows/{int(workflow_id)}/runs"
        response = self._call("GET", path, repo=repo, params=params)
        return response.json().get("workflow_runs", [])

    def download_job_log(self, repo: str, job_id: int) -> str | None:
        """The job's plain-text log, or None while GitHub has none yet (404 while running).

        The API answers 302 to a short-lived URL; it is followed once and never stored.
        """
        path = f"/repos/{checked_repo(repo)}/actions/jobs/{int(job_id)}/logs"
        response = self._call("GET", path, repo=repo, allow=(404,))
        if response.status_code == 404:
            return None
        if response.status_code in (301, 302, 303, 307, 308):
            location = response.headers.get("location")
            if (
                not location
                or urlsplit(location).scheme != "https"
                and not self.is_api_url(location)
            ):
                raise GitHubError("log redirect without a usable https location")
            response = self.blobs.request("GET", location)
        return _tail(response.content, MAX_LOG_BYTES)

    def rerun_failed_jobs(self, repo: str, run_id: int) -> None:
        path = f"/repos/{checked_repo(repo)}/actions/runs/{int(run_id)}/rerun-failed-jobs"
        self._call("POST", path, repo=repo)

    # --- caches --------------------------------------------------------------------------
    def list_caches(
        self, repo: str, *, ref: str | None = None, key: str | None = None
    ) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("ref", ref), ("key", key)) if v}
        return self._paginate(
            f"/repos/{checked_repo(repo)}/actions/caches",
            "actions_caches",
            repo=repo,
            params=params,
            max_pages=5,
        )

    def delete_cache(self, repo: str, cache_id: int) -> None:
        path = f"/repos/{checked_repo(repo)}/actions/caches/{int(cache_id)}"
        self._call("DELETE", path, repo=repo, allow=(404,))

    # --- secrets -------------------------------------------------------------------------
    def get_secrets_public_key(self, repo: str) -> dict[str, str]:
        return self._call(
            "GET", f"/repos/{checked_repo(repo)}/actions/secrets/public-key", repo=repo
        ).json()

    def put_secret(self, repo: str, name: str, *, encrypted_value: str, key_id: str) -> None:
        if not _SECRET_NAME.match(name):
            raise GitHubError(f"not a secret name: {name!r}")
        self._call(
            "PUT",
            f"/repos/{checked_repo(repo)}/actions/secrets/{name}",
            repo=repo,
            json={"encrypted_value": encrypted_value, "key_id": key_id},
        )

    # --- contents, branches and pull requests ---------------------------------------------
    def get_file(self, repo: str, path: str, *, ref: str) -> RepoFile | None:
        """``GET /repos/{o}/{r}/contents/{path}?ref=``: the file's text and blob sha."""
        response = self._call(
            "GET", _contents_path(repo, path), repo=repo, params={"ref": ref}, allow=(404,)
        )
        if response.status_code == 404:
            return None
        body = response.json()
        if not isinstance(body, dict) or body.get("type") != "file":
            return None
        if body.get("encoding") != "base64" or int(body.get("size") or 0) > MAX_FILE_BYTES:
            raise GitHubError(f"{path} is too large to be read through the contents API")
        text = base64.b64decode(body.get("content") or "").decode("utf-8", errors="replace")
        return RepoFile(path=body.get("path") or path, sha=body["sha"], text=text)

    def list_directory(self, repo: str, path: str, *, ref: str) -> list[RepoFile]:
        """The files directly in ``path`` at ``ref`` (the contents API lists a folder)."""
        response = self._call(
            "GET", _contents_path(repo, path), repo=repo, params={"ref": ref}, allow=(404,)
        )
        body = response.json() if response.status_code != 404 else []
        if not isinstance(body, list):
            return []
        return [
            RepoFile(path=item["path"], sha=item["sha"])
            for item in body
            if item.get("type") == "file" and item.get("path") and item.get("sha")
        ]

    def default_branch(self, repo: str) -> str:
        """``GET /repos/{o}/{r}``: the repository's default branch."""
        body = self._call("GET", f"/repos/{checked_repo(repo)}", repo=repo).json()
        return str(body["default_branch"])

    def branch_head(self, repo: str, branch: str) -> str | None:
        """``GET /repos/{o}/{r}/branches/{branch}``: its latest commit; None when no such branch."""
        path = f"/repos/{checked_repo(repo)}/branches/{quote(branch, safe='')}"
        response = self._call("GET", path, repo=repo, allow=(404,))
        if response.status_code == 404:
            return None
        return str(response.json()["commit"]["sha"])

    def create_branch(self, repo: str, branch: str, *, sha: str) -> bool:
        """``POST /repos/{o}/{r}/git/refs``; False when the branch already exists."""
        response = self._call(
            "POST",
            f"/repos/{checked_repo(repo)}/git/refs",
            repo=repo,
            json={"ref": f"refs/heads/{_fix_branch(branch)}", "sha": sha},
            allow=(422,),
        )
        if response.status_code != 422:
            return True
        if "already exists" in _message(response).lower():
            return False
        raise GitHubError(f"GitHub refused branch {branch}: {_message(response)}", status_code=422)

    def put_file(
        self, repo: str, path: str, *, text: str, message: str, branch: str, blob_sha: str
    ) -> str:
        """``PUT /repos/{o}/{r}/contents/{path}``: one commit on a CodeHealer branch."""
        body = {
            "message": message,
            "content": base64.b64encode(text.encode()).decode(),
            "sha": blob_sha,
            "branch": _fix_branch(branch),
        }
        response = self._call("PUT", _contents_path(repo, path), repo=repo, json=body)
        return str((response.json().get("commit") or {}).get("sha") or "")

    def open_pull_request(
        self, repo: str, *, head: str, base: str, title: str, body: str
    ) -> PullRequestRef:
        """``POST /repos/{o}/{r}/pulls``; the open one from ``head`` when there already is one."""
        response = self._call(
            "POST",
            f"/repos/{checked_repo(repo)}/pulls",
            repo=repo,
            json={"title": title, "head": _fix_branch(head), "base": base, "body": body},
            allow=(422,),
        )
        if response.status_code != 422:
            pull = response.json()
            return PullRequestRef(repo, int(pull["number"]), str(pull.get("html_url") or ""))
        existing = self._open_pull_from(repo, head)
        if existing is None:
            raise GitHubError(
                f"GitHub refused the pull request: {_message(response)}", status_code=422
            )
        return existing

    def _open_pull_from(self, repo: str, head: str) -> PullRequestRef | None:
        owner = checked_repo(repo).split("/")[0]
        pulls = self._call(
            "GET",
            f"/repos/{checked_repo(repo)}/pulls",
            repo=repo,
            params={"head": f"{owner}:{head}", "state": "open"},
        ).json()
        if not pulls:
            return None
        pull = pulls[0]
        return PullRequestRef(
            repo, int(pull["number"]), str(pull.get("html_url") or ""), created=False
        )

    # --- installations ---------------------------------------------------------------------
    def installations(self) -> list[int] | None:
        """The App's installations (listed with the App's JWT); None without an App."""
        return self.tokens.installations() if self.tokens is not None else None

    def list_installation_repositories(self) -> list[str]:
        """``GET /installation/repositories``: what this installation was granted."""
        repositories = self._paginate("/installation/repositories", "repositories", repo=None)
        return [r["full_name"] for r in repositories if r.get("full_name")]

    # --- helpers -------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, repo: str | None, **kwargs: Any) -> httpx.Response:
        """One API call with this installation's token, asked for per call (it may have been
        replaced since the last one); once more with a new token when GitHub answers 401."""
        if self.tokens is None:
            return self.api.request(method, path, **kwargs)
        token = self.tokens.token(self.installation_id, repo=repo)
        try:
            return self.api.request(method, path, headers=_bearer(token), **kwargs)
        except GitHubError as exc:
            if exc.upstream_status != 401:
                raise
            fresh = self.tokens.refresh(self.installation_id, token, repo=repo)
            if fresh is None:
                raise
            return self.api.request(method, path, headers=_bearer(fresh), **kwargs)

    def _paginate(
        self,
        path: str,
        key: str,
        *,
        repo: str | None,
        params: dict[str, Any] | None = None,
        per_page: int = 100,
        max_pages: int = 10,
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in range(1, max_pages + 1):
            query = {**(params or {}), "per_page": per_page, "page": page}
            body = self._call("GET", path, repo=repo, params=query).json()
            batch = body.get(key, [])
            items.extend(batch)
            if len(batch) < per_page or len(items) >= body.get("total_count", len(items)):
                break
        return items


def _contents_path(repo: str, path: str) -> str:
    parts = path.strip("/").split("/")
    if not path.strip("/") or any(part in ("", ".", "..") for part in parts):
        raise GitHubError(f"not a repository path: {path!r}")
    return f"/repos/{checked_repo(repo)}/contents/{quote(path.strip('/'), safe='/')}"


def _fix_branch(branch: str) -> str:
    """Only CodeHealer's own branches are ever written."""
    if not branch.startswith(FIX_BRANCH_PREFIX) or ".." in branch or " " in branch:
        raise GitHubError(f"CodeHealer writes only to its own {FIX_BRANCH_PREFIX}* branches")
    return branch


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    errors = body.get("errors") if isinstance(body, dict) else None
    detail = "; ".join(str(e.get("message") or e) for e in errors or [] if e)
    text = str(body.get("message") or "") if isinstance(body, dict) else ""
    return f"{text}: {detail}" if detail else text


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _tail(content: bytes, limit: int) -> str:
    return content[-limit:].decode("utf-8", errors="replace")
