"""The flaky-test history: one ``test_verdicts`` row per failing test and commit, ``flaky`` when
a later attempt of the commit passed and ``broken`` when the test failed again on one (broken
wins: a flaky row becomes broken, never the reverse), and the failed attempts of a run whose
tests those verdicts are about."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from app.adapters.database.tables import CommitTestVerdict, Incident, merge_json
from app.core.enums import IncidentSource
from app.domain.classification.flaky_tests import FlakeHistory

FLAKY = "flaky"
BROKEN = "broken"
# Set on a failed attempt whose later attempt passed before its own logs were read: its
# analysis records its tests flaky then.
PASSED_LATER_KEY = "later_attempt_passed"


@dataclass(frozen=True)
class FailedAttempt:
    """A stored failure of one attempt of a run, and what its analysis found."""

    incident_id: int
    run_attempt: int
    head_sha: str
    failing_tests: tuple[str, ...]
    analysed: bool
    passed_later: int | None


class FlakeRepository:
    def __init__(self, session: Session):
        self.session = session

    def lock_run(self, repo: str, run_id: int) -> None:
        """Serialize the history's writers for one run until the transaction ends: a pass
        arriving while a failed attempt's analysis is stored sees its tests, or marks it."""
        key = f"test-verdicts:{repo}:{run_id}"
        self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})

    def failed_attempts(self, repo: str, run_id: int) -> list[FailedAttempt]:
        """Every stored failure of the run, in attempt order."""
        rows = self.session.execute(
            select(
                col(Incident.id),
                col(Incident.run_attempt),
                col(Incident.head_sha),
                col(Incident.failing_tests),
                col(Incident.category),
                col(Incident.details)[PASSED_LATER_KEY].astext,
            )
            .where(
                col(Incident.source) == IncidentSource.GITHUB.value,
                col(Incident.repo) == repo,
                col(Incident.run_id) == run_id,
            )
            .order_by(col(Incident.run_attempt), col(Incident.id))
        )
        return [
            FailedAttempt(
                incident_id=incident_id,
                run_attempt=attempt or 1,
                head_sha=head_sha or f"run:{run_id}",
                failing_tests=tuple(tests or ()),
                analysed=category is not None,
                passed_later=int(passed) if passed and passed.isdigit() else None,
            )
            for incident_id, attempt, head_sha, tests, category, passed in rows
        ]

    def mark_passed_later(self, incident_id: int, attempt: int) -> None:
        self.session.execute(
            update(Incident)
            .where(col(Incident.id) == incident_id)
            .values(details=merge_json(Incident.details, {PASSED_LATER_KEY: attempt}))
        )

    def record(
        self,
        tests: Iterable[str],
        *,
        verdict: str,
        repo: str,
        head_sha: str,
        run_id: int | None,
        incident_id: int | None,
        at: datetime,
    ) -> None:
        """One verdict per test on this commit; ``broken`` replaces ``flaky``, nothing else
        changes a recorded verdict (the same pass seen twice counts once)."""
        rows = [
            {
                "repo": repo,
                "test_id": test_id,
                "head_sha": head_sha,
                "verdict": verdict,
                "run_id": run_id,
                "incident_id": incident_id,
                "observed_at": at,
            }
            for test_id in sorted(set(tests))
        ]
        if not rows:
            return
        stmt = insert(CommitTestVerdict).values(rows)
        stmt = stmt.on_conflict_do_update(
            constraint="uq_test_verdicts_repo_test_commit",
            set_={
                "verdict": stmt.excluded.verdict,
                "incident_id": stmt.excluded.incident_id,
                "observed_at": stmt.excluded.observed_at,
            },
            where=(col(CommitTestVerdict.verdict) == FLAKY) & (stmt.excluded.verdict == BROKEN),
        )
        self.session.execute(stmt)

    def history(self, repo: str, tests: Iterable[str]) -> dict[str, FlakeHistory]:
        """The record of each of ``tests`` in ``repo`` that has one."""
        wanted = sorted(set(tests))
        if not wanted:
            return {}
        stmt = _counts().where(
            col(CommitTestVerdict.repo) == repo, col(CommitTestVerdict.test_id).in_(wanted)
        )
        return {
            test_id: FlakeHistory(test_id, flaky, broken, last)
            for _, test_id, flaky, broken, last in self.session.execute(stmt)
        }

    def flakiest(
        self, *, per_repo: int = 10, since: datetime | None = None
    ) -> dict[str, list[FlakeHistory]]:
        """The tests of each repository that passed on a re-run most often (then the most
        recent first), among those flaky since ``since``: the list a team fixes or
        quarantines from."""
        counts = _counts().subquery()
        rank = (
            func.row_number()
            .over(
                partition_by=counts.c.repo,
                order_by=(counts.c.flaky.desc(), counts.c.last_flaky_at.desc(), counts.c.test_id),
            )
            .label("rank")
        )
        flaky = counts.c.flaky > 0
        if since is not None:
            flaky = flaky & (counts.c.last_flaky_at >= since)
        ranked = select(counts, rank).where(flaky).subquery()
        stmt = (
            select(ranked)
            .where(ranked.c.rank <= per_repo)
            .order_by(ranked.c.repo, ranked.c.rank)
        )
        result: dict[str, list[FlakeHistory]] = {}
        for row in self.session.execute(stmt):
            result.setdefault(row.repo, []).append(
                FlakeHistory(row.test_id, row.flaky, row.broken, row.last_flaky_at)
            )
        return result


def _counts():
    flaky = CommitTestVerdict.verdict == FLAKY
    return select(
        CommitTestVerdict.repo,
        CommitTestVerdict.test_id,
        func.count().filter(flaky).label("flaky"),
        func.count().filter(CommitTestVerdict.verdict == BROKEN).label("broken"),
        func.max(CommitTestVerdict.observed_at).filter(flaky).label("last_flaky_at"),
    ).group_by(CommitTestVerdict.repo, CommitTestVerdict.test_id)
