"""The baseline of the ingest benchmark: the least a GitHub webhook receiver can do.

FastAPI on uvicorn, served exactly like ``codehealer serve`` (one process, ``uvicorn.run(app,
host, port, log_config=None)``, logging at WARNING). Per request: read the raw body, check its
``X-Hub-Signature-256`` HMAC in constant time, one ``INSERT`` of the delivery (id, event,
payload as jsonb) on a pooled psycopg connection in the thread pool, answer 202 with the row id.
No parsing, no models, no ORM.

The pool has the same size as the application's engine (``DB_POOL_SIZE`` connections kept,
as many again on demand).

Usage (bench_ingest.py starts it):
    DATABASE_URL=postgresql://... GITHUB_WEBHOOK_SECRET=... python benchmarks/baseline_app.py --port 8001
"""

import argparse
import hashlib
import hmac
import logging
import os
import queue
import threading

import psycopg
import uvicorn
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    id bigserial PRIMARY KEY,
    delivery_id varchar(200) NOT NULL UNIQUE,
    event_type varchar(100) NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    payload jsonb NOT NULL
)
"""
INSERT = (
    "INSERT INTO deliveries (delivery_id, event_type, payload) VALUES (%s, %s, %s::jsonb) "
    "ON CONFLICT (delivery_id) DO NOTHING RETURNING id"
)


class Pool:
    """``size`` connections opened at start, up to ``size + overflow`` on demand (LIFO)."""

    def __init__(self, dsn: str, size: int, overflow: int):
        self.dsn = dsn
        self.idle: queue.LifoQueue[psycopg.Connection] = queue.LifoQueue()
        self.slots = threading.BoundedSemaphore(size + overflow)
        for _ in range(size):
            self.idle.put(self._connect())

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)

    def insert(self, delivery_id: str, event_type: str, body: bytes) -> int | None:
        with self.slots:
            try:
                conn = self.idle.get_nowait()
            except queue.Empty:
                conn = self._connect()
            try:
                row = conn.execute(INSERT, (delivery_id, event_type, body.decode())).fetchone()
            except BaseException:
                conn.close()
                raise
            self.idle.put(conn)
            return None if row is None else row[0]

    def close(self) -> None:
        while not self.idle.empty():
            self.idle.get_nowait().close()


def create_app(dsn: str, secret: bytes, *, pool_size: int) -> FastAPI:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
    pool = Pool(dsn, pool_size, pool_size)
    app = FastAPI(title="ingest baseline")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/webhooks/github", status_code=202)
    async def github(request: Request) -> JSONResponse:
        body = await request.body()
        presented = request.headers.get("x-hub-signature-256") or ""
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, presented):
            return JSONResponse({"detail": "bad signature"}, status_code=401)
        delivery = request.headers.get("x-github-delivery")
        event = request.headers.get("x-github-event")
        if not delivery or not event:
            return JSONResponse({"detail": "missing headers"}, status_code=400)
        row_id = await run_in_threadpool(pool.insert, delivery, event, body)
        return JSONResponse({"id": row_id}, status_code=202 if row_id else 200)

    app.state.pool = pool
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING").upper())
    app = create_app(
        os.environ["DATABASE_URL"],
        os.environ["GITHUB_WEBHOOK_SECRET"].encode(),
        pool_size=int(os.environ.get("DB_POOL_SIZE", "10")),
    )
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_config=None)
    finally:
        app.state.pool.close()


if __name__ == "__main__":
    main()
