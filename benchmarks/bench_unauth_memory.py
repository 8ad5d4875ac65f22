"""Memory of `codehealer serve` while unauthenticated senders post large bodies.

Starts `codehealer serve --no-worker` as a subprocess with a temporary CODEHEALER_DATA_DIR (its
embedded PostgreSQL lives there and is deleted at the end), GITHUB_WEBHOOK_SECRET and
SLACK_SIGNING_SECRET set. Then, one endpoint after the other, ``--requests`` connections at once
each POST a ``--body-mb`` MB body over loopback with a well-formed but wrong signature (the
costliest unauthenticated request: its signature can only be refused once the body is read):

- /webhooks/github: ``X-Hub-Signature-256: sha256=<64 hex>`` that does not match;
- /slack/interactions: a current ``X-Slack-Request-Timestamp`` and a ``v0=<64 hex>`` that does
  not match.

The resident set size (RSS) of the server process (the Python process itself; the PostgreSQL
server is a separate process tree) is sampled every 20 ms: before the load (after a warm-up),
its peak during each endpoint's burst, and after. Every request must be answered 401, 413 or
503, or have its connection closed by the server; none may be accepted.

Target: peak RSS under 400 MB.

Usage: python benchmarks/bench_unauth_memory.py [--requests 40] [--body-mb 24] [--timeout 120]
       [--check]
With --check the exit status is 1 when the target is missed or a request is accepted.
"""

import argparse
import asyncio
import collections
import contextlib
import hashlib
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    HOST,
    PYTHON,
    WEBHOOK_SECRET,
    Server,
    banner,
    base_env,
    free_port,
    run_async,
)

TARGET_PEAK_MB = 400
SLACK_SECRET = "bench-slack-signing-secret"
WRONG_HEX = hashlib.sha256(b"not the signature").hexdigest()
SLICE = 64 * 1024
MB = 1_000_000


def rss_bytes(pid: int) -> int:
    """Resident set size of one process: psutil when installed, else /proc/<pid>/status."""
    try:
        import psutil
    except ImportError:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no VmRSS for process {pid}") from None
    return psutil.Process(pid).memory_info().rss


class RssSampler:
    """Samples a process's RSS every ``interval`` seconds in a thread; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.pid, self.interval = pid, interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, rss_bytes(self.pid))
            except (OSError, RuntimeError):
                return  # the process ended
            self._stop.wait(self.interval)

    def __enter__(self) -> "RssSampler":
        self.peak = rss_bytes(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)


def github_head(port: int, length: int) -> bytes:
    return (
        f"POST /webhooks/github HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n"
        f"X-GitHub-Event: workflow_run\r\nX-GitHub-Delivery: {uuid.uuid4()}\r\n"
        f"X-Hub-Signature-256: sha256={WRONG_HEX}\r\nConnection: close\r\n\r\n"
    ).encode()


def slack_head(port: int, length: int) -> bytes:
    return (
        f"POST /slack/interactions HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n"
        f"X-Slack-Request-Timestamp: {int(time.time())}\r\n"
        f"X-Slack-Signature: v0={WRONG_HEX}\r\nConnection: close\r\n\r\n"
    ).encode()


async def post_once(port: int, head: bytes, body: memoryview) -> str:
    """Send one request, the body in slices (the client holds one copy of it for all), and
    return the answer's status, or how the connection ended without one."""
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
    except OSError as exc:
        return f"connect failed ({type(exc).__name__})"
    try:
        writer.write(head)
        # Refused early: the connection may close mid-body, yet the answer may still be readable.
        with contextlib.suppress(ConnectionError, OSError):
            for start in range(0, len(body), SLICE):
                writer.write(body[start : start + SLICE])
                await writer.drain()
        try:
            line = await reader.readline()
        except (ConnectionError, OSError):
            return "closed by the server"
        return line[9:12].decode() if line.startswith(b"HTTP/1.") else "closed by the server"
    finally:
        writer.close()


def server_answers(server: Server, path: str) -> collections.Counter:
    """What the server logged it answered on ``path`` so far, by status (a client may see a
    reset instead of the answer when the server closes while the body is still arriving)."""
    text = server.log_path.read_text(errors="replace")
    return collections.Counter(
        line.split(" -> ", 1)[1][:3] for line in text.splitlines() if f"POST {path} -> " in line
    )


