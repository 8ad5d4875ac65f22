"""A local stand-in for the GitHub REST API, for the demo: the endpoints CodeHealer calls for
workflow runs (app/adapters/external/github/client.py), answering for the demo's runs with
GitHub's documented shapes and the recorded logs.

It listens on 127.0.0.1 on a free port. Like GitHub it wants the bearer token, and it answers a
job-log request with 302 to a short-lived signed URL that serves the log without a token.
"""

import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.demo.scenario import DemoRun, read_log, workflow_run_payload

log = logging.getLogger(__name__)

DOCS = "https://docs.github.com/rest"
REPO = r"(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)"
LOG_PATH = "/_blobs/job-logs/"


@dataclass
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    location: str | None = None


def json_answer(status: int, data: Any) -> Answer:
    return Answer(status, json.dumps(data).encode())


def not_found() -> Answer:
    return json_answer(404, {"message": "Not Found", "documentation_url": DOCS})


class RunState:
    """What the stand-in knows of one run: its attempt and how the latest attempt stands."""

    def __init__(self, run: DemoRun, *, started: datetime):
        self.run = run
        self.started = started
        self.attempt = 1
        self.status = "completed"
        self.conclusion: str | None = "failure"

    def as_api(self) -> dict[str, Any]:
        """The run as ``GET /repos/{owner}/{repo}/actions/runs/{run_id}`` returns it."""
        data = workflow_run_payload(self.run, now=self.started)["workflow_run"]
        data.update(run_attempt=self.attempt, status=self.status, conclusion=self.conclusion)
        return data

    def job(self, attempt: int, *, api_url: str) -> dict[str, Any]:
        """The failing job of attempt 1; a re-run's job is queued (the demo never runs it)."""
        failed = attempt == 1
        scenario, stamp = self.run.scenario, _iso(self.started)
        repo_api = f"{api_url}/repos/{self.run.repo}"
        steps = [
            _step(1, "Set up job", "success", stamp),
            _step(2, "Run actions/checkout@v4", "success", stamp),
            _step(3, scenario.step, "failure" if failed else None, stamp),
        ]
        return {
            "id": self.run.job_id + (attempt - 1),
            "run_id": self.run.run_id,
            "run_attempt": attempt,
            "run_url": f"{repo_api}/actions/runs/{self.run.run_id}",
            "url": f"{repo_api}/actions/jobs/{self.run.job_id}",
            "html_url": f"https://github.com/{self.run.repo}/actions/runs/{self.run.run_id}"
            f"/job/{self.run.job_id}",
            "head_branch": "master",
            "workflow_name": scenario.workflow,
            "name": scenario.job,
            "status": "completed" if failed else "queued",
            "conclusion": "failure" if failed else None,
            "started_at": stamp,
            "completed_at": stamp if failed else None,
            "steps": steps if failed else [],
            "labels": ["ubuntu-latest"],
            "runner_name": "GitHub Actions 2",
        }


