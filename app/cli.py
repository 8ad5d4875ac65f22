"""The `codehealer` command: serve, worker, db, send-sample, pause and resume (and more)."""

import argparse
import json
import logging
import signal
import sys
import threading
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.config import Settings
from app.core.errors import ConfigurationError
from app.core.logs import configure_logging
from app.settings_loader import load_settings

if TYPE_CHECKING:
    from app.bootstrap import Container

log = logging.getLogger("codehealer")

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SAMPLE = REPO_ROOT / "scripts" / "samples" / "workflow_run_failure.json"


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    configure_logging(settings.log_level, getattr(args, "log_format", None) or settings.log_format)
    return settings


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop_on_sigterm() -> None:
    """docker stop, Kubernetes and systemd stop a process with SIGTERM: stop as on Ctrl-C
    (workers finish or hand back their incident, the embedded database stops). Python's
    default for SIGTERM ends the process at once; uvicorn answers SIGTERM while it serves and
    raises it again once it has stopped, which this handler then turns into KeyboardInterrupt."""
    signal.signal(signal.SIGTERM, _interrupt)


def _ignore_stop_signals() -> None:
    # Ctrl-C reaches every process of the terminal's group (uv and this one), and a service
    # manager may repeat SIGTERM: neither may cut the clean shutdown short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def cmd_serve(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """``settings``: given by `demo`; otherwise read from the environment."""
    import uvicorn

    from app.adapters.database.migrate import upgrade
    from app.api.server import server_config
    from app.bootstrap import build_container
    from app.main import create_app
    from app.services.worker import start_worker_threads, stop_worker_threads

    settings = _settings(args) if settings is None else settings
    for warning in settings.check_startup():
        log.warning("!!! %s", warning)
    stop_on_sigterm()
    container = build_container(settings)
    stop = threading.Event()
    worker_threads: list[threading.Thread] = []
    try:
        upgrade(container.database_url)
        container.build_all()  # a wrong rules file or client setting stops the start
        if settings.analysis.seed_reference:
            _seed_reference_memory(container)
        if settings.worker.enabled and not args.no_worker:
            worker_threads = start_worker_threads(
                container.new_worker, stop, settings.worker.threads
            )
        log.info("CodeHealer listening on http://%s:%s", args.host, args.port)
        app = create_app(container)
        uvicorn.Server(server_config(app, settings.server, host=args.host, port=args.port)).run()
    except KeyboardInterrupt:
        log.info("stop requested")
    finally:
        _ignore_stop_signals()
        stop_worker_threads(worker_threads, stop, container.queue)
        container.close()
        log.info("CodeHealer stopped")
    return 0


def _seed_reference_memory(container: "Container") -> None:
    """Before the first failure: the reference memory, when this version of it is not in the
    database yet (a new database, or a release that ships another). Seeded once per version
    and embedder; an embedder that fails is tried again at the next start."""
    for line in container.reference_memory.seed().lines():
        log.info("%s", line)


def cmd_demo(args: argparse.Namespace) -> int:
    from app.demo.runner import run_demo

    return run_demo(args, serve=cmd_serve)


def cmd_worker(args: argparse.Namespace) -> int:
    from app.bootstrap import build_container
    from app.services.worker import start_worker_threads, stop_worker_threads

    settings = _settings(args)
    stop_on_sigterm()
    container = build_container(settings)
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        container.build_all()  # a wrong rules file or client setting stops the start
        if args.once:
            print(f"processed {container.new_worker().drain()} incident(s)")
            return 0
        threads = start_worker_threads(container.new_worker, stop, settings.worker.threads)
        # Waiting in short slices keeps the main thread responsive to Ctrl-C.
        while any(thread.is_alive() for thread in threads):
            stop.wait(0.5)
    except KeyboardInterrupt:
        _ignore_stop_signals()
        stop_worker_threads(threads, stop, container.queue)
    finally:
        container.close()
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from app.adapters.database import migrate
    from app.bootstrap import resolve_database

    settings = _settings(args)
    if args.db_command == "seed-reference":
        return _seed_reference(settings, remove=args.remove)
    url, embedded = resolve_database(settings.database)
    try:
        if args.db_command == "upgrade":
            migrate.upgrade(url, args.revision)
        elif args.db_command == "downgrade":
            migrate.downgrade(url, args.revision)
        from sqlalchemy import create_engine

        from app.adapters.database.engine import sqlalchemy_url

        engine = create_engine(sqlalchemy_url(url))
        print(f"schema at {migrate.current_revision(engine)} (head {migrate.head_revision()})")
        engine.dispose()
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


