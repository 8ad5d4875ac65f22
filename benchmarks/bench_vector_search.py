"""Similar-incident search: top-5 by cosine distance over 100k incidents with 768-d embeddings,
through the application's own query path, against exact search.

A throwaway embedded PostgreSQL + pgvector; the schema comes from the migrations. The HNSW
index ``ix_incidents_embedding_hnsw`` is read from the migrated schema, dropped, and created
again with the very same definition after the rows are loaded (building once is much faster
than growing the graph row by row); the script checks that the definition it measured is the
migration's.

Data (seeded, deterministic): unit vectors around ``--clusters`` random centroids, cluster
sizes skewed (a few failure types are frequent, most are rare: cluster = floor(K·u²)), each
vector = centroid + uniform noise whose size relative to the centroid is drawn from
U(0.3, 1.0) (cosine to its centroid about 0.7 to 0.96), then normalised. Queries are new draws
from the same process. Rows go in with one binary COPY.

Latency: each query is a `Database.session()` → `SimilarIncidentRepository.nearest(embedding,
k=5, ef_search=ef)` → commit, as the analyzer runs it (pool checkout with pre-ping, one
statement setting `hnsw.ef_search` and `enable_seqscan = off` for the transaction, the
ORDER BY ... LIMIT query with the vector bound in binary, commit), timed on the client.
Recall@5: the ids returned against the exact top-5 (ORDER BY distance over an unindexed copy
of the same rows, index scans off), for the first ``--recall-queries`` queries.

Beside each app figure, the same two statements straight through psycopg ("driver"), to
separate the database's share from the application's.

The server runs with shared_buffers=1GB by default so the HNSW graph (~390 MB at 100k rows)
stays in PostgreSQL's cache, as pgvector advises; ``--shared-buffers stock`` keeps the
embedded server's 128MB, where most index pages come from the OS page cache instead.

Targets: p99 < 5 ms and recall@5 >= 0.98 at the application's ef_search (HNSW_EF_SEARCH,
default 100). 40/100/200 are measured to show the trade-off.

Usage: python benchmarks/bench_vector_search.py [--rows 100000] [--queries 1000]
       [--recall-queries 200] [--ef 40,100,200] [--seed 42] [--shared-buffers 1GB] [--check]
With --check the exit status is 1 when a target is missed.
"""

import argparse
import math
import operator
import os
import random
import struct
import sys
import time
from array import array
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ThrowawayPostgres, banner, percentile  # noqa: E402

from app.core.analysis.models import EmbeddingSpace  # noqa: E402

TARGET_P99_MS = 5.0
TARGET_RECALL = 0.98
INDEX = "ix_incidents_embedding_hnsw"
CATEGORIES = [
    ("transient_network", "rerun_failed_jobs"),
    ("rate_limited", "rerun_failed_jobs"),
    ("runner_infrastructure", "rerun_failed_jobs"),
    ("dependency_resolution", "rerun_no_cache"),
    ("compile_error", "none"),
    ("test_failure", "none"),
    ("out_of_memory", "none"),
    ("timeout", "rerun_failed_jobs"),
]
COPY_COLUMNS = (
    "source, kind, dedup_key, fingerprint, status, severity, title, repo, run_id, "
    "category, action, signature_hash, embedding, embedder, embedding_model"
)
# Every row is of one model, as on an installation that never changed it: the search's model
# filter keeps them all.
SPACE = EmbeddingSpace(embedder="nim", model="nvidia/llama-3.2-nv-embedqa-1b-v2")


class Generator:
    """Seeded clustered unit vectors."""

    UNIFORM_INT8_SD = 73.9  # standard deviation of a uniform byte in -128..127

    def __init__(self, seed: int, dim: int, clusters: int):
        self.dim, self.clusters = dim, clusters
        rng = random.Random(seed)
        self.centroids = []
        for _ in range(clusters):
            v = [rng.gauss(0.0, 1.0) for _ in range(dim)]
            inv = 1.0 / math.hypot(*v)
            self.centroids.append([x * inv for x in v])
        self.noise_unit = 1.0 / (self.UNIFORM_INT8_SD * math.sqrt(dim))

    def draw(self, rng: random.Random) -> tuple[int, list[float]]:
        cluster = min(self.clusters - 1, int(self.clusters * rng.random() ** 2))
        scale = rng.uniform(0.3, 1.0) * self.noise_unit
        noise = array("b", rng.randbytes(self.dim))
        v = list(map(operator.add, self.centroids[cluster], map(scale.__mul__, noise)))
        inv = 1.0 / math.hypot(*v)
        return cluster, list(map(inv.__mul__, v))


