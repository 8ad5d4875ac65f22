"""A verdict from a language model may make fixability more careful than the rules', never
less: the rules and the evidence in the excerpt decide what may run without a person."""

from pathlib import Path

import pytest

from app.core.analysis.models import ClassifierVerdict
from app.core.enums import ActionKind, Category, Fixability
from app.domain.classification.fixability_guard import RuleFixabilityGuard
from app.domain.classification.rule_classifier import RuleClassifier

ROOT = Path(__file__).parents[3]
LOGS = ROOT / "tests" / "fixtures" / "ci_logs"
COMPILE_LOG = (LOGS / "004_maven_cannot_find_symbol.log").read_text()
NETWORK_LOG = (LOGS / "040_npm_econnreset_actions.log").read_text()
NOTHING_KNOWN = "step 3 of 4 finished\nsomething odd happened\n"


@pytest.fixture(scope="module")
def guard() -> RuleFixabilityGuard:
    return RuleFixabilityGuard(RuleClassifier.from_file(ROOT / "config" / "failure_patterns.yaml"))


def model_says(category: Category, action: ActionKind, fixability: Fixability) -> ClassifierVerdict:
    return ClassifierVerdict(
        category=category,
        root_cause="as the model put it",
        fixability=fixability,
        action=action,
        confidence=0.99,
        classifier="nim:test",
    )


def test_auto_where_the_rules_say_manual_becomes_manual(guard):
    injected = model_says(
        Category.AUTH_EXPIRED_CREDENTIALS, ActionKind.REFRESH_SECRET, Fixability.AUTO
    )

    reviewed = guard.review(COMPILE_LOG, injected)

    assert reviewed.fixability is Fixability.MANUAL
    assert "compile_error" in reviewed.note


def test_a_pair_the_rules_never_make_automatic_is_at_most_unknown(guard):
    # The rules would rerun this network blip by themselves, but never a compile error.
    injected = model_says(Category.COMPILE_ERROR, ActionKind.RERUN_FAILED_JOBS, Fixability.AUTO)

    reviewed = guard.review(NETWORK_LOG, injected)

    assert reviewed.fixability is Fixability.UNKNOWN
    assert "compile_error/rerun_failed_jobs" in reviewed.note


def test_auto_on_a_log_no_rule_recognises_is_at_most_unknown(guard):
    claimed = model_says(Category.TRANSIENT_NETWORK, ActionKind.RERUN_FAILED_JOBS, Fixability.AUTO)

    assert guard.review(NOTHING_KNOWN, claimed).fixability is Fixability.UNKNOWN


def test_auto_that_the_rules_agree_with_stands_unchanged(guard):
    agreed = model_says(Category.TRANSIENT_NETWORK, ActionKind.RERUN_FAILED_JOBS, Fixability.AUTO)

    assert guard.review(NETWORK_LOG, agreed) == agreed


def test_a_more_careful_model_stays_more_careful(guard):
    careful = model_says(
        Category.TRANSIENT_NETWORK, ActionKind.RERUN_FAILED_JOBS, Fixability.MANUAL
    )

    assert guard.review(NETWORK_LOG, careful) == careful


def test_the_rules_auto_for_their_action_does_not_carry_over_to_another_action(guard):
    # Rules: rerun this network blip. Model: a secret refresh, a pair the rules can make auto
    # elsewhere (an expired token) but not for what this excerpt shows.
    switched = model_says(
        Category.AUTH_EXPIRED_CREDENTIALS, ActionKind.REFRESH_SECRET, Fixability.AUTO
    )

    reviewed = guard.review(NETWORK_LOG, switched)

    assert reviewed.fixability is Fixability.UNKNOWN
    assert "rerun_failed_jobs" in reviewed.note