def _seed_reference(settings: Settings, *, remove: bool) -> int:
    """``db seed-reference``: the schema to head, then the reference memory seeded (or, with
    ``--remove``, forgotten); 1 when an embedder could not seed it."""
    from app.adapters.database.migrate import upgrade
    from app.bootstrap import build_container

    with build_container(settings) as container:
        upgrade(container.database_url)
        if remove:
            print(f"reference memory removed ({container.reference_memory.remove()} rows)")
            return 0
        result = container.reference_memory.seed()
    print("\n".join(result.lines()))
    return 1 if result.failed else 0


def cmd_send_sample(args: argparse.Namespace) -> int:
    import httpx

    from app.core.security import github_signature

    settings = load_settings()
    body = Path(args.file).read_bytes()
    secret = args.secret or (
        settings.github.webhook_secret.get_secret_value()
        if settings.github.webhook_secret
        else None
    )
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": args.event,
        "X-GitHub-Delivery": args.delivery_id or str(uuid.uuid4()),
        "User-Agent": "GitHub-Hookshot/codehealer-sample",
    }
    if secret:
        headers["X-Hub-Signature-256"] = github_signature(secret, body)
    url = args.url.rstrip("/") + "/webhooks/github"
    response = httpx.post(url, content=body, headers=headers, timeout=10)
    print(f"{response.status_code} {response.text}")
    return 0 if response.status_code < 400 else 1


def _database_available(settings: Settings) -> bool:
    database = settings.database
    return bool(database.url) or (database.data_dir / "pgdata" / "PG_VERSION").exists()


def cmd_analyze(args: argparse.Namespace) -> int:
    from app.bootstrap import build_container, build_offline_analyzer

    settings = _settings(args)
    raw = sys.stdin.read() if args.path == "-" else Path(args.path).read_text(errors="replace")
    with_db = _database_available(settings) and not args.no_db
    if with_db:
        from app.adapters.database.migrate import upgrade

        with build_container(settings) as container:
            upgrade(container.database_url)
            analysis = container.analyzer.analyze_text(raw)
    else:
        with ExitStack() as opened:
            analysis = build_offline_analyzer(settings, opened).analyze_text(raw)
    print(render_analysis(analysis, as_json=args.json, with_db=with_db))
    return 0


def render_analysis(analysis, *, as_json: bool, with_db: bool) -> str:
    verdict, parts = analysis.verdict, analysis.confidence
    data = {
        "category": verdict.category.value,
        "action": verdict.action.value,
        "fixability": verdict.fixability.value,
        "root_cause": verdict.root_cause,
        "classifier": verdict.classifier,
        "note": verdict.note,
        "confidence": parts.model_dump(),
        "signature": analysis.signature_hash,
        "evidence": verdict.evidence,
        "similar": [s.model_dump() for s in analysis.similar],
        "embeddings": analysis.space.model_dump(),
        "fallbacks": [f.model_dump() for f in analysis.fallbacks],
    }
    if as_json:
        return json.dumps(data, indent=2)
    lines = [
        f"category     {data['category']}",
        f"action       {data['action']}",
        f"fixability   {data['fixability']}",
        f"root cause   {data['root_cause']}",
        f"classifier   {data['classifier']}" + (f" ({data['note']})" if data["note"] else ""),
        f"confidence   {parts.total:.2f} = classifier {parts.classifier:.2f} · "
        f"similarity {parts.similarity:.2f} · history {parts.history:.2f}",
        f"signature    {data['signature'][:16]}",
        f"embeddings   {analysis.space.embedder} · {analysis.space.model}",
        *[
            f"fallback     {f.stage} by {f.used} instead of {f.configured}: {f.reason}"
            for f in analysis.fallbacks
        ],
        "evidence",
        *[f"  | {line}" for line in verdict.evidence],
    ]
    if not with_db:
        lines.append("similar      (no database: set DATABASE_URL or run `codehealer serve` once)")
    else:
        lines.append("similar" + ("" if analysis.similar else "      none yet"))
        lines += [
            f"  #{s.incident_id} {s.similarity:.2f} {s.category}/{s.action} → {s.outcome}"
            for s in analysis.similar
        ]
    return "\n".join(lines)