def copy_row(i: int, cluster: int, vec: list[float], dim: int, fmt: struct.Struct) -> bytes:
    category, action = CATEGORIES[cluster % len(CATEGORIES)]
    fields = [
        b"github",
        b"workflow_run",
        f"octo-org/repo-{i % 50}#{1_000_000 + i}#1".encode(),
        f"github:octo-org/repo-{i % 50}:ci:main".encode(),
        b"resolved" if i % 3 else b"escalated",
        b"medium",
        f"CI failed on run {1_000_000 + i}".encode(),
        f"octo-org/repo-{i % 50}".encode(),
        struct.pack(">q", 1_000_000 + i),
        category.encode(),
        action.encode(),
        f"{cluster:064x}".encode(),
        fmt.pack(dim, 0, *vec),  # pgvector's binary form: dim, unused, float4 values
        SPACE.embedder.encode(),
        SPACE.model.encode(),
    ]
    return struct.pack(">h", len(fields)) + b"".join(struct.pack(">i", len(f)) + f for f in fields)


def load(url: str, args, gen: Generator) -> dict[str, float]:
    """COPY the rows in, build the index with the migration's definition, ANALYZE."""
    import psycopg

    timings: dict[str, float] = {}
    rng = random.Random(args.seed + 1)
    fmt = struct.Struct(f">hh{args.dim}f")
    with psycopg.connect(url, autocommit=True) as conn:
        definition = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s", (INDEX,)
        ).fetchone()[0]
        conn.execute(f"DROP INDEX {INDEX}")
        started = time.perf_counter()
        gen_seconds = 0.0
        header = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
        with conn.cursor().copy(
            f"COPY incidents ({COPY_COLUMNS}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.write(header)
            batch = []
            for i in range(args.rows):
                t = time.perf_counter()
                cluster, vec = gen.draw(rng)
                batch.append(copy_row(i, cluster, vec, args.dim, fmt))
                gen_seconds += time.perf_counter() - t
                if len(batch) == 1000:
                    copy.write(b"".join(batch))
                    batch = []
                if time.perf_counter() - started > args.max_load_seconds:
                    raise SystemExit(f"loading took over {args.max_load_seconds}s; stopped")
            if batch:
                copy.write(b"".join(batch))
            copy.write(struct.pack(">h", -1))
        timings["generate+copy"] = time.perf_counter() - started
        timings["generate (python)"] = gen_seconds
        conn.execute(f"SET maintenance_work_mem = '{args.maintenance_work_mem}'")
        conn.execute(f"SET statement_timeout = '{int(args.max_build_seconds)}s'")
        started = time.perf_counter()
        conn.execute(definition)
        timings["index build"] = time.perf_counter() - started
        conn.execute("RESET statement_timeout")
        again = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s", (INDEX,)
        ).fetchone()[0]
        assert again == definition, (again, definition)
        started = time.perf_counter()
        conn.execute("ANALYZE incidents")
        timings["analyze"] = time.perf_counter() - started
        sizes = conn.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('incidents')), "
            "pg_size_pretty(pg_relation_size(%s))",
            (INDEX,),
        ).fetchone()
    print(f"index   : {definition}")
    print(f"sizes   : table with TOAST and indexes {sizes[0]}, HNSW index {sizes[1]}")
    return timings


def vector_literal(vec: list[float]) -> str:
    return "[" + ",".join(str(float(x)) for x in vec) + "]"  # as pgvector.sqlalchemy sends it


