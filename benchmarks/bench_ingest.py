"""Webhook ingest: signed workflow_run failure deliveries against `codehealer serve --no-worker`,
beside a minimal baseline receiver (benchmarks/baseline_app.py) on the same PostgreSQL server.

Both servers run as subprocesses on 127.0.0.1, one uvicorn process each with the same settings,
each on its own fresh database of one throwaway embedded PostgreSQL. Every request is a
distinct delivery (own X-GitHub-Delivery, own run id) of the published workflow_run failure
example, signed with HMAC-SHA256; anything but 202 counts as an error.

Run alternately (baseline, app, baseline, app, ...) so the noise of a shared machine falls on
both, each run being:

- saturated (closed loop): C keep-alive connections, each sending its next request as soon as
  the last one is answered, for S seconds; figures: throughput, ack latency p50/p99.
- paced (open loop), once per rate: requests fire on a fixed schedule (R per second) whatever
  the answers, on an idle connection or a new one; latency counts from the scheduled time, so
  queueing is not hidden. A request still unanswered at the end of the grace period counts as
  infinitely slow.

Also printed: CPU per request of the server process and of PostgreSQL (all its processes),
which on two shared cores are steadier than wall-clock figures. The server is left to go idle
between runs, so one run's backlog never lands in the next.

Targets (pooled over the rounds): saturated throughput >= 75% of the baseline's; paced p99 <=
1.5x the baseline's at every rate.

Usage: python benchmarks/bench_ingest.py [--concurrency 32] [--saturated-seconds 6]
       [--rates 200,30] [--paced-seconds 6] [--rounds 2] [--check]
With --check the exit status is 1 when a target is missed (or a request failed).
"""

import argparse
import asyncio
import json
import math
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
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

TARGET_THROUGHPUT_RATIO = 0.75
TARGET_P99_RATIO = 1.5
FIXTURE_RUN_ID = b"289782451"  # the run id of the published example (also in its URLs)
MAX_PACED_CONNECTIONS = 512


def body_template() -> bytes:
    """The published example with recent timestamps; the run id is replaced per request."""
    payload = json.loads(FAILURE_FIXTURE.read_bytes())
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    payload["workflow_run"].update(run_started_at=stamp, updated_at=stamp)
    return json.dumps(payload).encode()


class Deliveries:
    """Signed requests, each with its own run id and delivery id (about 30 µs to make one)."""

    def __init__(self) -> None:
        self.template = body_template()
        self.next_run_id = 300_000_000

    def make(self, port: int) -> bytes:
        run_id = str(self.next_run_id).encode()
        self.next_run_id += 1
        return signed_request(port, self.template.replace(FIXTURE_RUN_ID, run_id))


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # answered with 202, in seconds
    errors: dict[str, int] = field(default_factory=dict)
    unfinished: int = 0
    dispatch_lag: float = 0.0
    server_cpu: float = 0.0
    db_cpu: float = 0.0
    connections: int = 0

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        return sum(self.errors.values())

    def all_latencies(self) -> list[float]:
        """Answered ones, plus the unanswered as infinitely slow."""
        return self.latencies + [math.inf] * self.unfinished

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


# --- loads -------------------------------------------------------------------------------
async def saturated(port: int, make, concurrency: int, seconds: float) -> Phase:
    phase = Phase("saturated")
    conns = [await HttpConnection.open(port) for _ in range(concurrency)]
    phase.connections = len(conns)
    started = time.perf_counter()
    stop_at = started + seconds

    async def loop(conn: HttpConnection) -> None:
        while time.perf_counter() < stop_at:
            request = make(port)
            sent = time.perf_counter()
            try:
                status, _ = await conn.send(request)
            except (OSError, asyncio.IncompleteReadError) as exc:
                phase.error(type(exc).__name__)
                return
            if status == 202:
                phase.latencies.append(time.perf_counter() - sent)
            else:
                phase.error(f"HTTP {status}")

    await asyncio.gather(*(loop(c) for c in conns))
    phase.seconds = time.perf_counter() - started
    for c in conns:
        c.close()
    return phase


