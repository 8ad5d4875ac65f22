"""A local stand-in for the GitHub REST API, for bench_end_to_end.py. Listens on 127.0.0.1 only.

Answers, in GitHub's documented shapes, what CodeHealer calls for a failed workflow run:

  GET  /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{n}/jobs   jobs of the attempt
  GET  /repos/{owner}/{repo}/actions/jobs/{job_id}/logs                 302 to a log URL
  GET  /_blobs/logs/{job_id}                                            the plain-text log
  GET  /repos/{owner}/{repo}/actions/runs/{run_id}                      the run
  GET  /repos/{owner}/{repo}/actions/workflows/{id}/runs                newest runs
  POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs    201
  GET  /_stats                                                          request counts (JSON)

Every run is a failed first attempt of the published workflow_run example, renamed to the
repository and run id asked for; each run has one failed job (id = run id + 10^9) whose log
is ``--log-file``. Rate-limit headers are sent as GitHub sends them. ``--latency-ms`` delays
every answer (the stats endpoint too) to stand in for the network and GitHub's own time.

Usage: python benchmarks/fake_github.py --port 8765 [--log-file tests/fixtures/ci_logs/...]
       [--latency-ms 0]
"""

import argparse
import contextlib
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_FIXTURE = (
    ROOT / "tests" / "fixtures" / "github" / "derived__workflow_run__completed.failure.payload.json"
)
DEFAULT_LOG = ROOT / "tests" / "fixtures" / "ci_logs" / "040_npm_econnreset_actions.log"
JOB_OFFSET = 1_000_000_000
REPO = r"(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)"

ROUTES = [
    (
        "GET",
        re.compile(rf"^/repos/{REPO}/actions/runs/(?P<run>\d+)/attempts/(?P<n>\d+)/jobs$"),
        "jobs",
    ),
    ("GET", re.compile(rf"^/repos/{REPO}/actions/jobs/(?P<job>\d+)/logs$"), "log_redirect"),
    ("GET", re.compile(r"^/_blobs/logs/(?P<job>\d+)$"), "log_download"),
    ("GET", re.compile(rf"^/repos/{REPO}/actions/runs/(?P<run>\d+)$"), "run"),
    ("GET", re.compile(rf"^/repos/{REPO}/actions/workflows/(?P<wf>\d+)/runs$"), "workflow_runs"),
    ("POST", re.compile(rf"^/repos/{REPO}/actions/runs/(?P<run>\d+)/rerun-failed-jobs$"), "rerun"),
    ("GET", re.compile(r"^/_stats$"), "stats"),
]


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class FakeGitHub:
    def __init__(self, log_text: bytes, base_url: str, latency: float = 0.0):
        self.log_text = log_text
        self.latency = latency
        self.base_url = base_url
        self.template = json.loads(RUN_FIXTURE.read_bytes())["workflow_run"]
        self.counts: dict[str, int] = {}
        self.latest: dict[str, int] = {}  # repo → newest run id seen
        self.lock = threading.Lock()

    def count(self, name: str) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1

    def run(self, repo: str, run_id: int) -> dict:
        run = dict(self.template)
        owner, name = repo.split("/")
        stamp = now_iso()
        run.update(
            id=run_id,
            run_attempt=1,
            status="completed",
            conclusion="failure",
            created_at=stamp,
            updated_at=stamp,
            run_started_at=stamp,
            url=f"{self.base_url}/repos/{repo}/actions/runs/{run_id}",
            html_url=f"https://github.com/{repo}/actions/runs/{run_id}",
            repository={**run.get("repository", {}), "full_name": repo, "name": name},
        )
        with self.lock:
            self.latest[repo] = max(self.latest.get(repo, 0), run_id)
        return run

    def jobs(self, run_id: int) -> dict:
        job_id = run_id + JOB_OFFSET
        return {
            "total_count": 1,
            "jobs": [
                {
                    "id": job_id,
                    "run_id": run_id,
                    "run_attempt": 1,
                    "name": "build",
                    "status": "completed",
                    "conclusion": "failure",
                    "started_at": now_iso(),
                    "completed_at": now_iso(),
                    "steps": [
                        {
                            "name": "Set up job",
                            "status": "completed",
                            "conclusion": "success",
                            "number": 1,
                        },
                        {
                            "name": "Install dependencies",
                            "status": "completed",
                            "conclusion": "failure",
                            "number": 2,
                        },
                    ],
                }
            ],
        }


def handler_for(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as api.github.com
        # Headers and body go out in one write with TCP_NODELAY; otherwise Nagle's algorithm
        # and the client's delayed ACK hold every body back by ~40 ms.
        disable_nagle_algorithm = True

        def log_message(self, *args) -> None:
            """Quiet: the benchmark prints its own figures."""

        def _send(
            self,
            status: int,
            body: bytes = b"",
            *,
            ctype: str = "application/json",
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", f"{ctype}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-RateLimit-Limit", "5000")
            self.send_header("X-RateLimit-Remaining", "4999")
            self.send_header("X-RateLimit-Reset", str(int(time.time()) + 3600))
            self.send_header("X-GitHub-Api-Version-Selected", "2022-11-28")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self._headers_buffer.append(b"\r\n" + body)  # end of headers, then the body
            self.flush_headers()

        def _json(self, status: int, data) -> None:
            self._send(status, json.dumps(data).encode())

        def _route(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if fake.latency:
                time.sleep(fake.latency)  # a simulated network + GitHub processing time
            path = self.path.split("?", 1)[0]
            for verb, pattern, name in ROUTES:
                m = pattern.match(path)
                if verb != method or m is None:
                    continue
                fake.count(name)
                if name == "jobs":
                    return self._json(200, fake.jobs(int(m["run"])))
                if name == "log_redirect":
                    location = f"{fake.base_url}/_blobs/logs/{m['job']}?sig=bench"
                    return self._send(302, headers={"Location": location})
                if name == "log_download":
                    return self._send(200, fake.log_text, ctype="text/plain")
                if name == "run":
                    return self._json(200, fake.run(m["repo"], int(m["run"])))
                if name == "workflow_runs":
                    newest = fake.latest.get(m["repo"])
                    runs = [fake.run(m["repo"], newest)] if newest else []
                    return self._json(200, {"total_count": len(runs), "workflow_runs": runs})
                if name == "rerun":
                    return self._json(201, {})
                if name == "stats":
                    with fake.lock:
                        return self._json(200, dict(fake.counts))
            fake.count("not_found")
            self._json(
                404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
            )

        def do_GET(self) -> None:  # noqa: N802
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-file", default=str(DEFAULT_LOG))
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer")
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    fake = FakeGitHub(Path(args.log_file).read_bytes(), base, args.latency_ms / 1000)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(fake))
    server.daemon_threads = True
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
