"""A small GitHub REST API on 127.0.0.1 for one GitHub App, every call recorded.

It checks credentials the way GitHub does: the App's own endpoints (``/app/...``,
``/repos/{owner}/{repo}/installation``) accept only a JWT whose RS256 signature verifies with
the App's public key, issued by the App (``iss``), current, and expiring within 10 minutes;
everything else accepts only an installation token it issued, still valid, for an installation
granted that repository. It serves the documented shapes of the calls CodeHealer makes for a
failed run: the attempt's jobs, the job log (a redirect to a blob URL), the run, the
workflow's runs, the re-run, the failed runs of a repository, and the App's installations.

Use as ``with LoopbackGitHub(app_id, public_key, {installation: [repos]}) as github:`` and
point ``GITHUB_API_URL`` at ``github.url``.
"""

import itertools
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

from tests.support.github_api import attempt_jobs, failed_run

BLOB_PREFIX = "/_blobs/logs/"
JWT_MAX_LIFETIME = 600


@dataclass
class GitHubCall:
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None
    status: int = 0


@dataclass
class _IssuedToken:
    installation_id: int
    revoked: bool = False


@dataclass
class _Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class LoopbackGitHub:
    app_id: int
    public_key: Any
    installations: dict[int, list[str]]
    calls: list[GitHubCall] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, _IssuedToken] = {}
        self._runs: dict[tuple[str, int], dict[str, Any]] = {}
        self._logs: dict[int, str] = {}
        self._job_ids = itertools.count(399444496)
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle -----------------------------------------------------------------------
    def __enter__(self) -> "LoopbackGitHub":
        handler = type("Handler", (_Handler,), {"github": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None, "use LoopbackGitHub as a context manager"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- state ---------------------------------------------------------------------------
    def add_failed_run(
        self, repo: str, run_id: int, log_text: str, *, head_sha: str | None = None
    ) -> dict[str, Any]:
        """A completed failed run of ``repo`` (of commit ``head_sha`` when given) with one
        failed job and its log, the same for every attempt."""
        run = failed_run(run_id=run_id)
        run["repository"] = {**run["repository"], "full_name": repo}
        if head_sha is not None:
            run["head_sha"] = run["head_commit"]["id"] = head_sha
        job_id = next(self._job_ids)
        jobs = attempt_jobs(job_id=job_id)
        jobs["jobs"][0]["run_id"] = run_id
        with self._lock:
            self._runs[(repo, run_id)] = {"run": run, "jobs": jobs}
            self._logs[job_id] = log_text
        return run

    def revoke_tokens(self) -> None:
        """Every installation token issued so far stops working (GitHub answers 401)."""
        with self._lock:
            for issued in self._tokens.values():
                issued.revoked = True

    # --- queries -------------------------------------------------------------------------
    def calls_to(self, method: str, pattern: str) -> list[GitHubCall]:
        with self._lock:
            return [c for c in self.calls if c.method == method and re.fullmatch(pattern, c.path)]

    def token_exchanges(self) -> list[GitHubCall]:
        return self.calls_to("POST", r"/app/installations/\d+/access_tokens")

    def issued_tokens(self) -> list[str]:
        with self._lock:
            return list(self._tokens)

    # --- answers -------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict[str, str], auth: str | None) -> _Answer:
        try:
            return self._route(method, path, query, auth)
        except _Refused as refused:
            return _Answer(refused.status, {"message": str(refused)})

    def _route(self, method: str, path: str, query: dict[str, str], auth: str | None) -> _Answer:
        if path.startswith(BLOB_PREFIX):  # the signed blob URL: no token is expected there
            return _Answer(200, text=self._logs[int(path.removeprefix(BLOB_PREFIX))])
        if match := re.fullmatch(r"/app/installations/(\d+)/access_tokens", path):
            self._check_jwt(auth)
            return self._exchange(int(match[1]))
        if path == "/app/installations" and method == "GET":
            self._check_jwt(auth)
            return _Answer(200, [self._installation(i) for i in self.installations])
        if match := re.fullmatch(r"/repos/([^/]+/[^/]+)/installation", path):
            self._check_jwt(auth)
            owner = [i for i, repos in self.installations.items() if match[1] in repos]
            if not owner:
                raise _Refused(404, "Not Found")
            return _Answer(200, self._installation(owner[0]))
        installation = self._check_token(auth)
        if path == "/installation/repositories":
            repos = self.installations[installation]
            return _Answer(
                200,
                {
                    "total_count": len(repos),
                    "repository_selection": "selected",
                    "repositories": [_repository(r) for r in repos],
                },
            )
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)/actions(/.*)", path)
        if match is None:
            raise _Refused(404, "Not Found")
        repo, rest = match[1], match[2]
        if repo not in self.installations[installation]:
            raise _Refused(404, "Not Found")  # GitHub hides what an installation cannot see
        return self._actions(method, repo, rest, query)

    def _actions(self, method: str, repo: str, rest: str, query: dict[str, str]) -> _Answer:
        if match := re.fullmatch(r"/runs/(\d+)/attempts/(\d+)/jobs", rest):
            return _Answer(200, self._stored(repo, int(match[1]))["jobs"])
        if match := re.fullmatch(r"/jobs/(\d+)/logs", rest):
            location = f"{self.url}{BLOB_PREFIX}{match[1]}?sig=loopback"
            return _Answer(302, headers={"Location": location})
        if match := re.fullmatch(r"/runs/(\d+)/rerun-failed-jobs", rest):
            self._stored(repo, int(match[1]))
            return _Answer(201, {})
        if match := re.fullmatch(r"/runs/(\d+)", rest):
            return _Answer(200, self._stored(repo, int(match[1]))["run"])
        if match := re.fullmatch(r"/workflows/(\d+)/runs", rest):
            runs = [r for r in self._repo_runs(repo) if r["workflow_id"] == int(match[1])]
            return _Answer(200, {"total_count": len(runs), "workflow_runs": runs})
        if rest == "/runs" and method == "GET":
            runs = [
                r
                for r in self._repo_runs(repo)
                if query.get("status") in (None, r["status"], r["conclusion"])
            ]
            return _Answer(200, {"total_count": len(runs), "workflow_runs": runs})
        raise _Refused(404, "Not Found")

    def _stored(self, repo: str, run_id: int) -> dict[str, Any]:
        with self._lock:
            stored = self._runs.get((repo, run_id))
        if stored is None:
            raise _Refused(404, "Not Found")
        return stored

    def _repo_runs(self, repo: str) -> list[dict[str, Any]]:
        with self._lock:
            return [s["run"] for (r, _), s in self._runs.items() if r == repo]

    def _exchange(self, installation_id: int) -> _Answer:
        if installation_id not in self.installations:
            raise _Refused(404, "Not Found")
        token = "ghs_" + secrets.token_hex(18)
        with self._lock:
            self._tokens[token] = _IssuedToken(installation_id)
        expires = datetime.fromtimestamp(time.time() + 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return _Answer(
            201,
            {
                "token": token,
                "expires_at": expires,
                "permissions": {"actions": "write", "contents": "read", "metadata": "read"},
                "repository_selection": "selected",
            },
        )

    def _check_jwt(self, auth: str | None) -> None:
        """GitHub's rules for an App's JWT: RS256 by the App's key, issued by it, current."""
        if not auth or not auth.startswith("Bearer "):
            raise _Refused(401, "A JSON web token could not be decoded")
        try:
            claims = jwt.decode(
                auth.removeprefix("Bearer "),
                self.public_key,
                algorithms=["RS256"],
                issuer=str(self.app_id),
                options={"require": ["iat", "exp", "iss"]},
            )
        except jwt.PyJWTError as exc:
            raise _Refused(401, f"A JSON web token could not be decoded: {exc}") from None
        if claims["exp"] - time.time() > JWT_MAX_LIFETIME:
            raise _Refused(401, "'Expiration time' claim ('exp') is too far in the future")

    def _check_token(self, auth: str | None) -> int:
        scheme, _, token = (auth or "").partition(" ")
        with self._lock:
            issued = self._tokens.get(token) if scheme in ("Bearer", "token") else None
        if issued is None or issued.revoked:
            raise _Refused(401, "Bad credentials")
        return issued.installation_id

    def _installation(self, installation_id: int) -> dict[str, Any]:
        return {
            "id": installation_id,
            "account": {"login": "octo-org", "id": 6811672, "type": "Organization"},
            "repository_selection": "selected",
            "access_tokens_url": f"{self.url}/app/installations/{installation_id}/access_tokens",
            "repositories_url": f"{self.url}/installation/repositories",
            "app_id": self.app_id,
            "target_type": "Organization",
            "permissions": {"actions": "write", "contents": "read", "metadata": "read"},
            "events": ["workflow_job", "workflow_run"],
            "suspended_at": None,
        }


def _repository(full_name: str) -> dict[str, Any]:
    owner, name = full_name.split("/")
    return {"name": name, "full_name": full_name, "owner": {"login": owner}, "private": True}


class _Handler(BaseHTTPRequestHandler):
    github: LoopbackGitHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are recorded on the LoopbackGitHub, not printed."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        auth = self.headers.get("authorization")
        call = GitHubCall(self.command, url.path, query, auth)
        answer = self.github.answer(self.command, url.path, query, auth)
        call.status = answer.status
        with self.github._lock:
            self.github.calls.append(call)
        if answer.text is not None:
            payload, content_type = answer.text.encode(), "text/plain; charset=utf-8"
        else:
            payload = json.dumps(answer.body if answer.body is not None else {}).encode()
            content_type = "application/json; charset=utf-8"
        self.send_response(answer.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
