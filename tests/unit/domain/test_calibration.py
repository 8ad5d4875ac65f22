"""Calibration arithmetic."""

import pytest

from app.domain.learning.calibration import (
    Sample,
    expected_calibration_error,
    lowest_safe_threshold,
    reliability,
    wilson_lower_bound,
)


def test_wilson_lower_bound_matches_the_closed_form_for_all_successes():
    assert wilson_lower_bound(100, 100) == pytest.approx(100 / (100 + 1.959963984540054**2))


def test_wilson_lower_bound_is_zero_without_data():
    assert wilson_lower_bound(0, 0) == 0.0


def test_reliability_bins_and_ece_of_a_perfectly_calibrated_set():
    samples = [Sample(0.75, i < 3, "a") for i in range(4)]
    table = reliability(samples)
    assert [(b.low, b.count) for b in table] == [(0.7, 4)]
    assert expected_calibration_error(table) == pytest.approx(0.0)


def test_lowest_safe_threshold_stops_before_failures():
    good = [Sample(0.9 - i / 1000, True, "rerun") for i in range(100)]
    bad = [Sample(0.5, False, "rerun") for _ in range(10)]
    choice = lowest_safe_threshold(good + bad, target_precision=0.95)
    assert choice is not None
    assert choice.threshold > 0.5
    assert choice.precision_lower_bound >= 0.95


def test_no_threshold_without_enough_samples():
    assert lowest_safe_threshold([Sample(0.9, True, "x")] * 5, target_precision=0.95) is None
