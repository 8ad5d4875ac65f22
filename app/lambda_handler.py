"""AWS Lambda entry points: HTTP (Mangum), the SQS worker, the scheduled sweep and weekly
report, migrations.

One container per execution environment, built on first use and reused by warm invocations.
Importing this module is kept cheap on purpose (cold start): FastAPI, Mangum, SQLAlchemy,
Alembic and boto3 are imported inside the functions that need them, so an invocation loads
only what its event uses.

Function handlers (one image, one command each):
    app.lambda_handler.handler          API Gateway HTTP API / REST API, Function URL
    app.lambda_handler.worker_handler   SQS work queue (partial batch failures)
    app.lambda_handler.sweep_handler    EventBridge schedule
    app.lambda_handler.report_handler   EventBridge weekly schedule: `codehealer report --post`
    app.lambda_handler.migrate_handler  invoked once per deploy, never at cold start

SnapStart: when Lambda initialises a published version for its snapshot
(``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start``), importing this module builds the container
(and, for the API function, the FastAPI app) at once, so the snapshot holds the imports and
the built objects and a restored execution environment answers without building anything.
The runtime hooks (AWS's ``snapshot_restore_py``) close the database connections before the
snapshot and re-seed ``random`` after each restore; see ``before_snapshot``/``after_restore``.
"""

import gc
import importlib
import logging
import os
import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from app.adapters.queue.sqs import SqsQueue, parse_incident_message
from app.core.logs import configure_logging, incident_id_var, request_id_var

if TYPE_CHECKING:
    from app.bootstrap import Container
    from app.services.worker import IncidentWorker

log = logging.getLogger(__name__)

SQS_EVENT_SOURCE = "aws:sqs"
SCHEDULE_SOURCE = "aws.events"
SCHEDULE_DETAIL_TYPE = "Scheduled Event"
REPORT_PERIOD = timedelta(days=7)  # the schedule is weekly: each report covers one week

# Set by Lambda for the init phase: on-demand, provisioned-concurrency or snap-start.
INITIALIZATION_TYPE = "AWS_LAMBDA_INITIALIZATION_TYPE"
SNAP_START = "snap-start"
# AWS's runtime hooks library (snapshot-restore-py), part of the Python 3.12+ Lambda runtimes
# and of the image's requirements; imported only for a snapshot, never by local runs.
RUNTIME_HOOKS_MODULE = "snapshot_restore_py"
# The function's handler as Lambda names it (image command or zip handler setting).
HANDLER_VARIABLE = "_HANDLER"
HTTP_HANDLER = "app.lambda_handler.handler"
# GET /ready as API Gateway's HTTP API (payload 2.0) sends it: the request a snapshot is primed
# with (see prime_snapshot).
PRIMING_EVENT: dict[str, Any] = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/ready",
    "rawQueryString": "",
    "headers": {"user-agent": "codehealer-snapstart-priming"},
    "requestContext": {
        "http": {
            "method": "GET",
            "path": "/ready",
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
        },
        "requestId": "snapstart-priming",
        "stage": "$default",
    },
    "isBase64Encoded": False,
}

_container: "Container | None" = None
_owns_container = False
_http: Any = None  # the Mangum adapter over _container, built on the first HTTP event


def use_container(container: "Container") -> None:
    """Serve every handler with ``container`` (tests). The caller keeps it and closes it."""
    global _container, _owns_container, _http
    reset_container_for_tests()
    _container, _owns_container, _http = container, False, None


def reset_container_for_tests() -> None:
    """Forget the current container (closing it if this module built it)."""
    _discard_container()


def _discard_container() -> None:
    global _container, _owns_container, _http
    if _container is not None and _owns_container:
        _container.close()
        gc.unfreeze()  # what the build froze may be garbage now (see _collector_paused)
    _container, _owns_container, _http = None, False, None


def get_container() -> "Container":
    """The execution environment's container, built from settings on first use."""
    global _container, _owns_container
    if _container is None:
        with _collector_paused():
            _container = _build_container()
        _owns_container = True
    return _container


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while the environment's long-lived objects
    are built (the imports and the container: hundreds of thousands of objects and next to no
    garbage), then those objects moved out of its sight (``gc.freeze``), so that neither this
    build nor later collections keep traversing them. Measured: about 6% of an on-demand
    first answer (docs/benchmarks.md)."""
    if not gc.isenabled():  # nested, or paused by the caller: leave it as it is
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _build_container() -> "Container":
    # Imported here, not at module top: settings (pydantic) and the composition root
    # (SQLAlchemy, services) are loaded by the first invocation, not by the import (cold start).
    from app.bootstrap import build_container
    from app.core.errors import ConfigurationError
    from app.settings_loader import load_settings

    try:
        settings = load_settings()
    except ConfigurationError as exc:
        # Named settings, no values (they may be secrets) and no traceback in the log.
        log.error("configuration error: %s", exc)
        raise
    configure_logging(settings.log_level, settings.log_format)
    if not settings.database.url:
        raise ConfigurationError(
            "DATABASE_URL is required on Lambda (put it in the SECRETS_ARN secret)"
        )
    for warning in settings.check_startup():
        log.warning("!!! %s", warning)
    # No connection pool: a frozen execution environment must not hold connections open
    # between invocations (RDS Proxy, when DB_PROXY is set, does the pooling).
    database = settings.database.model_copy(update={"null_pool": True})
    settings = settings.model_copy(update={"database": database})
    return build_container(settings)


def http_adapter() -> Any:
    """The Mangum adapter over the container's FastAPI app, built once and reused."""
    global _http
    container = get_container()
    if _http is None:
        with _collector_paused():
            # Imported here, not at module top: FastAPI and Mangum load only for HTTP events.
            from mangum import Mangum

            from app.main import create_app

            # lifespan="off": the container is built above, once per execution environment;
            # with lifespan on, Mangum would run startup and shutdown on every invocation.
            # defer_routers: a first webhook imports none of the other routers.
            _http = Mangum(create_app(container, defer_routers=True), lifespan="off")
    return _http


