"""Where the CPU of one webhook ingest goes: the steps of `IngestService.ingest` timed one by one
(CPU time of this process, sequential, no HTTP), beside cheaper forms of the two costliest
steps, and the statements one ingest sends to PostgreSQL.

Companion of bench_ingest.py: that one measures the server; this one says why it costs what
it does. Runs against a throwaway embedded PostgreSQL with the migrated schema.

Rows:
- json.loads / parse_github_event: request parsing.
- mask_mapping(payload): the current masking, every string of the ~20 KB payload through
  every secret rule; beside it, the same rules run once over the serialized payload.
- incident upsert: `IncidentRepository.upsert` in its own session (as ingest runs it), beside
  the same INSERT ... ON CONFLICT built once with bind parameters and executed with a dict.
- session checkout: an empty session (pool checkout with pre-ping, BEGIN, COMMIT).
- full ingest: `IngestService.ingest` end to end.

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


def prebuilt_upsert():
    """The statement IncidentRepository.upsert builds per call, built once with bindparams."""
    from sqlalchemy import bindparam, func, literal_column, text
    from sqlalchemy.dialects.postgresql import insert

    from app.adapters.database.repositories.incidents import _RUN_FIELDS
    from app.adapters.database.tables import Incident

    table = Incident.__table__

    def build(columns: list[str], authoritative: bool):
        base = insert(table)
        excluded = base.excluded
        merged = {
            name: (
                func.coalesce(excluded[name], table.c[name])
                if authoritative
                else func.coalesce(table.c[name], excluded[name])
            )
            for name in _RUN_FIELDS
        }
        merged["failed_jobs"] = text(
            "(SELECT coalesce(jsonb_agg(DISTINCT e), '[]'::jsonb) FROM "
            "jsonb_array_elements(incidents.failed_jobs || excluded.failed_jobs) AS e)"
        )
        merged["updated_at"] = func.now()
        return (
            base.values({c: bindparam(c, type_=table.c[c].type) for c in columns})
            .on_conflict_do_update(constraint="uq_incidents_source_dedup_key", set_=merged)
            .returning(table.c.id, table.c.status, literal_column("(xmax = 0)").label("created"))
        )

    return build


def draft_values(draft) -> dict:
    values = draft.model_dump(exclude={"authoritative", "failed_jobs"}, mode="python")
    values["source"] = draft.source.value
    values["kind"] = draft.kind.value
    values["severity"] = draft.severity.value
    values["failed_jobs"] = [job.model_dump() for job in draft.failed_jobs]
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="repetitions per row")
    args = parser.parse_args(argv)
    n = max(10, min(args.n, 5000))

    from sqlalchemy import event

    from app.adapters.database.migrate import upgrade
    from app.adapters.database.repositories.incidents import IncidentRepository
    from app.bootstrap import build_container
    from app.core.config import Settings
    from app.core.enums import IncidentSource
    from app.core.events.github import parse_github_event
    from app.core.redaction import mask_mapping, mask_secrets

    banner("ingest breakdown: CPU per step of one webhook ingest (no HTTP)")
    pg = ThrowawayPostgres().start()
    try:
        url = pg.fresh_database("bench_breakdown")
        upgrade(url)
        settings = Settings(database_url=url, github_webhook_secret="x", log_level="WARNING")
        container = build_container(settings)
        raw = FAILURE_FIXTURE.read_bytes()
        payload = json.loads(raw)
        event_ = parse_github_event("workflow_run", payload)
        counter = iter(range(10**9))
        print(f"payload: {FAILURE_FIXTURE.name}, {len(raw)} bytes, {n} repetitions per row\n")

        print("request parsing")
        timed("json.loads(body)", lambda i: json.loads(raw), n)
        timed(
            "parse_github_event(payload)", lambda i: parse_github_event("workflow_run", payload), n
        )
        print("masking the stored payload")
        timed("mask_mapping(payload)  [current]", lambda i: mask_mapping(payload), n)
        timed(
            "mask_secrets(json.dumps(payload))  [one pass over the text]",
            lambda i: mask_secrets(json.dumps(payload)),
            n,
        )
        same = mask_secrets(json.dumps(payload)) == json.dumps(payload)
        print(f"  (this payload holds nothing to mask: one pass finds nothing = {same})")

        print("incident upsert, own session")

        def current(i):
            draft = event_.draft.model_copy(update={"dedup_key": f"a#{next(counter)}"})
            with container.db.session() as session:
                IncidentRepository(session).upsert(draft)

        timed("IncidentRepository.upsert  [current]", current, n)
        build = prebuilt_upsert()
        columns = list(draft_values(event_.draft))
        statement = build(columns, event_.draft.authoritative)

        def prebuilt(i):
            draft = event_.draft.model_copy(update={"dedup_key": f"b#{next(counter)}"})
            with container.db.session() as session:
                session.connection().execute(statement, draft_values(draft)).one()

        timed("same upsert built once, executed with a dict", prebuilt, n)

        def empty(i):
            with container.db.session() as session:
                session.connection()

        timed("empty session (pool checkout with pre-ping, commit)", empty, n)

        print("whole ingest")
        sent: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            sent.append(statement.split(None, 3)[:3][0])

        def ingest(i):
            body = raw.replace(b"289782451", str(600_000_000 + next(counter)).encode())
            p = json.loads(body)
            parsed = container.ingest.parse(IncidentSource.GITHUB, "workflow_run", p)
            container.ingest.ingest(
                source=IncidentSource.GITHUB,
                delivery_id=str(uuid.uuid4()),
                event_type="workflow_run",
                payload=p,
                event=parsed,
            )

        timed("IngestService.ingest (parse + store + enqueue)", ingest, n)
        event.listen(container.db.engine, "before_cursor_execute", count)
        for i in range(20):
            ingest(i)
        event.remove(container.db.engine, "before_cursor_execute", count)
        kinds = {k: sent.count(k) // 20 for k in dict.fromkeys(sent)}
        print(
            f"  statements per ingest: {sum(kinds.values())} ({kinds}), plus the pool's pre-ping, "
            f"BEGIN and COMMIT: {sum(kinds.values()) + 3} round trips"
        )
        container.close()
    finally:
        pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
