"""Where the CPU of one webhook ingest goes: the steps of `IngestService.ingest` timed one by one
(CPU time of this process, sequential, no HTTP), and the statements one ingest sends to
PostgreSQL.

Companion of bench_ingest.py: that one measures the server; this one says why it costs what
it does. Runs against a throwaway embedded PostgreSQL with the migrated schema.

Rows:
- decode_json_object / parse_github_event / parse_github_delivery: request parsing (the last is
  the registered parser: decoding, the event and the signal it is wrapped in).
- mask_mapping(payload): the secret rules over every string of the ~20 KB payload the first
  time, and for the next delivery of the same repository (only its new strings are scanned).
- the ingest statement (delivery + incident upsert + audit entry in one statement) as ingest
  runs it (a pooled connection in autocommit), beside the same SQL on a bare psycopg
  connection, and a pool checkout alone: the pool's own share.
- full ingest: `IngestService.receive` end to end.

Usage: python benchmarks/ingest_breakdown.py [--n 300]
"""

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import FAILURE_FIXTURE, ThrowawayPostgres, banner  # noqa: E402


def timed(label: str, fn, n: int) -> float:
    for i in range(min(20, n)):
        fn(i)
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        fn(i)
    cpu_ms = (time.process_time() - cpu) / n * 1000
    wall_ms = (time.perf_counter() - wall) / n * 1000
    print(f"  {label:<58} {cpu_ms:7.2f} ms CPU  {wall_ms:7.2f} ms wall")
    return cpu_ms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="repetitions per row")
    args = parser.parse_args(argv)
    n = max(10, min(args.n, 5000))

    import psycopg
    from sqlalchemy import event

    from app.adapters.database import engine as engine_module
    from app.adapters.database.migrate import upgrade
    from app.adapters.database.repositories import ingest as ingest_sql
    from app.bootstrap import build_container
    from app.core.enums import IncidentSource
    from app.core.events.github import parse_github_delivery, parse_github_event
    from app.core.events.signals import Delivery
    from app.core.json_body import decode_json_object
    from app.core.redaction import mask_mapping
    from app.settings_loader import load_settings

    banner("ingest breakdown: CPU per step of one webhook ingest (no HTTP)")
    pg = ThrowawayPostgres().start()
    try:
        url = pg.fresh_database("bench_breakdown")
        upgrade(url)
        settings = load_settings(
            overrides={"DATABASE_URL": url, "GITHUB_WEBHOOK_SECRET": "x", "LOG_LEVEL": "WARNING"}
        )
        container = build_container(settings)
        raw = FAILURE_FIXTURE.read_bytes()
        payload = json.loads(raw)
        event_ = parse_github_event("workflow_run", payload)
        counter = iter(range(10**9))
        print(f"payload: {FAILURE_FIXTURE.name}, {len(raw)} bytes, {n} repetitions per row\n")

        print("request parsing")
        timed("decode_json_object(body)", lambda i: decode_json_object(raw), n)
        timed(
            "parse_github_event(payload)", lambda i: parse_github_event("workflow_run", payload), n
        )
        headers = {"x-github-event": "workflow_run", "x-github-delivery": "d"}
        timed(
            "parse_github_delivery(delivery), decoding included",
            lambda i: parse_github_delivery(Delivery(IncidentSource.GITHUB, raw, headers)),
            n,
        )
        print("masking the stored payload")
        from app.core import redaction

        def first_sight(i):
            redaction._KNOWN_CLEAN.clear()
            mask_mapping(payload)

        def next_delivery(i):
            varied = json.loads(raw.replace(b"289782451", str(700_000_000 + i).encode()))
            started = time.process_time()
            mask_mapping(varied)
            return time.process_time() - started

        timed("mask_mapping(payload), every string new", first_sight, n)
        for i in range(20):
            next_delivery(i)
        spent = sum(next_delivery(20 + i) for i in range(n)) / n * 1000
        print(
            f"  {'mask_mapping, next delivery of the repository (run id new)':<58} {spent:7.2f} ms CPU"
        )
        print(f"  (nothing to mask in this payload: {mask_mapping(payload) is payload})")

        print("the ingest statement (delivery + incident upsert + audit entry)")

        def delivery(i: int) -> ingest_sql.DeliveryRow:
            return ingest_sql.DeliveryRow("github", f"d#{i}", "workflow_run", raw.decode())

        def autocommitted(i):
            draft = event_.draft.model_copy(update={"dedup_key": f"a#{next(counter)}"})
            with container.db.autocommit() as connection:
                repository = ingest_sql.IngestRepository(connection)
                repository.record_failure(delivery(next(counter)), draft)

        timed("record_failure, pooled connection's driver (as ingest)", autocommitted, n)
        sql = ingest_sql._RECORD_FAILURE_SQL[True, False]  # a run event, no Slack post queued
        with psycopg.connect(pg.server_url("bench_breakdown"), autocommit=True) as conn:

            def bare(i):
                draft = event_.draft.model_copy(update={"dedup_key": f"b#{next(counter)}"})
                params = ingest_sql._draft_params(draft)
                params.update(ingest_sql._delivery_params(delivery(next(counter))))
                params["audit_details"] = "{}"
                conn.execute(sql, params).fetchone()

            timed("same SQL, one bare psycopg connection", bare, n)

        def empty(i):
            with container.db.autocommit() as connection:
                connection.connection  # noqa: B018 - checks the connection out (with pre-ping)

        timed("pool checkout with pre-ping, nothing sent", empty, n)

        print("whole ingest")
        sent: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            sent.append(statement.split(None, 3)[:3][0])

        def ingest(i):
            body = raw.replace(b"289782451", str(600_000_000 + next(counter)).encode())
            sent_headers = {
                "x-github-event": "workflow_run",
                "x-github-delivery": str(uuid.uuid4()),
            }
            container.ingest.receive(Delivery(IncidentSource.GITHUB, body, sent_headers))

        timed("IngestService.receive (decode + parse + mask + store + enqueue)", ingest, n)
        driver_first_row = engine_module.first_row

        def counted_first_row(connection, sql, params):
            sent.append(sql.split(None, 1)[0])
            return driver_first_row(connection, sql, params)

        event.listen(container.db.engine, "before_cursor_execute", count)
        engine_module.first_row = counted_first_row
        ingest_sql.first_row = counted_first_row
        for i in range(20):
            ingest(i)
        ingest_sql.first_row = engine_module.first_row = driver_first_row
        event.remove(container.db.engine, "before_cursor_execute", count)
        kinds = {k: sent.count(k) // 20 for k in dict.fromkeys(sent)}
        print(
            f"  statements per ingest: {sum(kinds.values())} ({kinds}), autocommitted, plus the "
            f"pool's pre-ping: {sum(kinds.values()) + 1} round trips"
        )
        container.close()
    finally:
        pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