async def paced(port: int, make, rate: float, seconds: float, grace: float) -> Phase:
    """Open loop: request i is due at start + i/rate and goes out then."""
    phase = Phase(f"paced {rate:g}/s")
    idle: list[HttpConnection] = [await HttpConnection.open(port) for _ in range(8)]
    opened = len(idle)
    slots = asyncio.Semaphore(MAX_PACED_CONNECTIONS)
    tasks = []

    async def fire(request: bytes, due: float) -> None:
        nonlocal opened
        async with slots:
            if idle:
                conn = idle.pop()
            else:
                conn = await HttpConnection.open(port)
                opened += 1
            try:
                status, _ = await conn.send(request)
            except (OSError, asyncio.IncompleteReadError) as exc:
                phase.error(type(exc).__name__)
                conn.close()
                return
            done = time.perf_counter()
            idle.append(conn)
        if status == 202:
            phase.latencies.append(done - due)
        else:
            phase.error(f"HTTP {status}")

    count = max(1, int(rate * seconds))
    start = time.perf_counter() + 0.05
    for i in range(count):
        due = start + i / rate
        request = make(port)
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        phase.dispatch_lag = max(phase.dispatch_lag, time.perf_counter() - due)
        tasks.append(asyncio.create_task(fire(request, due)))
    _, late = await asyncio.wait(tasks, timeout=grace)
    for task in late:
        task.cancel()
    if late:
        await asyncio.wait(late, timeout=5)
    phase.unfinished = len(late)
    phase.seconds = time.perf_counter() - start
    phase.connections = opened
    for conn in idle:
        conn.close()
    return phase


# --- one server, one round ---------------------------------------------------------------
def wait_idle(meter: CpuMeter, *, limit: float = 45.0, busy: float = 0.10) -> float:
    """Wait until the server uses under ``busy`` of a core (it may still be draining a
    backlog the client gave up on); return the seconds waited."""
    started = time.perf_counter()
    last = meter.seconds()
    while time.perf_counter() - started < limit:
        time.sleep(0.5)
        now = meter.seconds()
        if now - last < busy * 0.5:
            break
        last = now
    return time.perf_counter() - started


@dataclass
class Run:
    server: str
    round: int
    phases: list[Phase]


def measure(
    server: Server, meters: tuple[CpuMeter, CpuMeter], deliveries: Deliveries, args, rnd: int
) -> Run:
    port = server.port
    own, db = meters
    make = deliveries.make
    run_async(saturated(port, make, min(args.concurrency, 8), args.warmup_seconds), timeout=60)
    wait_idle(own)
    phases = []
    loads = [("saturated", None)] + [("paced", r) for r in args.rate_list]
    for kind, rate in loads:
        cpu0, db0 = own.seconds(), db.seconds()
        if kind == "saturated":
            spy = start_py_spy(args, server, rnd)
            phase = run_async(
                saturated(port, make, args.concurrency, args.saturated_seconds),
                timeout=args.saturated_seconds + 60,
            )
            if spy is not None:
                args.profiles.append((server.name, finish_py_spy(*spy)))
        else:
            phase = run_async(
                paced(port, make, rate, args.paced_seconds, grace=args.paced_seconds + args.grace),
                timeout=args.paced_seconds + args.grace + 60,
            )
        wait_idle(own)
        phase.server_cpu, phase.db_cpu = own.seconds() - cpu0, db.seconds() - db0
        phases.append(phase)
    return Run(server.name, rnd, phases)