def exact_top(url: str, queries: list[list[float]], k: int, limit: float) -> list[list[int]]:
    """Exact top-k: ORDER BY distance over a copy of the same (id, embedding) rows that has no
    index, stored inline (no TOAST) so a full scan is affordable; same operator, same floats."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE bench_exact (id bigint PRIMARY KEY, embedding vector(768) NOT NULL)"
        )
        conn.execute("ALTER TABLE bench_exact ALTER COLUMN embedding SET STORAGE PLAIN")
        conn.execute(
            "INSERT INTO bench_exact SELECT id, embedding FROM incidents "
            "WHERE embedding IS NOT NULL"
        )
        conn.execute("ANALYZE bench_exact")
    out = []
    deadline = time.perf_counter() + limit
    with psycopg.connect(url) as conn:
        for q in queries:
            if time.perf_counter() > deadline:
                break
            with conn.transaction():
                conn.execute("SET LOCAL enable_indexscan = off")
                rows = conn.execute(
                    "SELECT id FROM bench_exact ORDER BY embedding <=> %s::vector LIMIT %s",
                    (vector_literal(q), k),
                ).fetchall()
            out.append([r[0] for r in rows])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE bench_exact")
    return out


def app_statement(db, vec: list[float], ef: int) -> tuple[str, object]:
    """The SQL text and parameters the application sends for one nearest() call."""
    from sqlalchemy import event

    from app.adapters.database.repositories.similar import SimilarIncidentRepository

    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "ORDER BY" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.session() as session:
            SimilarIncidentRepository(session).nearest(vec, space=SPACE, k=5, ef_search=ef)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return seen[0]


def plan_of_app_query(db, vec: list[float], ef: int) -> tuple[str, str]:
    """EXPLAIN ANALYZE of the application's own statement, after its own search settings."""
    from app.adapters.database.repositories.similar import _SEARCH_SETTINGS_SQL

    statement, parameters = app_statement(db, vec, ef)
    with db.session() as session:
        connection = session.connection()
        connection.exec_driver_sql(_SEARCH_SETTINGS_SQL, {"ef_search": str(int(ef))})
        raw = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        lines = [r[0] for r in raw]
    node = next((ln.strip() for ln in lines if "Scan" in ln), lines[0]).split("  (")[0]
    execution = next((ln for ln in lines if ln.startswith("Execution Time")), "")
    buffers = next((ln.strip() for ln in lines if ln.strip().startswith("Buffers")), "")
    return node.removeprefix("-> ").strip(), f"{execution}; {buffers}"


