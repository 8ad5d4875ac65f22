"""Signed ``workflow_run`` deliveries of the demo's failed runs, spread over an arrival window,
sent to the running service the way GitHub sends them."""

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import httpx

from app.core.security import github_signature
from app.demo.scenario import DemoRun, delivery_body

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 300.0  # first start of the embedded server included


def arrival_offsets(count: int, duration: float) -> list[float]:
    """Seconds after the start at which each delivery is sent: the first at once, the last at
    ``duration``, evenly spaced between."""
    if count <= 1:
        return [0.0] * count
    step = max(0.0, duration) / (count - 1)
    return [round(index * step, 3) for index in range(count)]


def wait_until_ready(
    http: httpx.Client, base_url: str, stop: threading.Event, *, timeout: float
) -> bool:
    """True once ``GET /ready`` answers 200; False when stopped or out of time."""
    deadline = time.monotonic() + timeout
    while not stop.is_set() and time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):  # not listening yet
            if http.get(f"{base_url}/ready").status_code == 200:
                return True
        stop.wait(0.25)
    return False


def send_delivery(http: httpx.Client, base_url: str, body: bytes, *, secret: str) -> httpx.Response:
    return http.post(
        f"{base_url}/webhooks/github",
        content=body,
        headers={
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/codehealer-demo",
            "X-GitHub-Event": "workflow_run",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-Hub-Signature-256": github_signature(secret, body),
        },
    )


def deliver_over(
    runs: Sequence[DemoRun],
    *,
    base_url: str,
    secret: str,
    duration: float,
    stop: threading.Event,
    report: Callable[[str], None],
) -> int:
    """Wait for the service, then send each run's failure at its offset. Returns how many were
    accepted."""
    accepted = 0
    with httpx.Client(timeout=10) as http:
        if not wait_until_ready(http, base_url, stop, timeout=READY_TIMEOUT_SECONDS):
            if not stop.is_set():
                report(f"demo: {base_url} did not become ready; no deliveries sent")
            return 0
        start = time.monotonic()
        for run, offset in zip(runs, arrival_offsets(len(runs), duration), strict=True):
            if stop.wait(max(0.0, start + offset - time.monotonic())):
                return accepted
            body = delivery_body(run, now=datetime.now(UTC))
            try:
                answer = send_delivery(http, base_url, body, secret=secret)
            except httpx.TransportError as exc:
                report(f"demo: {run.repo} run {run.run_id} not delivered: {type(exc).__name__}")
                continue
            accepted += answer.status_code == 202
            incident = _incident_id(answer)
            report(
                f"demo: {run.repo} · {run.scenario.workflow} failed (run {run.run_id}) → "
                f"{answer.status_code}" + (f", incident #{incident}" if incident else "")
            )
    report(f"demo: all {len(runs)} failures delivered; the dashboard fills as they are decided")
    return accepted


def _incident_id(answer: httpx.Response) -> int | None:
    try:
        body = answer.json()
    except ValueError:
        return None
    return body.get("incident_id") if isinstance(body, dict) else None
