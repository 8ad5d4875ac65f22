"""Webhook → decision: how long a failing workflow run takes to get a decision from
`codehealer serve` (API + in-process worker), with the offline rule classifier and a local
fake GitHub (benchmarks/fake_github.py) that answers the jobs list, the log redirect and
download, the run, the workflow's runs and the rerun POST in GitHub's shapes.

Everything runs on 127.0.0.1: a throwaway embedded PostgreSQL, the fake GitHub and the app as
subprocesses. The app runs for real (DRY_RUN=false, a fake token, GITHUB_API_URL pointing at
the fake), strategy hybrid with a threshold a fresh install can reach (0.5, as in the e2e
tests). Every incident is its own repository, and the fix budgets and storm/recurrence limits
are raised out of the way, so each one takes the full path: logs → analysis → decision →
pre-validation → rerun POST. (Those guard rails have their own tests.)

Incidents are sent at a fixed rate (open loop). For each: POST the signed delivery, then poll
GET /api/v1/incidents/{id} every ``--poll-interval`` seconds until it shows a decision, then
until its status settles (verifying, escalated, awaiting_approval, ...). Figures: client-side
webhook → decision and → settled (p50/p95/p99/max; they carry up to one poll interval of
granularity), and the same from the rows' own timestamps (delivery received_at → the
``decision.made`` audit entry), which polling does not affect.

WORKER_POLL_SECONDS is set high on purpose (default 5 s): the in-process queue wakes the
worker on enqueue, so latency should not depend on it.

Target: p95 webhook → decision < 1 s.

Usage: python benchmarks/bench_end_to_end.py [--incidents 200] [--rate 4] [--poll-interval 0.025]
       [--worker-poll 5] [--check]
With --check the exit status is 1 when the target is missed or an incident gets no decision.
"""

import argparse
import asyncio
import json
import math
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    FAILURE_FIXTURE,
    HOST,
    PYTHON,
    ROOT,
    WEBHOOK_SECRET,
    CpuMeter,
    HttpConnection,
    Server,
    ThrowawayPostgres,
    banner,
    base_env,
    free_port,
    percentile,
    run_async,
    signed_request,
)

from app.domain.audit import AuditEvent  # noqa: E402

TARGET_P95_SECONDS = 1.0
SETTLED = {"verifying", "resolved", "failed", "escalated", "awaiting_approval", "ignored"}
FAKE_TOKEN = "ghp_" + "b" * 36  # shaped like a token; only the fake ever sees it


def delivery(i: int) -> tuple[bytes, str]:
    """The published failure example as repository octo-org/bench-{i}, run 500000000 + i."""
    payload = json.loads(FAILURE_FIXTURE.read_bytes())
    repo = f"octo-org/bench-{i:04d}"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    payload["repository"].update(full_name=repo, name=f"bench-{i:04d}")
    payload["workflow_run"].update(
        id=500_000_000 + i, run_attempt=1, run_started_at=stamp, updated_at=stamp
    )
    return json.dumps(payload).encode(), repo


def get_request(port: int, path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: application/json\r\n\r\n".encode()
    )


def ts(text: str | None) -> float | None:
    return datetime.fromisoformat(text).timestamp() if text else None


