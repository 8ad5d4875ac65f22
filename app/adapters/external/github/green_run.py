"""The same job in the workflow's last successful run, whose log a failure is compared with.

Bounded: per workflow and branch one listing of successful runs (``per_page=1``) and one listing
of that run's jobs, and per job one log download, each kept for ``ttl_seconds`` (whatever the
answer: a run, none, or an error), and only the head and the tail of a green log up to
``max_log_bytes``. What is kept is the set of the log's lines as the signature masks them, not
the log. A failure to read the green run never fails the analysis: the comparison is skipped
and the incident says why.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from app.adapters.external.github.client import GitHubClient
from app.core.analysis.green_diff import masked_lines
from app.core.errors import IntegrationError
from app.core.models import GreenBaseline, GreenJob
from app.core.redaction import mask_secrets
from app.core.targets import RunTarget

DEFAULT_TTL_SECONDS = 3600.0
DEFAULT_MAX_LOG_BYTES = 1024 * 1024
DEFAULT_MAX_ENTRIES = 512
MAX_REASON_CHARS = 200

K = TypeVar("K")
V = TypeVar("V")


class _TtlCache(Generic[K, V]):
    """At most ``max_entries`` values, each forgotten ``ttl`` seconds after it was put."""

    def __init__(self, ttl: float, max_entries: int, clock: Callable[[], float]):
        self.ttl = ttl
        self.max_entries = max(1, max_entries)
        self.clock = clock
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] <= self.clock():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = (self.clock() + self.ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class _GreenRun:
    """The last successful run of a workflow on a branch and its jobs by name; or why none."""

    run_id: int | None = None
    jobs: tuple[tuple[str, dict[str, Any]], ...] = ()
    skipped: str | None = None


@dataclass(frozen=True)
class _GreenLog:
    job: GreenJob
    lines: frozenset[str] = frozenset()


class LastGreenRun:
    """Finds, reads and remembers the green counterparts of a run's failed jobs."""

    def __init__(
        self,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_log_bytes: int = DEFAULT_MAX_LOG_BYTES,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_log_bytes = max(1, max_log_bytes)
        self._runs: _TtlCache[tuple[str, int, str | None], _GreenRun] = _TtlCache(
            ttl_seconds, max_entries, clock
        )
        self._logs: _TtlCache[tuple[str, int, str | None, str], _GreenLog] = _TtlCache(
            ttl_seconds, max_entries, clock
        )

    def baseline(
        self, client: GitHubClient, run: RunTarget, failed_jobs: Sequence[dict[str, Any]]
    ) -> GreenBaseline:
        """The green logs of ``failed_jobs`` (jobs of ``run``), masked, and per job what was
        compared with or why nothing was."""
        if run.workflow_id is None:
            reason = "the run names no workflow"
            skipped = tuple(GreenJob(job=_name(job), skipped=reason) for job in failed_jobs)
            return GreenBaseline(jobs=skipped)
        found = [
            self._green_log(client, run.repo, run.workflow_id, run.head_branch, _name(job))
            for job in failed_jobs
        ]
        lines: set[str] = set()
        for log in found:
            lines |= log.lines
        return GreenBaseline(jobs=tuple(log.job for log in found), lines=frozenset(lines))

    def _green_log(
        self, client: GitHubClient, repo: str, workflow_id: int, branch: str | None, name: str
    ) -> _GreenLog:
        key = (repo, workflow_id, branch, name)
        cached = self._logs.get(key)
        if cached is None:
            cached = self._read_green_log(client, repo, workflow_id, branch, name)
            self._logs.put(key, cached)
        return cached

    def _read_green_log(
        self, client: GitHubClient, repo: str, workflow_id: int, branch: str | None, name: str
    ) -> _GreenLog:
        green = self._green_run(client, repo, workflow_id, branch)
        if green.skipped is not None:
            return _GreenLog(GreenJob(job=name, skipped=green.skipped))
        job = dict(green.jobs).get(name)
        if job is None:
            reason = f"the last successful run {green.run_id} has no successful job {name!r}"
            return _GreenLog(GreenJob(job=name, run_id=green.run_id, skipped=reason))
        job_id = int(job["id"])
        counterpart = GreenJob(
            job=name, run_id=green.run_id, job_id=job_id, html_url=job.get("html_url")
        )
        try:
            text = client.download_job_log(repo, job_id)
        except IntegrationError as exc:
            return _GreenLog(counterpart.model_copy(update={"skipped": _unreadable(exc)}))
        if text is None:
            reason = f"the log of job {job_id} of the last successful run is gone"
            return _GreenLog(counterpart.model_copy(update={"skipped": reason}))
        return _GreenLog(counterpart, masked_lines(_head_and_tail(text, self.max_log_bytes)))

    def _green_run(
        self, client: GitHubClient, repo: str, workflow_id: int, branch: str | None
    ) -> _GreenRun:
        key = (repo, workflow_id, branch)
        cached = self._runs.get(key)
        if cached is None:
            cached = _find_green_run(client, repo, workflow_id, branch)
            self._runs.put(key, cached)
        return cached


def _find_green_run(
    client: GitHubClient, repo: str, workflow_id: int, branch: str | None
) -> _GreenRun:
    try:
        runs = client.list_workflow_runs(
            repo, workflow_id, branch=branch, status="success", per_page=1
        )
        # The status filter is GitHub's; a run that does not say success is not taken.
        green = next((r for r in runs if r.get("conclusion") == "success"), None)
        if green is None:
            where = f" on branch {branch}" if branch else ""
            return _GreenRun(skipped=f"no successful run of this workflow{where}")
        run_id = int(green["id"])
        jobs = client.list_run_jobs(repo, run_id)
    except (IntegrationError, ValueError) as exc:
        return _GreenRun(skipped=_unreadable(exc))
    succeeded = tuple(
        (_name(job), job) for job in jobs if job.get("conclusion") == "success" and "id" in job
    )
    return _GreenRun(run_id=run_id, jobs=succeeded)


def _name(job: dict[str, Any]) -> str:
    return str(job.get("name") or job.get("id") or "")


def _unreadable(exc: Exception) -> str:
    text = mask_secrets(str(exc)) or type(exc).__name__
    if len(text) > MAX_REASON_CHARS:
        text = text[: MAX_REASON_CHARS - 1] + "…"
    return f"the last successful run could not be read ({text})"


def _head_and_tail(text: str, max_bytes: int) -> str:
    """At most ``max_bytes`` of a log: its head and its tail, each half. A failed job stops
    early and matches the head of a green log; a failure late in the job, its tail."""
    data = text.encode()
    if len(data) <= max_bytes:
        return text
    half = max_bytes // 2
    head = data[:half].decode(errors="ignore")
    tail = data[len(data) - (max_bytes - half) :].decode(errors="ignore")
    return head + "\n" + tail