class GitHubStandIn:
    """Serves the demo's runs until ``stop``."""

    def __init__(self, runs: Iterable[DemoRun], *, token: str, started: datetime | None = None):
        started = started or datetime.now(UTC)
        self.token = token
        self.runs = {(r.repo, r.run_id): RunState(r, started=started) for r in runs}
        self.logs = {r.job_id: read_log(r) for r in runs}
        self.calls: list[tuple[str, str]] = []
        self._signing_key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Answer]]] = [
            ("GET", re.compile(rf"/repos/{REPO}/actions/runs"), self._list_runs),
            ("GET", re.compile(rf"/repos/{REPO}/actions/runs/(?P<run_id>\d+)"), self._get_run),
            (
                "GET",
                re.compile(rf"/repos/{REPO}/actions/runs/(?P<run_id>\d+)/attempts/(?P<attempt>\d+)/jobs"),
                self._attempt_jobs,
            ),
            ("GET", re.compile(rf"/repos/{REPO}/actions/jobs/(?P<job_id>\d+)/logs"), self._job_log),
            (
                "POST",
                re.compile(rf"/repos/{REPO}/actions/runs/(?P<run_id>\d+)/rerun(?:-failed-jobs)?"),
                self._rerun,
            ),
            (
                "GET",
                re.compile(rf"/repos/{REPO}/actions/workflows/(?P<workflow_id>\d+)/runs"),
                self._workflow_runs,
            ),
            ("GET", re.compile(rf"/repos/{REPO}/actions/caches"), self._caches),
            ("DELETE", re.compile(rf"/repos/{REPO}/actions/caches/\d+"), self._delete_cache),
        ]  # fmt: skip

    # --- lifecycle -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stand-in is not started")
        host, port = self._server.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        """Listen on 127.0.0.1 (a free port) in a thread; returns the API base URL."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how soon stop() is noticed
            name="github-standin",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- dispatch ------------------------------------------------------------------------
    def answer(self, method: str, target: str, authorization: str | None) -> Answer:
        parts = urlsplit(target)
        with self._lock:
            self.calls.append((method, parts.path))
        if parts.path.startswith(LOG_PATH):
            return self._log_blob(parts.path.removeprefix(LOG_PATH), parse_qs(parts.query))
        if not self._authorized(authorization):
            return json_answer(401, {"message": "Bad credentials", "documentation_url": DOCS})
        for verb, pattern, handler in self._routes:
            match = pattern.fullmatch(parts.path)
            if match and verb == method:
                return handler(query=parse_qs(parts.query), **match.groupdict())
        return not_found()

    def _authorized(self, header: str | None) -> bool:
        scheme, _, token = (header or "").partition(" ")
        return scheme.lower() in ("bearer", "token") and hmac.compare_digest(
            token.strip().encode(), self.token.encode()
        )

    def _state(self, repo: str, run_id: str) -> RunState | None:
        return self.runs.get((repo, int(run_id)))

    # --- endpoints -----------------------------------------------------------------------
    def _get_run(self, *, repo: str, run_id: str, query: dict) -> Answer:
        state = self._state(repo, run_id)
        return json_answer(200, state.as_api()) if state else not_found()

    def _list_runs(self, *, repo: str, query: dict) -> Answer:
        status = query.get("status", [None])[0]
        runs = [
            s.as_api()
            for (r, _), s in self.runs.items()
            if r == repo and status in (None, s.status, s.conclusion)
        ]
        return json_answer(200, _page(runs, "workflow_runs", query))

    def _workflow_runs(self, *, repo: str, workflow_id: str, query: dict) -> Answer:
        runs = [
            s.as_api()
            for (r, _), s in self.runs.items()
            if r == repo and s.run.workflow_id == int(workflow_id)
        ]
        runs.sort(key=lambda run: run["id"], reverse=True)
        return json_answer(200, _page(runs, "workflow_runs", query))

    def _attempt_jobs(self, *, repo: str, run_id: str, attempt: str, query: dict) -> Answer:
        state = self._state(repo, run_id)
        if state is None or not 1 <= int(attempt) <= state.attempt:
            return not_found()
        return json_answer(200, _page([state.job(int(attempt), api_url=self.url)], "jobs", query))

    def _job_log(self, *, repo: str, job_id: str, query: dict) -> Answer:
        known = any(s.run.job_id == int(job_id) and s.run.repo == repo for s in self.runs.values())
        if not known:
            return not_found()
        location = f"{self.url}{LOG_PATH}{job_id}?sig={self._signature(job_id)}"
        return Answer(302, location=location)

    def _log_blob(self, job_id: str, query: dict) -> Answer:
        signature = query.get("sig", [""])[0]
        if not job_id.isdigit() or not hmac.compare_digest(signature, self._signature(job_id)):
            return Answer(403, b"Signature did not match", "text/plain")
        text = self.logs.get(int(job_id))
        if text is None:
            return Answer(404, b"Not Found", "text/plain")
        return Answer(200, text.encode("utf-8"), "text/plain; charset=utf-8")

    def _rerun(self, *, repo: str, run_id: str, query: dict) -> Answer:
        state = self._state(repo, run_id)
        if state is None:
            return not_found()
        with self._lock:
            state.attempt += 1
            state.status, state.conclusion = "queued", None
        return json_answer(201, {})

    def _caches(self, *, repo: str, query: dict) -> Answer:
        return json_answer(200, {"total_count": 0, "actions_caches": []})

    def _delete_cache(self, *, repo: str, query: dict) -> Answer:
        return Answer(204)

    def _signature(self, job_id: str) -> str:
        return hmac.new(self._signing_key, job_id.encode(), hashlib.sha256).hexdigest()


def _handler_for(standin: GitHubStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "GitHub.com"

        def _serve(self) -> None:
            length = self.headers.get("Content-Length", "0")
            if length.isdigit() and int(length):
                self.rfile.read(int(length))  # a request body is read, never used
            answer = standin.answer(self.command, self.path, self.headers.get("Authorization"))
            self.send_response(answer.status)
            if answer.status != 204:
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
            if answer.location:
                self.send_header("Location", answer.location)
            self.end_headers()
            if answer.body:
                self.wfile.write(answer.body)

        do_GET = do_POST = do_DELETE = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("github stand-in: " + format, *args)

    return Handler


def _page(items: list[dict[str, Any]], key: str, query: dict) -> dict[str, Any]:
    """GitHub's pagination: ``per_page`` (default 30) and ``page`` (from 1)."""
    per_page = min(100, _positive(query, "per_page", 30))
    page = _positive(query, "page", 1)
    return {"total_count": len(items), key: items[(page - 1) * per_page : page * per_page]}


def _positive(query: dict, name: str, default: int) -> int:
    value = query.get(name, [""])[0]
    return int(value) if value.isdigit() and int(value) > 0 else default


def _step(number: int, name: str, conclusion: str | None, stamp: str) -> dict[str, Any]:
    return {
        "name": name,
        "status": "completed" if conclusion else "queued",
        "conclusion": conclusion,
        "number": number,
        "started_at": stamp,
        "completed_at": stamp if conclusion else None,
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