class Tracker:
    """Sends the deliveries on schedule and records when each incident shows a decision.

    watch="api": each incident is polled through GET /api/v1/incidents/{id} (the default).
    watch="db": one watcher reads the incidents' decision and status straight from PostgreSQL
    (one query per interval, whatever the backlog), so that a capacity run is not slowed by
    its own polling; the API detail of each incident is read once at the end.
    """

    def __init__(self, port: int, args, database_url: str | None = None):
        self.port, self.args, self.database_url = port, args, database_url
        self.results: list[dict] = []
        self.gets = 0
        self.pending: dict[int, tuple[dict, float]] = {}
        self.sending = True

    async def one(self, i: int, due: float) -> None:
        args, port = self.args, self.port
        body, repo = delivery(i)
        request = signed_request(port, body)
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        result: dict = {"i": i, "repo": repo}
        self.results.append(result)
        conn = await HttpConnection.open(port)
        try:
            t0 = time.perf_counter()
            status, answer = await conn.send(request)
            result["ack"] = time.perf_counter() - t0
            if status != 202:
                result["error"] = f"HTTP {status}: {answer[:200]!r}"
                return
            incident_id = json.loads(answer)["incident_id"]
            result["incident_id"] = incident_id
            if args.watch == "db":
                self.pending[incident_id] = (result, t0)
                return
            path = f"/api/v1/incidents/{incident_id}"
            deadline = t0 + args.timeout
            detail = None
            while time.perf_counter() < deadline:
                await asyncio.sleep(args.poll_interval)
                status, answer = await conn.send(get_request(port, path))
                self.gets += 1
                if status != 200:
                    continue
                detail = json.loads(answer)
                if detail.get("decision") and "decision" not in result:
                    result["decision_at"] = time.perf_counter() - t0
                    result["decision"] = detail["decision"]
                if detail.get("status") in SETTLED:
                    result["settled_at"] = time.perf_counter() - t0
                    break
            if detail is not None:
                record_detail(result, detail)
        except (OSError, asyncio.IncompleteReadError, ValueError, KeyError) as exc:
            result["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()

    async def watch_db(self) -> None:
        import psycopg

        async with await psycopg.AsyncConnection.connect(self.database_url, autocommit=True) as db:
            while self.sending or self.pending:
                await asyncio.sleep(self.args.poll_interval)
                now = time.perf_counter()
                for incident_id, (_result, t0) in list(self.pending.items()):
                    if now - t0 > self.args.timeout:
                        del self.pending[incident_id]
                if not self.pending:
                    continue
                rows = await (
                    await db.execute(
                        "SELECT id, decision, status FROM incidents WHERE id = ANY(%s)",
                        (list(self.pending),),
                    )
                ).fetchall()
                now = time.perf_counter()
                for incident_id, decision, status in rows:
                    result, t0 = self.pending[incident_id]
                    if decision and "decision" not in result:
                        result["decision_at"], result["decision"] = now - t0, decision
                    if status in SETTLED:
                        result["settled_at"] = now - t0
                        del self.pending[incident_id]

    async def details(self) -> None:
        """Read each incident once through the API (after the run, so it loads nothing)."""
        conn = await HttpConnection.open(self.port)
        try:
            for result in self.results:
                if "incident_id" in result:
                    path = f"/api/v1/incidents/{result['incident_id']}"
                    status, answer = await conn.send(get_request(self.port, path))
                    if status == 200:
                        record_detail(result, json.loads(answer))
        finally:
            conn.close()

    async def run(self, count: int, rate: float, first: int) -> None:
        start = time.perf_counter() + 0.05
        watcher = asyncio.create_task(self.watch_db()) if self.args.watch == "db" else None
        tasks = [asyncio.create_task(self.one(first + n, start + n / rate)) for n in range(count)]
        await asyncio.gather(*tasks)
        self.sending = False
        if watcher is not None:
            await watcher
            await self.details()


def record_detail(result: dict, detail: dict) -> None:
    result["status"] = detail.get("status")
    result["category"] = detail.get("category")
    result["reason"] = detail.get("decision_reason")
    result["decision"] = result.get("decision") or detail.get("decision")
    result["server"] = server_side(detail)


def server_side(detail: dict) -> dict[str, float]:
    """Seconds from the delivery's received_at to each audit event (the rows' own clocks)."""
    received = min((ts(d["received_at"]) for d in detail.get("deliveries", [])), default=None)
    if received is None:
        return {}
    out: dict[str, float] = {}
    for entry in detail.get("audit", []):
        at = ts(entry.get("at"))
        if at is not None and entry["event"] not in out:
            out[entry["event"]] = at - received
    return out


def stats(values: list[float]) -> str:
    if not values:
        return "n/a"
    p = {q: percentile(values, q) * 1000 for q in (50, 95, 99)}
    return (
        f"p50 {p[50]:6.0f} ms  p95 {p[95]:6.0f} ms  p99 {p[99]:6.0f} ms  "
        f"max {max(values) * 1000:6.0f} ms  (n={len(values)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--rate", type=float, default=4.0, help="incidents per second")
    parser.add_argument("--poll-interval", type=float, default=0.025, help="seconds")
    parser.add_argument("--timeout", type=float, default=30.0, help="per incident, seconds")
    parser.add_argument("--worker-poll", type=float, default=5.0, help="WORKER_POLL_SECONDS")
    parser.add_argument(
        "--worker-threads", type=int, default=4, help="WORKER_THREADS (the service's default: 4)"
    )
    parser.add_argument(
        "--github-latency-ms",
        type=float,
        default=0.0,
        help="delay of every fake GitHub answer (api.github.com answers in tens to hundreds of ms)",
    )
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument(
        "--watch",
        choices=["api", "db"],
        default="api",
        help="api: poll GET /api/v1/incidents/{id} (default); db: watch the rows directly, "
        "for capacity runs that polling would itself slow down",
    )
    parser.add_argument("--keep-logs", action="store_true", help="print the servers' log tails")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if not (1 <= args.incidents <= 5000 and 0.1 <= args.rate <= 100):
        parser.error("incidents 1..5000, rate 0.1..100 per second")
    if not (0.005 <= args.poll_interval <= 1 and 1 <= args.timeout <= 120):
        parser.error("poll interval 0.005..1 s, timeout 1..120 s")

    banner("end to end: signed workflow_run failure → decision (offline classifier)")
    t_all = time.perf_counter()
    pg = ThrowawayPostgres().start()
    servers: list[Server] = []
    try:
        fake_port, app_port = free_port(), free_port()
        fake = Server(
            "fake-github",
            [
                PYTHON,
                str(ROOT / "benchmarks" / "fake_github.py"),
                "--port",
                str(fake_port),
                "--latency-ms",
                str(args.github_latency_ms),
            ],
            base_env(),
            fake_port,
            pg.dir / "fake_github.log",
        )
        fake.start(timeout=30, ready_path="/_stats")
        servers.append(fake)
        env = base_env(
            DATABASE_URL=pg.fresh_database("bench_e2e"),
            CODEHEALER_DATA_DIR=str(pg.dir / "app-data"),
            LOG_LEVEL="WARNING",
            LOG_FORMAT="text",
            GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET,
            GITHUB_API_URL=f"http://{HOST}:{fake_port}",
            GITHUB_TOKEN=FAKE_TOKEN,
            DRY_RUN="false",
            STRATEGY="hybrid",
            CONFIDENCE_THRESHOLD="0.5",
            APPROVAL_THRESHOLD="0.3",
            WORKER_POLL_SECONDS=str(args.worker_poll),
            WORKER_THREADS=str(args.worker_threads),
            MAX_FIXES_PER_HOUR="100000",
            MAX_FIXES_PER_HOUR_PER_TARGET="1000",
            STORM_TARGETS="100000",
            RECURRENCE_LIMIT="100000",
        )
        app = Server(
            "codehealer",
            [PYTHON, "-m", "app.cli", "serve", "--host", HOST, "--port", str(app_port)],
            env,
            app_port,
            pg.dir / "codehealer.log",
        )
        app.start(timeout=90, ready_path="/ready")
        servers.append(app)
        print(
            f"database: {pg.version()}, embedded, temporary; "
            f"{pg.show('shared_buffers', 'synchronous_commit')}"
        )
        print(
            f"servers : fake GitHub = python benchmarks/fake_github.py (http://{HOST}:{fake_port}, "
            f"{args.github_latency_ms:g} ms added per answer)"
        )
        print(
            f"          codehealer  = python -m app.cli serve --host {HOST} (API + in-process "
            f"worker; up in {app.started_seconds:.1f}s)"
        )
        print(
            "settings: DRY_RUN=false STRATEGY=hybrid CONFIDENCE_THRESHOLD=0.5 "
            "APPROVAL_THRESHOLD=0.3, classifier: offline rules (no NVIDIA_API_KEY), "
            f"WORKER_POLL_SECONDS={args.worker_poll:g}, WORKER_THREADS={args.worker_threads}, "
            "WORKER_BATCH_SIZE=1 (default); "
            "fix budgets, storm and recurrence limits raised"
        )
        print(
            f"load    : {args.incidents} incidents at {args.rate:g}/s, each its own repository "
            f"and run; log tests/fixtures/ci_logs/040_npm_econnreset_actions.log; "
            + (
                f"polling GET /api/v1/incidents/{{id}} every {args.poll_interval * 1000:.0f} ms"
                if args.watch == "api"
                else f"watching the rows in PostgreSQL every {args.poll_interval * 1000:.0f} ms"
            )
            + f" (timeout {args.timeout:g}s); warm-up {args.warmup}"
        )

        if args.warmup:
            warm = Tracker(app_port, args, env["DATABASE_URL"])
            run_async(warm.run(args.warmup, 2.0, first=9000), timeout=120)
        meter = CpuMeter(app.proc.pid)
        db_meter = CpuMeter(pg.pid)
        cpu0, db0 = meter.seconds(), db_meter.seconds()
        tracker = Tracker(app_port, args, env["DATABASE_URL"])
        t_run = time.perf_counter()
        run_async(
            tracker.run(args.incidents, args.rate, first=0),
            timeout=args.incidents / args.rate + args.timeout + 60,
        )
        wall = time.perf_counter() - t_run
        app_cpu, db_cpu = meter.seconds() - cpu0, db_meter.seconds() - db0
        status, raw = run_async(_get_stats(fake_port), timeout=10)
        calls = json.loads(raw) if status == 200 else {}
    finally:
        for server in reversed(servers):
            server.stop()
            if args.keep_logs:
                print(f"--- {server.name} log tail ---\n{server.tail()}")
        pg.stop()

    results = tracker.results
    errors = [r for r in results if "error" in r]
    decided = [r for r in results if "decision_at" in r]
    settled = [r for r in results if "settled_at" in r]
    counts: dict[str, int] = {}
    for r in results:
        key = f"{r.get('decision') or 'none'} → {r.get('status') or '?'}"
        counts[key] = counts.get(key, 0) + 1
    server_decision = [
        r["server"][AuditEvent.DECISION_MADE]
        for r in decided
        if AuditEvent.DECISION_MADE in r.get("server", {})
    ]
    server_analyzed = [
        r["server"][AuditEvent.INCIDENT_ANALYZED]
        for r in decided
        if AuditEvent.INCIDENT_ANALYZED in r.get("server", {})
    ]

    print()
    print(f"ack (POST → 202)               {stats([r['ack'] for r in results if 'ack' in r])}")
    print(f"webhook → decision (client)    {stats([r['decision_at'] for r in decided])}")
    print(f"webhook → settled  (client)    {stats([r['settled_at'] for r in settled])}")
    print(f"received → analyzed (rows)     {stats(server_analyzed)}")
    print(f"received → decision (rows)     {stats(server_decision)}")
    print(f"outcomes: {', '.join(f'{k}: {v}' for k, v in sorted(counts.items()))}")
    print(f"fake GitHub calls: {json.dumps(calls, sort_keys=True)}")
    print(
        f"load on the app: {tracker.gets} polling GETs ({tracker.gets / max(len(results), 1):.1f} "
        f"per incident); app process CPU {app_cpu:.1f}s, PostgreSQL CPU {db_cpu:.1f}s over "
        f"{wall:.0f}s ({app_cpu / max(len(results), 1) * 1000:.0f} ms and "
        f"{db_cpu / max(len(results), 1) * 1000:.0f} ms per incident, "
        f"{'polling included' if args.watch == 'api' else 'one detail GET each included'})"
    )
    for r in errors[:5]:
        print(f"error: incident #{r['i']}: {r['error']}")
    if len(decided) < len(results):
        missing = [r for r in results if "decision_at" not in r][:5]
        for r in missing:
            print(f"no decision: #{r['i']} status={r.get('status')} reason={r.get('reason')}")
    print(f"WORKER_POLL_SECONDS={args.worker_poll:g}; total {time.perf_counter() - t_all:.0f}s")
    p95 = percentile([r["decision_at"] for r in decided], 95) if decided else math.inf
    ok = p95 < TARGET_P95_SECONDS and len(decided) == len(results) and not errors
    print(
        f"target: p95 webhook → decision {p95 * 1000:.0f} ms (< {TARGET_P95_SECONDS * 1000:.0f} ms) "
        f"{'met' if ok else 'MISSED'}; {len(decided)}/{len(results)} decided"
    )
    return 1 if args.check and not ok else 0


async def _get_stats(port: int) -> tuple[int, bytes]:
    conn = await HttpConnection.open(port)
    try:
        return await conn.send(get_request(port, "/_stats"))
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