# --- optional profile of the server under the saturated load ------------------------------
def start_py_spy(args, server: Server, rnd: int):
    """py-spy (a sampling profiler, not a dependency of the project) on the server process,
    GIL-holding samples only, so the shares are shares of the Python CPU time."""
    if not args.py_spy or rnd != 1:
        return None
    out = Path(tempfile.mkstemp(prefix=f"pyspy-{server.name}-", suffix=".txt")[1])
    seconds = max(1, int(args.saturated_seconds) - 1)
    proc = subprocess.Popen(
        [
            args.py_spy,
            "record",
            "-p",
            str(server.proc.pid),
            "-d",
            str(seconds),
            "-r",
            "200",
            "--gil",
            "--nonblocking",
            "-f",
            "raw",
            "-o",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, out, seconds


def finish_py_spy(proc: subprocess.Popen, out: Path, seconds: int) -> str:
    try:
        proc.wait(seconds + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    inclusive: dict[str, int] = {}
    total = 0
    for line in out.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        seen = set()
        for frame in stack.split(";"):
            name = re.sub(r":\d+\)$", ")", frame)
            if name not in seen:
                seen.add(name)
                inclusive[name] = inclusive.get(name, 0) + int(count)
    out.unlink(missing_ok=True)
    if not total:
        return "no samples (is ptrace allowed?)"
    shown = [
        (n, c)
        for n, c in sorted(inclusive.items(), key=lambda kv: -kv[1])
        if "app/cli.py" not in n
        and re.search(
            r"\((app/|.*redaction|.*sqlalchemy/sql/selectable|.*sqlalchemy/pool|"
            r".*psycopg/cursor|.*fastapi/routing)",
            n,
        )
    ][:18]
    lines = [f"{total} samples holding the GIL; inclusive share of the frames:"]
    lines += [f"  {c / total * 100:5.1f}%  {n[:110]}" for n, c in shown]
    return "\n".join(lines)


def ms(seconds: float) -> str:
    return "    inf" if math.isinf(seconds) else f"{seconds * 1000:7.1f}"


def print_run(run: Run) -> None:
    for p in run.phases:
        lat = p.all_latencies()
        per = max(p.ok + p.failed + p.unfinished, 1)
        print(
            f"{run.round:>5}  {run.server:<10} {p.name:<15} {p.throughput:7.0f} "
            f"{ms(percentile(lat, 50))} {ms(percentile(lat, 99))} {ms(max(lat, default=0.0))} "
            f"{p.server_cpu / per * 1000:7.2f} {p.db_cpu / per * 1000:7.2f} "
            f"{p.connections:5d} {p.failed:5d} {p.unfinished:5d}"
        )
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--saturated-seconds", type=float, default=6.0)
    parser.add_argument("--rates", default="200,30", help="paced rates, requests per second")
    parser.add_argument("--paced-seconds", type=float, default=6.0)
    parser.add_argument("--grace", type=float, default=10.0, help="wait for late answers (s)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup-seconds", type=float, default=1.0)
    parser.add_argument("--pool-size", type=int, default=10, help="DB_POOL_SIZE of both servers")
    parser.add_argument("--only", choices=["baseline", "codehealer"], help="measure one server")
    parser.add_argument("--keep-logs", action="store_true", help="print the servers' log tails")
    parser.add_argument(
        "--py-spy",
        metavar="PATH",
        help="profile codehealer's first saturated "
        "run with this py-spy binary and print where its CPU goes",
    )
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    args.profiles = []
    args.rate_list = [float(r) for r in args.rates.split(",") if r.strip()]
    if not (
        1 <= args.rounds <= 10
        and 1 <= args.concurrency <= 512
        and all(1 <= r <= 5000 for r in args.rate_list)
        and 0 < args.saturated_seconds <= 120
        and 0 < args.paced_seconds <= 120
    ):
        parser.error("rounds 1..10, concurrency 1..512, rates 1..5000/s, phases up to 120 s")

    banner("ingest: signed workflow_run failure deliveries → 202 Accepted")
    t_all = time.perf_counter()
    pg = ThrowawayPostgres().start()
    servers: list[Server] = []
    runs: list[Run] = []
    try:
        print(
            f"database: {pg.version()}, embedded, temporary, unix socket; "
            f"{pg.show('shared_buffers', 'synchronous_commit', 'max_connections')}"
        )
        common = dict(
            GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET,
            LOG_LEVEL="WARNING",
            LOG_FORMAT="text",
            DB_POOL_SIZE=str(args.pool_size),
            CODEHEALER_DATA_DIR=str(pg.dir / "app-data"),
        )
        base_port, app_port = free_port(), free_port()
        baseline = Server(
            "baseline",
            [
                PYTHON,
                str(ROOT / "benchmarks" / "baseline_app.py"),
                "--host",
                HOST,
                "--port",
                str(base_port),
            ],
            base_env(DATABASE_URL=pg.fresh_database("bench_baseline"), **common),
            base_port,
            pg.dir / "baseline.log",
        )
        app = Server(
            "codehealer",
            [
                PYTHON,
                "-m",
                "app.cli",
                "serve",
                "--no-worker",
                "--host",
                HOST,
                "--port",
                str(app_port),
            ],
            base_env(DATABASE_URL=pg.fresh_database("bench_app"), **common),
            app_port,
            pg.dir / "codehealer.log",
        )
        chosen = [s for s in (baseline, app) if args.only in (None, s.name)]
        for server in chosen:
            server.start(timeout=90)
            servers.append(server)
        print(
            f"servers : baseline   = python benchmarks/baseline_app.py --host {HOST} "
            f"(up in {baseline.started_seconds:.1f}s)"
        )
        print(
            f"          codehealer = python -m app.cli serve --no-worker --host {HOST} "
            f"(up in {app.started_seconds:.1f}s, migrations included)"
        )
        print(
            f"          each one uvicorn process (h11, asyncio), log_config=None, "
            f"LOG_LEVEL=WARNING, DB_POOL_SIZE={args.pool_size} (+{args.pool_size} overflow)"
        )
        print(
            f"load    : body {len(body_template())} bytes ({FAILURE_FIXTURE.name}, run id "
            f"and delivery id varied), signed; saturated {args.saturated_seconds:g}s at "
            f"concurrency {args.concurrency}; paced {', '.join(f'{r:g}/s' for r in args.rate_list)} "
            f"for {args.paced_seconds:g}s each (grace {args.grace:g}s); rounds {args.rounds}"
        )
        db_meter = CpuMeter(pg.pid)
        meters = {s.name: (CpuMeter(s.proc.pid), db_meter) for s in servers}
        deliveries = Deliveries()
        print()
        print(
            "round  server     load              req/s  p50 ms  p99 ms  max ms "
            "cpu ms/r db ms/r conns  fail  late"
        )
        for rnd in range(1, args.rounds + 1):
            for server in servers:
                run = measure(server, meters[server.name], deliveries, args, rnd)
                runs.append(run)
                print_run(run)
    finally:
        for server in reversed(servers):
            server.stop()
            if args.keep_logs:
                print(f"--- {server.name} log tail ---\n{server.tail()}")
        pg.stop()

    for name, summary in args.profiles:
        print(f"\nprofile of {name}, saturated run of round 1 (py-spy --gil):\n{summary}")
    failures = sum(p.failed for r in runs for p in r.phases)
    lag = max((p.dispatch_lag for r in runs for p in r.phases), default=0.0)
    print()
    print(
        f"errors: {failures} failed requests; client dispatch lag max {lag * 1000:.1f} ms; "
        f"total {time.perf_counter() - t_all:.0f}s"
    )
    if args.only:
        return 0

    def phases(name: str, index: int, rnd: int | None = None) -> list[Phase]:
        return [r.phases[index] for r in runs if r.server == name and rnd in (None, r.round)]

    def tput(name: str, rnd: int | None = None) -> float:
        ps = phases(name, 0, rnd)
        return sum(p.ok for p in ps) / sum(p.seconds for p in ps)

    def p99(name: str, index: int, rnd: int | None = None) -> float:
        return percentile([x for p in phases(name, index, rnd) for x in p.all_latencies()], 99)

    def cpu(name: str, rnd: int | None = None) -> float:
        ps = phases(name, 0, rnd)
        return sum(p.server_cpu for p in ps) / max(sum(p.ok for p in ps), 1)

    def ratio(a: float, b: float) -> float:
        return math.inf if b == 0 or math.isinf(a) else a / b

    for rnd in range(1, args.rounds + 1):
        parts = [f"throughput {ratio(tput('codehealer', rnd), tput('baseline', rnd)):.2f}"]
        for i, rate in enumerate(args.rate_list, start=1):
            parts.append(
                f"p99 at {rate:g}/s {ratio(p99('codehealer', i, rnd), p99('baseline', i, rnd)):.2f}"
            )
        parts.append(
            f"server CPU/request {ratio(cpu('codehealer', rnd), cpu('baseline', rnd)):.1f}"
        )
        print(f"round {rnd} codehealer/baseline: " + "; ".join(parts))

    missed = failures > 0
    t_ratio = ratio(tput("codehealer"), tput("baseline"))
    ok = t_ratio >= TARGET_THROUGHPUT_RATIO
    missed |= not ok
    print(
        f"pooled  saturated throughput: baseline {tput('baseline'):.0f}/s, codehealer "
        f"{tput('codehealer'):.0f}/s → {t_ratio:.2f} (target ≥ {TARGET_THROUGHPUT_RATIO}) "
        f"{'met' if ok else 'MISSED'}"
    )
    for i, rate in enumerate(args.rate_list, start=1):
        b, a = p99("baseline", i), p99("codehealer", i)
        r = ratio(a, b)
        ok = r <= TARGET_P99_RATIO
        missed |= not ok
        print(
            f"pooled  paced {rate:g}/s p99: baseline {ms(b).strip()} ms, codehealer "
            f"{ms(a).strip()} ms → {r:.2f} (target ≤ {TARGET_P99_RATIO}) "
            f"{'met' if ok else 'MISSED'}"
        )
    print(
        f"pooled  server CPU per request: baseline {cpu('baseline') * 1000:.2f} ms, "
        f"codehealer {cpu('codehealer') * 1000:.2f} ms"
    )
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
