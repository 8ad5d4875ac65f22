"""The history term of the confidence: this installation's record over a Beta prior, which the
reference memory's labels of the failure's category shape (pseudo-observations, not outcomes)."""

import pytest

from app.domain.scoring.confidence import HistoryPrior, history_score, reference_prior


def test_without_reference_labels_the_prior_is_uniform():
    assert reference_prior(0, 0) == HistoryPrior(1.0, 1.0)
    assert history_score(0, 0, reference_prior(0, 0)) == 0.5


def test_a_category_whose_labels_name_the_action_raises_the_history_term():
    prior = reference_prior(20, 22)

    assert history_score(0, 0, prior) == pytest.approx((1 + 4 * 20 / 22) / 6)
    assert history_score(0, 0, prior) > 0.75


def test_a_category_whose_labels_name_another_action_lowers_it():
    assert history_score(0, 0, reference_prior(0, 12)) == pytest.approx(1 / 6)


def test_the_labels_weigh_no_more_than_the_category_has_entries():
    assert reference_prior(2, 2) == HistoryPrior(3.0, 1.0)


def test_this_installations_own_record_outweighs_the_labels():
    prior = reference_prior(22, 22)

    assert history_score(0, 6, prior) < 0.5
    assert history_score(6, 0, prior) > history_score(0, 0, prior)
