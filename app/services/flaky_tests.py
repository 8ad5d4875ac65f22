"""The flaky-test history, fed by what happens to the attempts of a run (one commit).

- A later attempt of a run passed (``rerun_passed``, from the verification recorder, whoever
  re-ran it): every test an earlier failed attempt named is flaky on that commit. An attempt
  whose logs were not read yet is marked, and its analysis records it.
- A failed attempt was analysed (``attempt_analysed``, from the analyzer): a test an earlier
  or later failed attempt of the same run named too failed again on a re-run: broken there.

Both run in their caller's transaction, under the run's lock, so neither misses the other.
"""

import logging
from datetime import datetime

from sqlmodel import Session

from app.adapters.database.repositories.flakes import (
    BROKEN,
    FLAKY,
    FailedAttempt,
    FlakeRepository,
)
from app.core.targets import RunTarget
from app.domain.classification.flaky_tests import FlakeHistory

log = logging.getLogger(__name__)


def rerun_passed(
    session: Session, *, repo: str, run_id: int, attempt: int, at: datetime
) -> list[str]:
    """Attempt ``attempt`` of the run passed: the tests its earlier failed attempts named are
    flaky on that commit (those that failed twice stay broken). Returns the tests recorded."""
    if attempt <= 1:
        return []  # a first attempt re-ran nothing
    flakes = FlakeRepository(session)
    flakes.lock_run(repo, run_id)
    recorded: list[str] = []
    for failed in flakes.failed_attempts(repo, run_id):
        if failed.run_attempt >= attempt:
            continue
        if not failed.analysed:
            flakes.mark_passed_later(failed.incident_id, attempt)
            continue
        recorded += _record(flakes, failed, repo, run_id, FLAKY, failed.failing_tests, at)
    return recorded


def attempt_analysed(
    session: Session, *, run: RunTarget, incident_id: int, failing: tuple[str, ...], at: datetime
) -> None:
    """The failed attempt ``incident_id`` of ``run`` names ``failing``: those another failed
    attempt named too are broken; all are flaky if a later attempt passed meanwhile."""
    flakes = FlakeRepository(session)
    flakes.lock_run(run.repo, run.run_id)
    attempts = flakes.failed_attempts(run.repo, run.run_id)
    this = next((a for a in attempts if a.incident_id == incident_id), None)
    if this is None or not failing:
        return
    others = {t for a in attempts if a.incident_id != incident_id for t in a.failing_tests}
    repeated = [t for t in failing if t in others]
    _record(flakes, this, run.repo, run.run_id, BROKEN, repeated, at)
    if this.passed_later is not None and this.passed_later > this.run_attempt:
        _record(flakes, this, run.repo, run.run_id, FLAKY, failing, at)


def lock_run(session: Session, run: RunTarget) -> None:
    """The run's lock, for a writer that updates one of its incidents before the history."""
    FlakeRepository(session).lock_run(run.repo, run.run_id)


def failed_before_on_commit(session: Session, run: RunTarget) -> set[str]:
    """The tests the earlier failed attempts of ``run`` named."""
    return {
        test_id
        for failed in FlakeRepository(session).failed_attempts(run.repo, run.run_id)
        if failed.run_attempt < run.run_attempt
        for test_id in failed.failing_tests
    }


def history(session: Session, repo: str, tests: tuple[str, ...]) -> dict[str, FlakeHistory]:
    return FlakeRepository(session).history(repo, tests)


def _record(
    flakes: FlakeRepository,
    failed: FailedAttempt,
    repo: str,
    run_id: int,
    verdict: str,
    tests: tuple[str, ...] | list[str],
    at: datetime,
) -> list[str]:
    if not tests:
        return []
    flakes.record(
        tests,
        verdict=verdict,
        repo=repo,
        head_sha=failed.head_sha,
        run_id=run_id,
        incident_id=failed.incident_id,
        at=at,
    )
    log.info(
        "%s: %d test(s) %s on %s (incident %s)",
        repo,
        len(tests),
        verdict,
        failed.head_sha[:12],
        failed.incident_id,
    )
    return list(tests)