def initialized_for_snapshot(environ: Mapping[str, str]) -> bool:
    """True while Lambda initialises a published version for its SnapStart snapshot."""
    return environ.get(INITIALIZATION_TYPE) == SNAP_START


def serves_http(environ: Mapping[str, str]) -> bool:
    """Whether this function's handler is the HTTP one (assumed when Lambda does not say)."""
    return environ.get(HANDLER_VARIABLE, HTTP_HANDLER) == HTTP_HANDLER


def prepare_snapshot(environ: Mapping[str, str]) -> None:
    """SnapStart init: register the runtime hooks, then build what the first event would.

    Building here costs nothing to a sender: Lambda runs it once, when the version is
    published. No database query and no outbound HTTP request is made (the schema belongs
    to the migrate function and /ready), so a version can be published before migrating.

    A build that fails here (typically: the settings secret has no value yet on a first
    deploy) does not fail the publication: it is logged, nothing is kept, and the first
    event builds as on an on-demand start, where the same error is raised to the caller.
    """
    register_runtime_hooks()
    try:
        get_container().build_all()
        if serves_http(environ):
            http_adapter()
        prime_snapshot(serves_http(environ))
    except Exception as exc:  # any failure: publish anyway, build on the first event
        _discard_container()
        log.error(
            "SnapStart: nothing built at init (%s: %s); the first event builds the container. "
            "Publish a new version once the settings are complete.",
            type(exc).__name__,
            exc,
        )


def prime_snapshot(http: bool) -> None:
    """Load now what a first event would load lazily, so that it is in the snapshot.

    The readiness check runs once: for the HTTP function a GET /ready through the app
    (anyio's event loop backend and worker thread, the request path of FastAPI), for every
    function the database driver's first-connection setup. It reads, writes nothing and
    answers 503 (logged, not raised) while the database is unreachable or not migrated yet;
    its connection is closed at once (no pool on Lambda) and ``before_snapshot`` disposes of
    the engine anyway. The SQS client is created (botocore loads the queue's service model,
    about 100 ms); it sends nothing, and its credentials come from Lambda's container
    credentials endpoint, which botocore refreshes after a restore.
    """
    container = get_container()
    if isinstance(container.queue, SqsQueue):
        sqs_client = container.queue.client
        log.info("SnapStart: SQS client ready (%s)", sqs_client.meta.region_name)
    if http:
        response = http_adapter()(PRIMING_EVENT, None)
        status = response.get("statusCode")
    else:
        status = 200 if container.health.readiness().ready else 503
    log.info("SnapStart: snapshot primed with the readiness check (%s)", status)


def register_runtime_hooks() -> None:
    """Register ``before_snapshot`` and ``after_restore`` with AWS's runtime hooks library.

    Raises:
        ConfigurationError: the library is missing; a snapshot taken without the hooks would
            share one ``random`` state between all its execution environments.
    """
    from app.core.errors import ConfigurationError

    try:
        hooks = importlib.import_module(RUNTIME_HOOKS_MODULE)
    except ImportError:
        raise ConfigurationError(
            f"SnapStart needs the {RUNTIME_HOOKS_MODULE} package (snapshot-restore-py)"
        ) from None
    hooks.register_before_snapshot(before_snapshot)
    hooks.register_after_restore(after_restore)


def before_snapshot() -> None:
    """SnapStart, once, before the snapshot: it must hold no open database connection."""
    if _container is not None:
        _container.db.dispose()


def after_restore() -> None:
    """SnapStart, in each execution environment restored from the snapshot.

    Every environment restored from one snapshot starts with the same memory: the same
    ``random`` state (the retry jitter of the HTTP clients draws from it) and whatever the
    engine held. ``random`` is re-seeded from the operating system's entropy, and the
    engine's pool is replaced, so no connection from before the snapshot is ever reused.
    ``uuid4``, ``secrets`` and the approval nonces read ``os.urandom`` at each call, and no
    HTTP client has opened a connection at init, so nothing else needs renewing.
    """
    random.seed()
    if _container is not None:
        _container.db.dispose()