def raw_driver_latencies(url: str, statement: str, template: dict, queries, ef: int) -> list:
    """The same two statements as the application sends (search settings, then the query with
    the vector in binary), straight through psycopg on one connection (BEGIN, settings, query,
    COMMIT): the floor that the application's path is compared with."""
    import psycopg

    from app.adapters.database.repositories.similar import _SEARCH_SETTINGS_SQL
    from app.adapters.database.vectors import BinaryVector, register_binary_vectors

    out = []
    with psycopg.connect(url) as conn:
        register_binary_vectors(conn.adapters)
        for i, q in enumerate(queries):
            params = {**template, "query": BinaryVector(q)}
            t = time.perf_counter()
            with conn.transaction():
                conn.execute(_SEARCH_SETTINGS_SQL, {"ef_search": str(int(ef))})
                conn.execute(statement, params).fetchall()
            if i >= 20:  # the first few plan and prepare
                out.append(time.perf_counter() - t)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=768)
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--recall-queries", type=int, default=200)
    parser.add_argument("--ef", default="40,100,200", help="hnsw.ef_search values to measure")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--maintenance-work-mem", default="1GB", help="for the index build")
    parser.add_argument(
        "--shared-buffers",
        default="1GB",
        help="server setting; 1GB holds the ~390 MB index (pgvector wants the graph in memory; "
        "RDS gives 25%% of RAM). 'stock' keeps the embedded server's 128MB",
    )
    parser.add_argument("--max-load-seconds", type=float, default=120)
    parser.add_argument("--max-build-seconds", type=float, default=300)
    parser.add_argument("--max-exact-seconds", type=float, default=120)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    ef_values = [int(x) for x in args.ef.split(",") if x.strip()]
    if not (1 <= args.rows <= 2_000_000 and 1 <= args.queries <= 100_000 and ef_values):
        parser.error("rows 1..2,000,000, queries 1..100,000, at least one ef")
    args.recall_queries = min(args.recall_queries, args.queries)

    from app.adapters.database.engine import Database, create_db_engine
    from app.adapters.database.migrate import upgrade
    from app.adapters.database.repositories.similar import SimilarIncidentRepository
    from app.core.settings_parts import DatabaseSettings
    from app.settings_loader import load_settings

    app_ef = load_settings(dict(os.environ)).analysis.hnsw_ef_search
    if args.dim != 768:
        parser.error("the incidents.embedding column is vector(768)")

    banner("similar-incident search: top-5 cosine over HNSW, through the app's query path")
    t_all = time.perf_counter()
    server_settings = (
        {} if args.shared_buffers == "stock" else {"shared_buffers": args.shared_buffers}
    )
    pg = ThrowawayPostgres(server_settings).start()
    try:
        print(
            f"database: {pg.version()}, embedded, temporary; "
            f"{pg.show('shared_buffers', 'max_parallel_maintenance_workers', 'work_mem')}; "
            f"index built with maintenance_work_mem={args.maintenance_work_mem}"
        )
        url = pg.fresh_database("bench_vectors")
        upgrade(url)
        print(
            f"data    : {args.rows} rows, {args.dim}-d unit vectors, {args.clusters} skewed "
            f"clusters, seed {args.seed}; {args.queries} queries ({args.recall_queries} with "
            f"exact ground truth)"
        )
        t = time.perf_counter()
        gen = Generator(args.seed, args.dim, args.clusters)
        t_centroids = time.perf_counter() - t
        timings = load(url, args, gen)
        print(
            "load    : "
            + f"centroids {t_centroids:.1f}s; "
            + "; ".join(f"{k} {v:.1f}s" for k, v in timings.items())
        )
        qrng = random.Random(args.seed + 2)
        queries = [gen.draw(qrng)[1] for _ in range(args.queries)]

        t = time.perf_counter()
        truth = exact_top(url, queries[: args.recall_queries], 5, args.max_exact_seconds)
        t_exact = time.perf_counter() - t
        print(
            f"exact   : {len(truth)} queries by plain scan in {t_exact:.1f}s "
            f"({t_exact / max(len(truth), 1) * 1000:.0f} ms each)"
        )

        db = Database(create_db_engine(url, DatabaseSettings(url=url)))
        results = {}
        try:
            for q in queries[:50]:  # warm the pool, the plan cache and the index pages
                with db.session() as session:
                    SimilarIncidentRepository(session).nearest(
                        q, space=SPACE, k=5, ef_search=max(ef_values)
                    )
            print()
            print(
                "ef_search  path     p50 ms  p95 ms  p99 ms  max ms  recall@5  "
                "plan of the app's statement (EXPLAIN ANALYZE of one query)"
            )
            for ef in ef_values:
                latencies, found = [], []
                for q in queries:
                    t = time.perf_counter()
                    with db.session() as session:
                        rows = SimilarIncidentRepository(session).nearest(
                            q, space=SPACE, k=5, ef_search=ef
                        )
                    latencies.append(time.perf_counter() - t)
                    found.append([r.incident_id for r in rows])
                hits = sum(len(set(f) & set(e)) for f, e in zip(found, truth, strict=False))
                recall = hits / max(sum(len(e) for e in truth), 1)
                node, execution = plan_of_app_query(db, queries[0], ef)
                p50, p95, p99 = (percentile(latencies, p) * 1000 for p in (50, 95, 99))
                results[ef] = (p99, recall)
                print(
                    f"{ef:>9}  app    {p50:7.2f} {p95:7.2f} {p99:7.2f} "
                    f"{max(latencies) * 1000:7.2f} {recall:9.3f}  {node}; {execution}"
                )
                statement, template = app_statement(db, queries[0], ef)
                raw = raw_driver_latencies(url, statement, template, queries, ef)
                r50, r95, r99 = (percentile(raw, p) * 1000 for p in (50, 95, 99))
                print(
                    f"{ef:>9}  driver {r50:7.2f} {r95:7.2f} {r99:7.2f} {max(raw) * 1000:7.2f}"
                    f"           same statements, psycopg only"
                )
        finally:
            db.dispose()
    finally:
        pg.stop()

    print()
    print(
        f"application ef_search (HNSW_EF_SEARCH): {app_ef}; total {time.perf_counter() - t_all:.0f}s"
    )
    missed = False
    if app_ef in results:
        p99, recall = results[app_ef]
        p99_ok, recall_ok = p99 < TARGET_P99_MS, recall >= TARGET_RECALL
        missed = not (p99_ok and recall_ok)
        print(
            f"at ef_search={app_ef}: p99 {p99:.2f} ms (target < {TARGET_P99_MS}) "
            f"{'met' if p99_ok else 'MISSED'}; recall@5 {recall:.3f} (target ≥ {TARGET_RECALL}) "
            f"{'met' if recall_ok else 'MISSED'}"
        )
    meeting = [ef for ef, (p99, r) in results.items() if p99 < TARGET_P99_MS and r >= TARGET_RECALL]
    print(f"ef_search values meeting both targets: {meeting or 'none'}")
    return 1 if args.check and (missed or app_ef not in results) else 0


if __name__ == "__main__":
    sys.exit(main())
