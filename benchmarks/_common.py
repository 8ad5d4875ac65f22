"""Shared helpers of the benchmark scripts: a throwaway PostgreSQL, server subprocesses on
127.0.0.1, a light HTTP/1.1 client, percentiles and a machine description.

Everything here is bounded: servers are waited for with a deadline and stopped by their own
process id; the PostgreSQL data folder is a temporary directory deleted on exit.
"""

import asyncio
import contextlib
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python benchmarks/x.py` puts benchmarks/ first, not the root
    sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
PYTHON = sys.executable
WEBHOOK_SECRET = "bench-webhook-secret"
FAILURE_FIXTURE = (
    ROOT / "tests" / "fixtures" / "github" / "derived__workflow_run__completed.failure.payload.json"
)


# --- reporting ---------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def command_line() -> str:
    """The exact command that produced the output, relative to the repository root."""
    script = Path(sys.argv[0]).resolve()
    try:
        shown = str(script.relative_to(ROOT))
    except ValueError:
        shown = str(script)
    return " ".join(["python", shown, *map(shlex.quote, sys.argv[1:])])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):  # no /proc: keep what platform says
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{mem_kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        mem = "RAM unknown"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPU ({cpu}), {mem}, {platform.system()} {platform.release()}, "
        f"CPython {platform.python_version()}; load average at start {load}"
    )


def code_version() -> str:
    """The commit measured, and whether app/ differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "app", "config"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head or 'unknown'}{' with local changes in app/ or config/' if dirty else ''}"


def banner(title: str) -> None:
    print(f"== {title}")
    print(f"command : {command_line()}")
    print(f"machine : {machine()}")
    print(f"code    : commit {code_version()}")


# --- PostgreSQL --------------------------------------------------------------------------
class ThrowawayPostgres:
    """An embedded PostgreSQL + pgvector in a temporary folder, deleted when stopped."""

    def __init__(self, settings: dict[str, str] | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="codehealer-bench-"))
        self.settings = settings or {}
        self._pg = None

    def start(self) -> "ThrowawayPostgres":
        from app.adapters.database.embedded import EmbeddedPostgres

        started = time.perf_counter()
        if self.settings:  # server settings need a restart: initialise, write them, stop
            import psycopg

            first = EmbeddedPostgres(self.dir, delete_on_exit=False).start()
            with psycopg.connect(first.server_url(), autocommit=True) as conn:
                for name, value in self.settings.items():
                    conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
            first.stop()
        self._pg = EmbeddedPostgres(self.dir, delete_on_exit=True).start()
        self.start_seconds = time.perf_counter() - started
        return self

    def version(self) -> str:
        import psycopg

        with psycopg.connect(self._pg.server_url()) as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
            row = conn.execute(
                "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"
            ).fetchone()
        return f"PostgreSQL {pg.split()[0]}, pgvector {row[0] if row else '?'}"

    def show(self, *names: str) -> str:
        import psycopg

        with psycopg.connect(self._pg.server_url()) as conn:
            return ", ".join(f"{n}={conn.execute(f'SHOW {n}').fetchone()[0]}" for n in names)

    def server_url(self, database: str = "postgres") -> str:
        return self._pg.server_url(database)

    @property
    def pid(self) -> int:
        """The postmaster's process id."""
        return self._pg._server.get_pid()

    def fresh_database(self, name: str) -> str:
        from app.adapters.database.embedded import create_database, drop_database

        drop_database(self._pg.server_url(), name)
        create_database(self._pg.server_url(), name)
        return self._pg.server_url(name)

    def stop(self) -> None:
        if self._pg is not None:
            self._pg.stop()
            self._pg = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "ThrowawayPostgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- server subprocesses -----------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def base_env(**extra: str) -> dict[str, str]:
    """The current environment without anything that would point the app elsewhere."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "NVIDIA_", "SLACK_", "QUEUE_", "DATABASE_", "AWS_"))
        and k not in ("API_KEY", "DRY_RUN", "STRATEGY", "ENVIRONMENT", "LOG_LEVEL")
    }
    env.update(
        PYTHONUNBUFFERED="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        ENVIRONMENT="dev",
    )
    env.update(extra)
    return env


@dataclass
class Server:
    """A server subprocess on 127.0.0.1:port, with its output in a log file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    proc: subprocess.Popen | None = None
    started_seconds: float = 0.0
    _log: object = field(default=None, repr=False)

    def start(self, *, timeout: float = 60.0, ready_path: str = "/health") -> "Server":
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}"
                )
            if http_get_status(self.port, ready_path) == 200:
                self.started_seconds = time.perf_counter() - started
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer {ready_path} within {timeout}s")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        """SIGINT (uvicorn's graceful stop) to this process only, SIGKILL if it lingers."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None


def http_get_status(port: int, path: str, timeout: float = 1.0) -> int | None:
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n"
            s.sendall(request.encode())
            chunks = []
            while chunk := s.recv(65536):  # read to the end: the server closes after answering
                chunks.append(chunk)
        return int(b"".join(chunks)[9:12])
    except (OSError, ValueError):
        return None


# --- webhook deliveries ------------------------------------------------------------------
def failure_body(run_id: int, *, attempt: int = 1, now: str | None = None) -> bytes:
    """The published workflow_run failure example with its own run id (and recent times)."""
    payload = json.loads(FAILURE_FIXTURE.read_bytes())
    run = payload["workflow_run"]
    stamp = now or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    run.update(id=run_id, run_attempt=attempt, run_started_at=stamp, updated_at=stamp)
    return json.dumps(payload).encode()


def signed_request(port: int, body: bytes, *, event: str = "workflow_run") -> bytes:
    """One complete, signed HTTP/1.1 POST /webhooks/github (keep-alive)."""
    from app.core.security import github_signature

    head = (
        f"POST /webhooks/github HTTP/1.1\r\n"
        f"Host: {HOST}:{port}\r\n"
        f"User-Agent: GitHub-Hookshot/bench\r\n"
        f"Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-GitHub-Event: {event}\r\n"
        f"X-GitHub-Delivery: {uuid.uuid4()}\r\n"
        f"X-Hub-Signature-256: {github_signature(WEBHOOK_SECRET, body)}\r\n"
        f"\r\n"
    )
    return head.encode() + body


# --- a light HTTP/1.1 client -------------------------------------------------------------
class HttpConnection:
    """One keep-alive connection that sends prepared requests and reads whole responses.

    The load generator shares two cores with the server and PostgreSQL, so it is kept to a
    few microseconds per request (no header objects, no URL parsing).
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> "HttpConnection":
        reader, writer = await asyncio.open_connection(HOST, port)
        return cls(reader, writer)

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise RuntimeError("chunked responses are not expected from these servers")
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        self.writer.close()


class CpuMeter:
    """CPU seconds (user + system) of a process tree: the process, its live children, and the
    children it has already reaped. For PostgreSQL that is every backend, live or exited."""

    def __init__(self, pid: int):
        import psutil

        self.psutil = psutil
        self.proc = psutil.Process(pid)

    def seconds(self) -> float:
        t = self.proc.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        for child in self.proc.children(recursive=True):
            with contextlib.suppress(self.psutil.Error):  # a child that just exited
                c = child.cpu_times()
                total += c.user + c.system
        return total


def run_async(coro, *, timeout: float):
    """Run ``coro`` with a hard deadline."""

    async def bounded():
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())