def cmd_sweep(args: argparse.Namespace) -> int:
    from app.bootstrap import build_container

    settings = _settings(args)
    container = build_container(settings)
    try:
        print(json.dumps(container.new_sweeper().run(), indent=2, default=str))
    finally:
        container.close()
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from app.bootstrap import build_container
    from app.core.enums import Strategy
    from app.services.replay import replay

    settings = _settings(args)
    container = build_container(settings)
    try:
        thresholds = container.decider.thresholds()
        if args.threshold is not None:
            thresholds = thresholds.model_copy(
                update={"auto": args.threshold, "conservative_auto": args.threshold}
            )
        report = replay(
            container.decider,
            since=_since(args.since),
            strategy=Strategy(args.strategy) if args.strategy else None,
            thresholds=thresholds,
        )
    finally:
        container.close()
    print(report.table())
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from app.bootstrap import build_container
    from app.services.autonomy import render_grants
    from app.services.learning import apply_thresholds, calibrate

    settings = _settings(args)
    container = build_container(settings)
    try:
        report = calibrate(
            container.db,
            target_precision=settings.decision.target_precision,
            min_samples=args.min_samples,
        )
        print(report.render())
        print()
        print(render_grants(container.db))
        if args.apply:
            apply_thresholds(container.db, report.choices)
            print(
                f"\napplied {len(report.choices)} threshold(s); decisions use them from now on, "
                "for their actions instead of earned autonomy"
            )
    finally:
        container.close()
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from app.bootstrap import build_container
    from app.services.reports import render_markdown, render_slack

    settings = _settings(args)
    container = build_container(settings)
    try:
        reporter = container.new_reporter()
        report = reporter.build(since=_since(args.since))
        text = render_slack(report) if args.format == "slack" else render_markdown(report)
        print(text)
        if args.post:
            return _post_report(reporter, report)
    finally:
        container.close()
    return 0


def _pause_scope(args: argparse.Namespace) -> dict:
    from app.core.enums import ActionKind, IncidentSource

    return {
        "source": IncidentSource(args.source) if args.source else None,
        "action": ActionKind(args.action) if args.action else None,
    }