@contextmanager
def _invocation(context: Any) -> Iterator[None]:
    """Log lines of this invocation carry its Lambda request id."""
    token = request_id_var.set(getattr(context, "aws_request_id", None))
    try:
        yield
    finally:
        request_id_var.reset(token)


def event_kind(event: Any) -> str | None:
    """``sqs``, ``schedule``, ``http`` or None for an event this function cannot handle."""
    if not isinstance(event, dict):
        return None
    records = event.get("Records")
    if isinstance(records, list) and records:
        first = records[0]
        if isinstance(first, dict) and first.get("eventSource") == SQS_EVENT_SOURCE:
            return "sqs"
        return None
    if event.get("source") == SCHEDULE_SOURCE and event.get("detail-type") == SCHEDULE_DETAIL_TYPE:
        return "schedule"
    # API Gateway REST (1.0) and HTTP API (2.0), Function URLs (2.0) and ALB all carry one.
    if isinstance(event.get("requestContext"), dict):
        return "http"
    return None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The API function: HTTP events through the FastAPI app; SQS and schedules routed on."""
    kind = event_kind(event)
    if kind == "sqs":
        return worker_handler(event, context)
    if kind == "schedule":
        return sweep_handler(event, context)
    with _invocation(context):
        if kind == "http":
            return http_adapter()(event, context)
        keys = sorted(event)[:20] if isinstance(event, dict) else type(event).__name__
        log.error("unsupported Lambda event (keys: %s)", keys)
        return {
            "error": "unsupported event: expected API Gateway, Function URL, SQS "
            "or EventBridge scheduled event"
        }


def worker_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The worker function: one SQS batch; only failed messages are returned for retry.

    A redelivered message for an incident that is already taken or processed is acknowledged
    (the worker's claim makes it a no-op). A poison message or a failing record is reported in
    ``batchItemFailures``, so SQS retries it and finally moves it to the dead-letter queue.
    """
    with _invocation(context):
        worker = get_container().new_worker()
        records = event.get("Records") or []
        failures = [
            {"itemIdentifier": record.get("messageId")}
            for record in records
            if not _process_record(worker, record)
        ]
        if failures:
            log.warning("%d of %d messages failed", len(failures), len(records))
        get_container().notifier.deliver_pending()  # never raises; Slack is best effort
        return {"batchItemFailures": failures}


def _process_record(worker: "IncidentWorker", record: dict[str, Any]) -> bool:
    """True when the message is done with (processed or nothing to do); False to retry it."""
    message_id = record.get("messageId")
    try:
        incident_id = parse_incident_message(record.get("body"))
    except ValueError as exc:
        log.error("poison message %s: %s", message_id, exc)
        return False
    token = incident_id_var.set(incident_id)
    try:
        processed = worker.process_incident(incident_id)
    except Exception:  # one record's failure must not fail the others in the batch
        log.exception(
            "message %s for incident %s failed; SQS will retry it", message_id, incident_id
        )
        return False
    finally:
        incident_id_var.reset(token)
    if not processed:
        log.info(
            "incident %s already taken or processed; message %s acknowledged",
            incident_id,
            message_id,
        )
    return True


def sweep_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The sweep function (EventBridge schedule): housekeeping; returns the sweep report."""
    with _invocation(context):
        report = get_container().new_sweeper().run()
        log.info("sweep report: %s", report)
        return report


def report_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The report function (EventBridge, weekly): the last week's report posted to
    SLACK_CHANNEL, as ``codehealer report --since 7d --post`` does. A missing bot token or a
    Slack refusal fails the invocation, so the function's errors alarm says so."""
    with _invocation(context):
        reporter = get_container().new_reporter()
        report = reporter.build(since=datetime.now(UTC) - REPORT_PERIOD)
        posted = reporter.post(report)
        log.info("weekly report posted to %s (ts %s)", posted.channel, posted.ts)
        return {
            "posted_to": posted.channel,
            "ts": posted.ts,
            "since": report["since"],
            "incidents": report["incidents_in_window"],
        }


def migrate_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The migrate function, invoked once per deploy: upgrade the schema to the latest revision,
    then seed the reference memory as `codehealer serve` does (no serve runs on AWS): when this
    release ships a version not seeded yet, unless SEED_REFERENCE is false."""
    with _invocation(context):
        # Imported here, not at module top: Alembic loads only for this deploy step.
        from app.adapters.database.migrate import current_revision, upgrade

        container = get_container()
        upgrade(container.database_url)
        revision = current_revision(container.db.engine)
        log.info("database migrated to %s", revision)
        result: dict[str, Any] = {"migrated_to": revision}
        if container.settings.analysis.seed_reference:
            result["reference_memory"] = container.reference_memory.seed().lines()
            log.info("%s", "; ".join(result["reference_memory"]))
        return result


# Lambda's init phase is this import. For a SnapStart snapshot, build everything now.
if initialized_for_snapshot(os.environ):
    prepare_snapshot(os.environ)
