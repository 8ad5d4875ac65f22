"""The statistics of earned autonomy, with the default policy: how much evidence earns an action
the right to run alone for a failure, and how much takes it back."""

import pytest

from app.core.enums import Strategy
from app.domain.learning.autonomy import (
    AutonomyPolicy,
    Record,
    beta_quantile,
    category_prior,
    judge,
    lower_bound,
    regularized_beta,
)
from app.domain.remediators.base import Risk

DEFAULTS = AutonomyPolicy()
LOW_DEV = DEFAULTS.required(Risk.LOW, Strategy.SLACK_FIRST)
NOTHING = Record()  # a category with no record of the action


def earned_after(category: Record = NOTHING, *, required: float | None = LOW_DEV) -> int:
    """Successes in a row (nothing else known of the signature) until the action runs alone."""
    for successes in range(1, 200):
        verdict = judge(
            Record(successes, 0),
            category,
            policy=DEFAULTS,
            required=required,
            automatic_now=False,
            failed_in_a_row=0,
        )
        if verdict.automatic:
            return successes
    raise AssertionError("never earned")


def kept(successes: int, failures: int, *, failed_in_a_row: int) -> bool:
    """Whether a granted low-risk action still runs alone after its own automatic failures."""
    return judge(
        Record(successes, failures),
        Record(),
        policy=DEFAULTS,
        required=LOW_DEV,
        automatic_now=True,
        failed_in_a_row=failed_in_a_row,
    ).automatic


def test_the_incomplete_beta_function_matches_known_values():
    assert regularized_beta(0.4, 2, 3) == pytest.approx(0.5248, abs=1e-9)
    assert regularized_beta(0.5, 7.5, 7.5) == pytest.approx(0.5, abs=1e-12)
    assert regularized_beta(0.0, 2, 3) == 0.0 and regularized_beta(1.0, 2, 3) == 1.0


@pytest.mark.parametrize("n", [1, 9, 10, 40])
def test_the_lower_bound_of_n_successes_in_n_is_the_closed_form_quantile(n):
    # Beta(n + 1, 1) has the distribution function x^(n + 1).
    assert beta_quantile(0.05, n + 1, 1) == pytest.approx(0.05 ** (1 / (n + 1)), abs=1e-12)
    assert lower_bound(Record(n, 0), Record()) == pytest.approx(0.05 ** (1 / (n + 1)))


def test_a_low_risk_rerun_of_a_transient_failure_is_earned_after_ten_successes():
    assert LOW_DEV == 0.75
    assert earned_after() == 10  # 9 of 9 gives a lower bound of 0.741, 10 of 10 gives 0.762


def test_a_new_signature_of_a_well_known_category_starts_from_the_category_record():
    well_known = Record(successes=40, failures=0)

    assert category_prior(well_known, DEFAULTS) == Record(5.0, 0.0)  # worth 5 observations
    assert earned_after(well_known) == 5


def test_a_category_where_the_action_fails_holds_a_new_signature_back():
    assert earned_after(Record(successes=10, failures=30)) > earned_after()


def test_one_failure_right_after_the_grant_takes_it_back():
    assert kept(10, 0, failed_in_a_row=0)
    assert not kept(10, 1, failed_in_a_row=1)


def test_three_automatic_failures_in_a_row_take_back_even_a_long_record():
    # 100 successes keep the lower bound above 0.92 whatever the latest three did.
    assert lower_bound(Record(100, 3), Record()) > 0.9
    assert kept(100, 2, failed_in_a_row=2)
    assert not kept(100, 3, failed_in_a_row=3)


def test_failures_in_a_row_count_only_against_a_grant_in_force():
    verdict = judge(
        Record(100, 3),
        Record(),
        policy=DEFAULTS,
        required=LOW_DEV,
        automatic_now=False,
        failed_in_a_row=3,
    )
    assert verdict.automatic  # earned again by evidence gathered since it was taken back


def test_production_asks_for_more_evidence_than_development():
    prod = DEFAULTS.required(Risk.LOW, Strategy.CONSERVATIVE)

    assert prod == 0.875  # half the wrong fixes tolerated
    assert earned_after(required=prod) > earned_after()


def test_slack_first_never_runs_medium_or_high_risk_actions_alone():
    assert DEFAULTS.required(Risk.MEDIUM, Strategy.SLACK_FIRST) is None
    assert DEFAULTS.required(Risk.HIGH, Strategy.SLACK_FIRST) is None
    verdict = judge(
        Record(500, 0),
        Record(),
        policy=DEFAULTS,
        required=None,
        automatic_now=False,
        failed_in_a_row=0,
    )
    assert not verdict.automatic


def test_riskier_actions_need_more_evidence():
    low = earned_after(required=DEFAULTS.required(Risk.LOW, Strategy.HYBRID))
    medium = earned_after(required=DEFAULTS.required(Risk.MEDIUM, Strategy.HYBRID))
    high = earned_after(required=DEFAULTS.required(Risk.HIGH, Strategy.HYBRID))

    assert low < medium < high
    assert (medium, high) == (18, 58)
