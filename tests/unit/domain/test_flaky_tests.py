"""A failure's verdict refined by the flaky-test history of its repository."""

from datetime import UTC, datetime

import pytest

from app.core.analysis.models import ClassifierVerdict
from app.core.enums import ActionKind, Category, Fixability
from app.domain.classification.flaky_tests import FlakeHistory, judge_failing_tests
from app.domain.learning.calibration import wilson_lower_bound

TEST_FAILURE = ClassifierVerdict(
    category=Category.TEST_FAILURE,
    root_cause="One or more tests fail their assertions.",
    fixability=Fixability.MANUAL,
    action=ActionKind.NONE,
    confidence=0.88,
    evidence=["FAILED tests/test_api.py::test_login - assert 401 == 200"],
)
A, B = "tests/test_api.py::test_login", "tests/test_api.py::test_logout"
SEEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def flaky(test_id: str, times: int = 1, broken: int = 0) -> FlakeHistory:
    return FlakeHistory(test_id, flaky=times, broken=broken, last_flaky_at=SEEN)


def test_all_failing_tests_known_flaky_make_a_flaky_test_rerun():
    verdict = judge_failing_tests(TEST_FAILURE, [A, B], {A: flaky(A), B: flaky(B, 3)})
    assert verdict.category is Category.FLAKY_TEST
    assert verdict.action is ActionKind.RERUN_FAILED_JOBS
    assert verdict.fixability is Fixability.AUTO
    assert verdict.transient is True


def test_confidence_is_the_lowest_pass_after_rerun_lower_bound():
    verdict = judge_failing_tests(TEST_FAILURE, [A, B], {A: flaky(A, 4), B: flaky(B, 9, 1)})
    assert verdict.confidence == round(wilson_lower_bound(4, 4), 4)
    assert 0 < verdict.confidence < 1


def test_more_flaky_history_means_more_confidence():
    once = judge_failing_tests(TEST_FAILURE, [A], {A: flaky(A, 1)})
    often = judge_failing_tests(TEST_FAILURE, [A], {A: flaky(A, 10)})
    assert once.confidence < often.confidence


def test_a_test_that_was_also_broken_once_needs_a_person_to_approve():
    verdict = judge_failing_tests(TEST_FAILURE, [A], {A: flaky(A, 5, broken=1)})
    assert verdict.category is Category.FLAKY_TEST
    assert verdict.fixability is Fixability.UNKNOWN


def test_the_tests_and_their_history_are_named():
    verdict = judge_failing_tests(TEST_FAILURE, [A], {A: flaky(A, 2)})
    assert A in verdict.root_cause
    assert verdict.evidence[0] == f"flaky test {A}: passed on a re-run 2×, failed again 0×, last 2026-03-02"
    assert verdict.evidence[1:] == TEST_FAILURE.evidence


def test_a_mix_of_flaky_and_unknown_tests_stays_a_test_failure():
    assert judge_failing_tests(TEST_FAILURE, [A, B], {A: flaky(A, 10)}) == TEST_FAILURE


def test_a_test_only_ever_broken_stays_a_test_failure():
    history = {A: FlakeHistory(A, flaky=0, broken=2)}
    assert judge_failing_tests(TEST_FAILURE, [A], history) == TEST_FAILURE


def test_no_failing_tests_leaves_the_verdict():
    assert judge_failing_tests(TEST_FAILURE, [], {A: flaky(A)}) == TEST_FAILURE


def test_a_test_failing_again_on_a_rerun_of_the_same_commit_is_not_flaky():
    verdict = judge_failing_tests(
        TEST_FAILURE, [A], {A: flaky(A, 10)}, failed_before_on_commit={A}
    )
    assert verdict.category is Category.TEST_FAILURE
    assert A in verdict.note


@pytest.mark.parametrize("category", [Category.COMPILE_ERROR, Category.OUT_OF_MEMORY])
def test_a_failure_other_than_the_tests_keeps_its_verdict(category):
    verdict = TEST_FAILURE.model_copy(update={"category": category})
    assert judge_failing_tests(verdict, [A], {A: flaky(A, 10)}) == verdict
