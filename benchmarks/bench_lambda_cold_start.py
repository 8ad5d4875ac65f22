"""Lambda cold start: the first answer of a new execution environment, on demand and with
SnapStart.

Each run is a fresh interpreter (a new execution environment) that hands the API function one
API Gateway HTTP API (2.0) event carrying a signed GitHub ``workflow_run`` failure delivery,
against an already migrated database (the migrate function runs once per deploy, never at
cold start). Two ways to start, each timed inside the child:

(a) on demand (what Lambda does without SnapStart):
- import      ``import app.lambda_handler`` (what Lambda's init phase runs)
- first call  the first ``handler(event, context)``: settings, the container, the FastAPI app,
              the database connection and the webhook's own work, until the 202 is returned
- total       import + first call: what the sender waits for beyond the interpreter start

(b) SnapStart-like: the init phase runs with ``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start``, so
importing the handler module builds the container and the app; then the before-snapshot hooks
run, as Lambda runs them before taking the snapshot. None of that is on the clock (Lambda does
it when the version is published). The clock then covers what a restored environment does:
- first answer  the after-restore hooks (``random`` re-seeded, the engine's pool replaced)
                plus the first ``handler(event, context)``, until the 202 is returned
Not included, because it cannot happen here: Lambda's own restore of the snapshot (the
microVM's memory, reported as "Restore Duration" in the function's log), and the page faults
of a freshly restored memory image.

Each figure comes as wall-clock time and as the process's CPU time (``time.process_time``):
on a machine shared with other work, the CPU time moves much less from run to run.

The interpreter's own start (``python -c pass``) is measured separately and reported, not
added: Lambda's Python runtime is already running when the handler module is imported.

Bytecode: the Lambda image compiles everything at build time (Dockerfile.lambda). Here one
warm-up run (not counted) writes the bytecode of every module it loads under a temporary
PYTHONPYCACHEPREFIX, so the measured runs load bytecode as the image does, whatever
PYTHONDONTWRITEBYTECODE says in the calling shell.

Nothing leaves 127.0.0.1: a throwaway embedded PostgreSQL; QUEUE_URL and SECRETS_ARN are
unset, so the in-process queue stands in for SQS and the settings come from the environment
(on AWS the settings secret is read at init, importing boto3, and the first enqueue creates
the SQS client: both add to an on-demand start and are in the snapshot with SnapStart).

Target: first answer < 600 ms (median). ``--check`` exits 1 when the on-demand total misses it.

``--python`` runs the execution environments with another interpreter, for example a virtualenv
of Python 3.12 (the Lambda image's) holding only the image's packages
(``uv pip install --require-hashes -r requirements.txt``); the parent keeps this one.

(c) What an AWS deployment adds to (a) that this machine leaves out (short of the network
calls): importing boto3 and creating the Secrets Manager and SQS clients. With SnapStart it is
all in the snapshot.

Usage: python benchmarks/bench_lambda_cold_start.py [--runs 7]
       [--mode all|on-demand|snapstart|aws-clients] [--python PATH] [--check]
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    FAILURE_FIXTURE,
    PYTHON,
    ROOT,
    WEBHOOK_SECRET,
    ThrowawayPostgres,
    banner,
    base_env,
)

TARGET_MS = 600.0
HTTP_EVENT = ROOT / "tests" / "fixtures" / "aws_lambda" / "powertools__apiGatewayProxyV2Event.json"

# Runs in the child, on demand: the clock starts before the first import of the application.
ON_DEMAND_CHILD = r"""
import json, sys, time
event = json.loads(sys.stdin.read())

class Context:
    aws_request_id = "bench-cold-start"

started, started_cpu = time.perf_counter(), time.process_time()
import app.lambda_handler as lambda_handler
imported, imported_cpu = time.perf_counter(), time.process_time()
response = lambda_handler.handler(event, Context())
answered, answered_cpu = time.perf_counter(), time.process_time()
print(json.dumps({
    "import_ms": (imported - started) * 1000,
    "first_call_ms": (answered - imported) * 1000,
    "total_ms": (answered - started) * 1000,
    "total_cpu_ms": (answered_cpu - started_cpu) * 1000,
    "status": response.get("statusCode"),
    "body": response.get("body", "")[:200],
}))
"""

# Runs in the child, SnapStart-like: init and the before-snapshot hooks off the clock, as Lambda
# runs them at publication; the clock covers the after-restore hooks and the first answer.
SNAPSTART_CHILD = r"""
import json, sys, time
event = json.loads(sys.stdin.read())