async def burst(port: int, make_head, body: memoryview, count: int) -> collections.Counter:
    heads = [make_head(port, len(body)) for _ in range(count)]
    answers = await asyncio.gather(*(post_once(port, head, body) for head in heads))
    return collections.Counter(answers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40, help="concurrent requests per burst")
    parser.add_argument("--body-mb", type=float, default=24.0, help="body size, MB (10^6 bytes)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per burst")
    parser.add_argument("--keep-logs", action="store_true", help="print the server's log tail")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if not (1 <= args.requests <= 200 and 0.001 <= args.body_mb <= 25 and args.timeout <= 600):
        parser.error("requests 1..200, body 0.001..25 MB, timeout at most 600 s")

    banner("memory under unauthenticated large bodies")
    folder = Path(tempfile.mkdtemp(prefix="codehealer-bench-memory-"))
    folder.chmod(0o711)  # as root, the server's user must pass (app/adapters/database/embedded.py)
    port = free_port()
    server = Server(
        "codehealer",
        [PYTHON, "-m", "app.cli", "serve", "--no-worker", "--host", HOST, "--port", str(port)],
        base_env(
            CODEHEALER_DATA_DIR=str(folder / "data"),
            LOG_LEVEL="WARNING",
            LOG_FORMAT="text",
            GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET,
            SLACK_SIGNING_SECRET=SLACK_SECRET,
        ),
        port,
        folder / "codehealer.log",
    )
    body = memoryview(b"x" * int(args.body_mb * MB))
    failures: list[str] = []
    try:
        server.start(timeout=120, ready_path="/ready")
        pid = server.proc.pid
        print(
            f"server  : python -m app.cli serve --no-worker (pid {pid}, embedded PostgreSQL in a "
            f"temporary CODEHEALER_DATA_DIR; up in {server.started_seconds:.1f}s)"
        )
        print(
            f"load    : per endpoint, {args.requests} concurrent POSTs of {len(body):,} bytes, "
            "wrong but well-formed signature, one connection each"
        )
        run_async(burst(port, github_head, memoryview(b"{}"), 3), timeout=30)  # warm-up
        run_async(burst(port, slack_head, memoryview(b"payload=%7B%7D"), 3), timeout=30)
        before = rss_bytes(pid)
        print(f"rss     : before {before / MB:,.0f} MB")
        peaks = []
        for name, make_head in (("/webhooks/github", github_head), ("/slack/interactions", slack_head)):
            started = time.perf_counter()
            logged_before = server_answers(server, name)
            with RssSampler(pid) as sampler:
                answers = run_async(burst(port, make_head, body, args.requests), timeout=args.timeout)
                time.sleep(0.5)  # let the server drop what it held
            peaks.append(sampler.peak)
            accepted = sum(n for status, n in answers.items() if status.startswith("2"))
            if accepted:
                failures.append(f"{name}: {accepted} unauthenticated request(s) accepted")
            shown = ", ".join(f"{status}: {n}" for status, n in sorted(answers.items()))
            logged = server_answers(server, name) - logged_before
            logged_shown = ", ".join(f"{status}: {n}" for status, n in sorted(logged.items()))
            print(
                f"{name:20s}: peak {sampler.peak / MB:,.0f} MB, after {rss_bytes(pid) / MB:,.0f} MB, "
                f"{time.perf_counter() - started:.1f}s; answers {shown}; "
                f"the server logged {logged_shown or 'nothing'}"
            )
        peak = max(peaks)
        met = peak < TARGET_PEAK_MB * MB
        print(
            f"result  : peak RSS {peak / MB:,.0f} MB (before {before / MB:,.0f} MB); "
            f"target < {TARGET_PEAK_MB} MB: {'met' if met else 'MISSED'}"
        )
        if not met:
            failures.append(f"peak RSS {peak / MB:,.0f} MB")
    finally:
        if args.keep_logs:
            print(server.tail(40))
        server.stop(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
    for failure in failures:
        print(f"FAILED  : {failure}")
    return 1 if args.check and failures else 0


if __name__ == "__main__":
    sys.exit(main())