def _operator() -> str:
    """Who runs the command, for the record: ``cli:<login>``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in some containers
        return "cli"


def cmd_pause(args: argparse.Namespace) -> int:
    from app.bootstrap import build_container

    container = build_container(_settings(args))
    try:
        change = container.pauses.pause(**_pause_scope(args), by=_operator(), reason=args.reason)
    finally:
        container.close()
    if not change.changed:
        print(f"already paused: {change.pause.summary}")
        return 0
    print(f"paused: {change.pause.summary}")
    print("decisions are still made and recorded; fixes that would run alone wait for approval")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from app.bootstrap import build_container

    container = build_container(_settings(args))
    try:
        ended = container.pauses.resume(**_pause_scope(args), by=_operator())
        active = container.pauses.active()
    finally:
        container.close()
    if ended is None:
        print("codehealer: no pause of exactly that scope is in force", file=sys.stderr)
        print(_render_pauses(active), file=sys.stderr)
        return 1
    print(f"resumed: {ended.scope} (paused by {ended.paused_by})")
    print(_render_pauses(active))
    return 0


def cmd_pauses(args: argparse.Namespace) -> int:
    from app.bootstrap import build_container

    container = build_container(_settings(args))
    try:
        active = container.pauses.active()
    finally:
        container.close()
    print(_render_pauses(active))
    return 0


def _render_pauses(pauses: list) -> str:
    from app.domain.pauses import scope_options

    if not pauses:
        return "no pauses in force: automatic fixes run as decided"
    lines = [f"{len(pauses)} pause(s) in force:"]
    for pause in pauses:
        options = scope_options(pause) or "with no option"
        lines.append(f"  #{pause.id} {pause.summary}  (resume: {options})")
    return "\n".join(lines)


def _add_scope(parser: argparse.ArgumentParser) -> None:
    from app.core.enums import ActionKind, IncidentSource

    parser.add_argument("--source", choices=[s.value for s in IncidentSource])
    actions = [a.value for a in ActionKind if a is not ActionKind.NONE]
    parser.add_argument("--action", choices=actions)


def _post_report(reporter, report: dict) -> int:
    from app.core.errors import SlackError

    if reporter.slack is None:
        print("codehealer: --post needs SLACK_BOT_TOKEN", file=sys.stderr)
        return 1
    try:
        posted = reporter.post(report)
    except SlackError as exc:
        print(f"codehealer: posting the report to Slack failed: {exc}", file=sys.stderr)
        return 1
    print(f"posted to {posted.channel} (ts {posted.ts})", file=sys.stderr)
    return 0


def _since(text: str):
    from datetime import UTC, datetime, timedelta

    units = {"d": "days", "h": "hours", "m": "minutes", "w": "weeks"}
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise SystemExit(
            f"codehealer: --since takes a number and a unit (7d, 12h, 30m, 2w), got {text!r}"
        )
    return datetime.now(UTC) - timedelta(**{units[text[-1]]: int(text[:-1])})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codehealer", description=__doc__)
    parser.add_argument("--log-format", choices=["json", "text"], default=None)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API and an in-process worker")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-worker", action="store_true", help="API only")
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser(
        "demo", help="the service with a local stand-in for GitHub and recorded failures"
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--data-dir", default=".codehealer-demo", help="embedded database folder")
    demo.add_argument(
        "--duration", type=float, default=60.0, help="seconds the failures arrive over"
    )
    demo.set_defaults(func=cmd_demo, no_worker=False)

    worker = sub.add_parser("worker", help="run only the worker")
    worker.add_argument("--once", action="store_true", help="process what is claimable, then exit")
    worker.set_defaults(func=cmd_worker)

    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="migrate to a revision (default head)")
    up.add_argument("revision", nargs="?", default="head")
    down = db_sub.add_parser("downgrade", help="migrate down to a revision (default base)")
    down.add_argument("revision", nargs="?", default="base")
    db_sub.add_parser("current", help="print the schema revision")
    seed = db_sub.add_parser(
        "seed-reference",
        help="load the labelled failures CodeHealer ships with as reference memory (once)",
    )
    seed.add_argument("--remove", action="store_true", help="forget the reference memory")
    db.set_defaults(func=cmd_db)

    sample = sub.add_parser("send-sample", help="POST a signed sample GitHub delivery")
    sample.add_argument("--url", default="http://127.0.0.1:8000")
    sample.add_argument("--file", default=str(DEFAULT_SAMPLE))
    sample.add_argument("--event", default="workflow_run")
    sample.add_argument("--delivery-id", default=None)
    sample.add_argument("--secret", default=None, help="default: GITHUB_WEBHOOK_SECRET")
    sample.set_defaults(func=cmd_send_sample)
    analyze = sub.add_parser("analyze", help="analyze a raw log file (or - for stdin)")
    analyze.add_argument("path")
    analyze.add_argument("--json", action="store_true")
    analyze.add_argument("--no-db", action="store_true", help="skip similar incidents and history")
    analyze.set_defaults(func=cmd_analyze)

    sweep = sub.add_parser(
        "sweep", help="close stale attempts, reconcile missed runs, re-claim stuck work"
    )
    sweep.set_defaults(func=cmd_sweep)

    what_if = sub.add_parser("replay", help="re-decide stored incidents with other settings")
    what_if.add_argument("--strategy", choices=["conservative", "slack_first", "hybrid"])
    what_if.add_argument("--threshold", type=float, default=None, help="auto-fix threshold")
    what_if.add_argument("--since", default="7d")
    what_if.set_defaults(func=cmd_replay)
    calibrate = sub.add_parser(
        "calibrate", help="reliability table, safe auto-fix thresholds and earned autonomy"
    )
    calibrate.add_argument(
        "--apply",
        action="store_true",
        help="override: decisions use these per-action thresholds instead of earned autonomy",
    )
    calibrate.add_argument("--min-samples", type=int, default=20)
    calibrate.set_defaults(func=cmd_calibrate)

    report = sub.add_parser("report", help="what self-healing did, and how often it was right")
    report.add_argument("--since", default="7d")
    report.add_argument("--format", choices=["md", "slack"], default="md")
    report.add_argument("--post", action="store_true", help="post to SLACK_CHANNEL")
    report.set_defaults(func=cmd_report)

    pause = sub.add_parser(
        "pause", help="pause automatic fixes (all, or one --source and/or --action)"
    )
    _add_scope(pause)
    pause.add_argument("--reason", default="", help="why, for the record and Slack")
    pause.set_defaults(func=cmd_pause)
    resume = sub.add_parser("resume", help="end the pause of exactly that --source/--action")
    _add_scope(resume)
    resume.set_defaults(func=cmd_resume)
    pauses = sub.add_parser("pauses", help="list the pauses in force")
    pauses.set_defaults(func=cmd_pauses)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigurationError as exc:
        print(f"codehealer: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