class Context:
    aws_request_id = "bench-snapstart"

init_started = time.perf_counter()
import snapshot_restore_py
import app.lambda_handler as lambda_handler  # AWS_LAMBDA_INITIALIZATION_TYPE=snap-start
assert lambda_handler._http is not None, "the init phase did not build the HTTP app"
for func, args, kwargs in reversed(snapshot_restore_py.get_before_snapshot()):
    func(*args, **kwargs)
initialized = time.perf_counter()

restored, restored_cpu = time.perf_counter(), time.process_time()
for func, args, kwargs in snapshot_restore_py.get_after_restore():
    func(*args, **kwargs)
response = lambda_handler.handler(event, Context())
answered, answered_cpu = time.perf_counter(), time.process_time()
print(json.dumps({
    "init_ms": (initialized - init_started) * 1000,
    "total_ms": (answered - restored) * 1000,
    "total_cpu_ms": (answered_cpu - restored_cpu) * 1000,
    "status": response.get("statusCode"),
    "body": response.get("body", "")[:200],
}))
"""


# Runs in the child: what an AWS deployment adds to (a) and this machine leaves out, short of
# the network calls themselves: boto3 (imported to read the settings secret) and the clients
# the first webhook uses (Secrets Manager at init, SQS on the first enqueue). With SnapStart
# all of it is in the snapshot (prime_snapshot creates the SQS client).
AWS_CLIENTS_CHILD = r"""
import json, time
started, started_cpu = time.perf_counter(), time.process_time()
import boto3
imported = time.perf_counter()
session = boto3.session.Session()
session.client("secretsmanager", region_name="us-east-1")
session.client("sqs", region_name="us-east-1")
created, created_cpu = time.perf_counter(), time.process_time()
print(json.dumps({
    "import_ms": (imported - started) * 1000,
    "clients_ms": (created - imported) * 1000,
    "total_ms": (created - started) * 1000,
    "total_cpu_ms": (created_cpu - started_cpu) * 1000,
    "status": 202,
}))
"""


def http_event(run_id: int) -> dict:
    """The published HTTP API 2.0 event, turned into a signed POST /webhooks/github."""
    from app.core.security import github_signature

    payload = json.loads(FAILURE_FIXTURE.read_bytes())
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    payload["workflow_run"].update(id=run_id, run_started_at=stamp, updated_at=stamp)
    body = json.dumps(payload)
    event = json.loads(HTTP_EVENT.read_bytes())
    event.update(
        rawPath="/webhooks/github",
        rawQueryString="",
        cookies=[],
        queryStringParameters={},
        body=body,
        isBase64Encoded=False,
        headers={
            "content-type": "application/json",
            "content-length": str(len(body)),
            "user-agent": "GitHub-Hookshot/bench",
            "x-github-event": "workflow_run",
            "x-github-delivery": f"bench-cold-{run_id}",
            "x-hub-signature-256": github_signature(WEBHOOK_SECRET, body.encode()),
        },
    )
    event["requestContext"]["http"].update(method="POST", path="/webhooks/github")
    return event


def interpreter_start_ms(python: str) -> float:
    started = time.perf_counter()
    subprocess.run([python, "-c", "pass"], check=True)
    return (time.perf_counter() - started) * 1000


def cold_run(python: str, child: str, env: dict[str, str], run_id: int) -> dict:
    result = subprocess.run(
        [python, "-c", child],
        input=json.dumps(http_event(run_id)),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"cold run failed:\n{result.stderr[-3000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    if figures["status"] != 202:
        raise RuntimeError(f"expected 202, got {figures['status']}: {figures['body']}")
    return figures


def summary(name: str, values: list[float]) -> str:
    return (
        f"{name:<18} min {min(values):7.1f}  median {statistics.median(values):7.1f}  "
        f"max {max(values):7.1f} ms"
    )


def verdict(values: list[float]) -> str:
    return "met" if statistics.median(values) < TARGET_MS else "missed"


def report_on_demand(runs: list[dict]) -> str:
    totals = [r["total_ms"] for r in runs]
    print("(a) on demand: import + first call in a fresh interpreter")
    print("    " + summary("import", [r["import_ms"] for r in runs]))
    print("    " + summary("first call", [r["first_call_ms"] for r in runs]))
    print("    " + summary("total", totals))
    print("    " + summary("total, CPU", [r["total_cpu_ms"] for r in runs]))
    print(f"    target: total < {TARGET_MS:.0f} ms (median) -> {verdict(totals)}")
    return verdict(totals)


def report_aws_clients(runs: list[dict]) -> None:
    print("(c) what AWS adds to (a), in the snapshot with (b): boto3 and its clients, no calls")
    print("    " + summary("import boto3", [r["import_ms"] for r in runs]))
    print("    " + summary("SM + SQS clients", [r["clients_ms"] for r in runs]))
    print("    " + summary("total", [r["total_ms"] for r in runs]))
    print("    " + summary("total, CPU", [r["total_cpu_ms"] for r in runs]))
    print("    plus, on AWS: one Secrets Manager call at init and one SQS SendMessage")


def report_snapstart(runs: list[dict]) -> str:
    totals = [r["total_ms"] for r in runs]
    print("(b) SnapStart-like: init at publication, then restore hooks + first call")
    print("    " + summary("init (off clock)", [r["init_ms"] for r in runs]))
    print("    " + summary("first answer", totals))
    print("    " + summary("first answer, CPU", [r["total_cpu_ms"] for r in runs]))
    print(
        f"    target: first answer < {TARGET_MS:.0f} ms (median) -> {verdict(totals)}"
        "  (plus Lambda's snapshot restore, not measurable here)"
    )
    return verdict(totals)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--mode", choices=("all", "on-demand", "snapstart", "aws-clients"), default="all"
    )
    parser.add_argument("--python", default=PYTHON, help="interpreter of the environments")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()
    banner("Lambda cold start: first answer (HTTP API 2.0, signed GitHub failure)")
    version = subprocess.run(
        [args.python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"environments: {args.python} (CPython {version})")
    modes = ("on-demand", "snapstart", "aws-clients") if args.mode == "all" else (args.mode,)
    children = {
        "on-demand": ON_DEMAND_CHILD,
        "snapstart": SNAPSTART_CHILD,
        "aws-clients": AWS_CLIENTS_CHILD,
    }
    results: dict[str, list[dict]] = {mode: [] for mode in modes}
    with ThrowawayPostgres() as pg:
        from app.adapters.database.migrate import upgrade

        url = pg.fresh_database("cold_start")
        upgrade(url)
        env = base_env(
            DATABASE_URL=url,
            GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET,
            LOG_LEVEL="WARNING",
            AWS_LAMBDA_FUNCTION_NAME="codehealer-bench",
            _HANDLER="app.lambda_handler.handler",
        )
        pycache = tempfile.mkdtemp(prefix="codehealer-pycache-")
        env["PYTHONPYCACHEPREFIX"] = pycache
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        mode_env = {
            "on-demand": {**env, "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand"},
            "snapstart": {**env, "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"},
            # Placeholder credentials: the clients are created, never used.
            "aws-clients": {**env, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"},
        }
        try:
            interpreter = [interpreter_start_ms(args.python) for _ in range(3)]
            # Warm-up: writes the bytecode, not counted.
            cold_run(args.python, ON_DEMAND_CHILD, mode_env["on-demand"], 699_999_999)
            for i in range(args.runs):  # modes alternate, so all see the same machine load
                for n, mode in enumerate(modes):
                    run_id = 700_000_000 + i * len(modes) + n
                    results[mode].append(
                        cold_run(args.python, children[mode], mode_env[mode], run_id)
                    )
        finally:
            shutil.rmtree(pycache, ignore_errors=True)
    print(f"runs    : {args.runs} fresh interpreters per mode, each answered 202")
    print(summary("interpreter", interpreter) + "  (python -c pass; not counted)")
    verdicts = {}
    if "on-demand" in results:
        verdicts["on-demand"] = report_on_demand(results["on-demand"])
    if "snapstart" in results:
        verdicts["snapstart"] = report_snapstart(results["snapstart"])
    if "aws-clients" in results:
        report_aws_clients(results["aws-clients"])
    missed = verdicts.get("on-demand", verdicts.get("snapstart")) == "missed"
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
