"""Lambda cold start: the first answer of a new execution environment.

Each run is a fresh interpreter (a new execution environment) that imports
``app.lambda_handler`` and hands ``handler`` one API Gateway HTTP API (2.0) event carrying a
signed GitHub ``workflow_run`` failure delivery, against an already migrated database (the
migrate function runs once per deploy, never at cold start). It times, inside the child:

- import      ``import app.lambda_handler`` (what Lambda's init phase runs)
- first call  the first ``handler(event, context)``: settings, the container, the FastAPI app,
              the database connection and the webhook's own work, until the 202 is returned
- total       import + first call: what the sender waits for beyond the interpreter start

The interpreter's own start (``python -c pass``) is measured separately and reported, not
added: Lambda's Python runtime is already running when the handler module is imported.

Bytecode: the Lambda image compiles everything at build time (Dockerfile.lambda). Here one
warm-up run (not counted) writes the bytecode of every module it loads under a temporary
PYTHONPYCACHEPREFIX, so the measured runs load bytecode as the image does, whatever
PYTHONDONTWRITEBYTECODE says in the calling shell.

Nothing leaves 127.0.0.1: a throwaway embedded PostgreSQL; QUEUE_URL is unset, so the
in-process queue stands in for SQS (in AWS the SQS SendMessage adds one round trip).

Target: total < 600 ms.

Usage: python benchmarks/bench_lambda_cold_start.py [--runs 7] [--check]
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

# Runs in the child: the clock starts before the first import of the application.
CHILD = r"""
import json, sys, time
started = time.perf_counter()
import app.lambda_handler as lambda_handler
imported = time.perf_counter()

class Context:
    aws_request_id = "bench-cold-start"

event = json.loads(sys.stdin.read())
response = lambda_handler.handler(event, Context())
answered = time.perf_counter()
print(json.dumps({
    "import_ms": (imported - started) * 1000,
    "first_call_ms": (answered - imported) * 1000,
    "status": response.get("statusCode"),
    "body": response.get("body", "")[:200],
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


def interpreter_start_ms() -> float:
    started = time.perf_counter()
    subprocess.run([PYTHON, "-c", "pass"], check=True)
    return (time.perf_counter() - started) * 1000


def cold_run(env: dict[str, str], run_id: int) -> dict:
    result = subprocess.run(
        [PYTHON, "-c", CHILD],
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
        f"{name:<11} min {min(values):7.1f}  median {statistics.median(values):7.1f}  "
        f"max {max(values):7.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()
    banner("Lambda cold start: import + first answer (HTTP API 2.0, signed GitHub failure)")
    with ThrowawayPostgres() as pg:
        from app.adapters.database.migrate import upgrade

        url = pg.fresh_database("cold_start")
        upgrade(url)
        env = base_env(
            DATABASE_URL=url,
            GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET,
            LOG_LEVEL="WARNING",
            AWS_LAMBDA_FUNCTION_NAME="codehealer-bench",
        )
        pycache = tempfile.mkdtemp(prefix="codehealer-pycache-")
        env["PYTHONPYCACHEPREFIX"] = pycache
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        try:
            interpreter = [interpreter_start_ms() for _ in range(3)]
            cold_run(env, 699_999_999)  # warm-up: writes the bytecode, not counted
            runs = [cold_run(env, 700_000_000 + i) for i in range(args.runs)]
        finally:
            shutil.rmtree(pycache, ignore_errors=True)
    imports = [r["import_ms"] for r in runs]
    calls = [r["first_call_ms"] for r in runs]
    totals = [a + b for a, b in zip(imports, calls, strict=True)]
    print(f"runs    : {args.runs} fresh interpreters, each answered 202")
    print(summary("interpreter", interpreter) + "  (python -c pass; not counted)")
    print(summary("import", imports))
    print(summary("first call", calls))
    print(summary("total", totals))
    median = statistics.median(totals)
    verdict = "met" if median < TARGET_MS else "missed"
    print(f"target  : total < {TARGET_MS:.0f} ms (median) -> {verdict}")
    return 1 if args.check and verdict == "missed" else 0


if __name__ == "__main__":
    raise SystemExit(main())
