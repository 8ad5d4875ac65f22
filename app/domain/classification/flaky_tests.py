"""Flaky tests learned from re-runs of the same commit, and what they say about a new failure.

A test that failed on a commit whose re-run then passed is flaky there; a test that failed
again on a re-run of the same commit is broken there. Per test and repository the history
counts both. A failure whose failing tests are all known flaky is a flaky test failure: a
re-run of the failed jobs, as sure as the lower bound of the tests' pass-after-rerun rate. One
unknown or repeating test among them and the classifier's verdict stands (a person looks).
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.core.analysis.models import ClassifierVerdict
from app.core.enums import ActionKind, Category, Fixability
from app.domain.learning.calibration import wilson_lower_bound

# Verdicts about failing tests that history may refine: anything else (a compile error, an
# out-of-memory kill, a network blip) explains the run on its own, whatever the tests did.
TEST_CATEGORIES = frozenset({Category.TEST_FAILURE, Category.FLAKY_TEST, Category.UNKNOWN})
MAX_NAMED = 5


@dataclass(frozen=True)
class FlakeHistory:
    """What re-runs of earlier commits said about one test of one repository."""

    test_id: str
    flaky: int  # commits on which it failed and a re-run passed
    broken: int  # commits on which it failed again on a re-run
    last_flaky_at: datetime | None = None

    @property
    def known_flaky(self) -> bool:
        return self.flaky > 0

    @property
    def pass_after_rerun(self) -> float:
        """The lower bound (Wilson, 95 %) of the share of re-runs that passed."""
        return wilson_lower_bound(self.flaky, self.flaky + self.broken)


def judge_failing_tests(
    verdict: ClassifierVerdict,
    failing: Sequence[str],
    history: Mapping[str, FlakeHistory],
    *,
    failed_before_on_commit: Collection[str] = (),
) -> ClassifierVerdict:
    """``verdict``, or a flaky-test verdict when every failing test is known flaky.

    ``failed_before_on_commit``: tests an earlier attempt of this same commit failed too;
    failing again there makes them broken, whatever their past.
    """
    if not failing or verdict.category not in TEST_CATEGORIES:
        return verdict
    repeated = [t for t in failing if t in failed_before_on_commit]
    if repeated:
        return _with_note(verdict, f"failed again on a re-run of this commit: {_names(repeated)}")
    records = [history.get(t) for t in failing]
    if not all(r is not None and r.known_flaky for r in records):
        return verdict
    return _flaky_verdict(verdict, [r for r in records if r is not None])


def _flaky_verdict(verdict: ClassifierVerdict, records: list[FlakeHistory]) -> ClassifierVerdict:
    flaky = sum(r.flaky for r in records)
    broken = sum(r.broken for r in records)
    # A test that has also failed twice on one commit may be a real bug now: a person approves.
    fixability = Fixability.AUTO if broken == 0 else Fixability.UNKNOWN
    names = _names([r.test_id for r in records])
    note = "every failing test is known flaky in this repository (re-runs of the same commit)"
    return verdict.model_copy(
        update={
            "category": Category.FLAKY_TEST,
            "action": ActionKind.RERUN_FAILED_JOBS,
            "fixability": fixability,
            "transient": True,
            "confidence": round(min(r.pass_after_rerun for r in records), 4),
            "root_cause": (
                f"Known flaky test(s) failed: {names}. Each failed before on a commit whose "
                f"re-run passed ({flaky} such re-run(s), {broken} that failed again)."
            ),
            "evidence": [_evidence(r) for r in records[:MAX_NAMED]] + verdict.evidence,
            "note": f"{verdict.note}; {note}" if verdict.note else note,
        }
    )


def _evidence(record: FlakeHistory) -> str:
    seen = f", last {record.last_flaky_at:%Y-%m-%d}" if record.last_flaky_at else ""
    return (
        f"flaky test {record.test_id}: passed on a re-run {record.flaky}×, "
        f"failed again {record.broken}×{seen}"
    )


def _with_note(verdict: ClassifierVerdict, note: str) -> ClassifierVerdict:
    return verdict.model_copy(update={"note": f"{verdict.note}; {note}" if verdict.note else note})


def _names(tests: Sequence[str]) -> str:
    shown = ", ".join(tests[:MAX_NAMED])
    return shown + (f" and {len(tests) - MAX_NAMED} more" if len(tests) > MAX_NAMED else "")
