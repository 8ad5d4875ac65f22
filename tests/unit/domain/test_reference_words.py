"""The reference failures' words: a category for an excerpt no pattern names, never a fix."""

from pathlib import Path

import pytest

from app.core.enums import ActionKind, Category, Fixability
from app.domain.classification.reference_words import (
    ReferenceWordsModel,
    RulesWithReferenceWords,
    words,
)
from app.domain.classification.rule_classifier import RuleClassifier

PATTERNS = Path(__file__).parents[3] / "config" / "failure_patterns.yaml"

EXAMPLES = [
    (
        "resolver could not satisfy the lockfile constraint for package alpha",
        Category.DEPENDENCY_RESOLUTION,
    ),
    (
        "the lockfile pins package beta which the resolver cannot satisfy",
        Category.DEPENDENCY_RESOLUTION,
    ),
    ("container restarted by kubelet after the daemon exited at startup", Category.K8S_CRASHLOOP),
    ("kubelet restarted the container again, daemon exited", Category.K8S_CRASHLOOP),
]
UNNAMED = "resolver gave up: no lockfile entry can satisfy package gamma"


@pytest.fixture(scope="module")
def rules() -> RuleClassifier:
    return RuleClassifier.from_file(PATTERNS)


def test_words_are_masked_lower_case_and_three_letters_or_more() -> None:
    assert words("Step 12 FAILED at /home/runner/work/a/b.py: ok") == {"step", "failed"}


def test_the_category_whose_failures_share_the_words_wins() -> None:
    category, probability = ReferenceWordsModel.train(EXAMPLES).predict(UNNAMED)

    assert category is Category.DEPENDENCY_RESOLUTION
    assert 0.5 < probability <= 1.0


def test_words_the_model_never_saw_name_no_category() -> None:
    assert ReferenceWordsModel.train(EXAMPLES).predict("zzz qqq xyzzy") == (Category.UNKNOWN, 0.0)


def test_an_excerpt_a_pattern_names_keeps_the_rules_verdict(rules) -> None:
    def model() -> ReferenceWordsModel:
        raise AssertionError("the words are not read when a pattern matches")

    verdict = RulesWithReferenceWords(rules, model, min_probability=0.5).classify(
        "npm ERR! code ECONNRESET"
    )

    assert verdict.category is Category.TRANSIENT_NETWORK


def test_an_excerpt_no_pattern_names_gets_the_words_category_and_no_fix(rules) -> None:
    model = ReferenceWordsModel.train(EXAMPLES)

    verdict = RulesWithReferenceWords(rules, lambda: model, min_probability=0.5).classify(UNNAMED)

    assert verdict.category is Category.DEPENDENCY_RESOLUTION
    assert (verdict.action, verdict.fixability) == (ActionKind.NONE, Fixability.UNKNOWN)
    assert verdict.note is not None and verdict.note.startswith("category from the reference")


def test_a_weak_posterior_stays_unknown(rules) -> None:
    model = ReferenceWordsModel.train(EXAMPLES)

    verdict = RulesWithReferenceWords(rules, lambda: model, min_probability=0.999999).classify(
        "container package"
    )

    assert verdict.category is Category.UNKNOWN


def test_a_bar_above_one_turns_the_words_off(rules) -> None:
    def model() -> ReferenceWordsModel:
        raise AssertionError("off: the model is never built")

    verdict = RulesWithReferenceWords(rules, model, min_probability=1.01).classify(UNNAMED)

    assert verdict.category is Category.UNKNOWN
