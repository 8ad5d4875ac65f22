"""The rule classifier on Argo CD syncs: a sync cut off by a transient error is synced again,
an app Degraded right after a sync is proposed for a rollback (a person approves).

The transient cases are minimal lines of the Kubernetes API server's, its clients' and gRPC's
own vocabulary, in the context a sync failure is reported in; the guards are the corpus's
train-side Argo CD excerpts, which must keep their verdicts.
"""

from pathlib import Path

import pytest

from app.core.analysis.excerpt import build_excerpt
from app.domain.classification.rule_classifier import RuleClassifier

ROOT = Path(__file__).parents[3]
PATTERNS = ROOT / "config" / "failure_patterns.yaml"
CORPUS = ROOT / "tests" / "fixtures" / "ci_logs"
ARGO = "argocd_sync_error"
SYNC_FAILED = "Argo CD application shop: SyncFailed"


@pytest.fixture(scope="module")
def classifier() -> RuleClassifier:
    return RuleClassifier.from_file(PATTERNS)


def verdict_of(classifier: RuleClassifier, text: str) -> tuple[str, str, str]:
    verdict = classifier.classify(build_excerpt(text).text)
    return verdict.category.value, verdict.action.value, verdict.fixability.value


@pytest.mark.parametrize(
    "message",
    [
        "context deadline exceeded",
        "read tcp 10.0.0.5:51234->10.96.0.1:443: read: connection reset by peer",
        "dial tcp 10.96.0.1:443: i/o timeout",
        "dial tcp 10.96.0.1:443: connect: connection refused",
        "net/http: TLS handshake timeout",
        "rpc error: code = Unavailable desc = connection error",
        "rpc error: code = DeadlineExceeded desc = context deadline exceeded",
        "the server is currently unable to handle the request",
        "the server was unable to return a response in the time allotted",
        "Timeout: request did not complete within requested timeout",
        "etcdserver: request timed out",
        "etcdserver: leader changed",
        "http2: client connection lost",
        'Operation cannot be fulfilled on deployments.apps "web": the object has been '
        "modified; please apply your changes to the latest version and try again",
    ],
)
def test_a_sync_cut_off_by_a_transient_error_is_synced_again(classifier, message):
    text = f"{SYNC_FAILED}\nNotification message: one or more objects failed to apply, reason: {message}"
    assert verdict_of(classifier, text) == (ARGO, "argocd_sync", "auto")


@pytest.mark.parametrize(
    "context",
    [
        "Operation phase: Error",
        "Operation has completed with phase: Failed",
        "sync operation to 3f2a9c1 failed",
        "SyncError",
    ],
)
def test_each_way_argo_cd_reports_a_failed_sync_is_a_sync_context(classifier, context):
    text = f"{context}\nOperation message: the server is currently unable to handle the request"
    assert verdict_of(classifier, text) == (ARGO, "argocd_sync", "auto")


def test_a_transient_error_outside_a_sync_is_not_an_argo_cd_sync(classifier):
    assert verdict_of(classifier, "dial tcp 10.96.0.1:443: i/o timeout")[1] != "argocd_sync"


def test_the_same_words_in_a_comparison_stay_a_hard_refresh(classifier):
    text = (
        f"{SYNC_FAILED}\nCondition ComparisonError: Failed to load target state: failed to "
        "generate manifest for source 1 of 1: rpc error: code = Unavailable desc = connection error"
    )
    assert verdict_of(classifier, text)[:2] == (ARGO, "argocd_hard_refresh")


def test_a_refused_manifest_next_to_a_timeout_is_not_synced_again(classifier):
    text = (
        f"{SYNC_FAILED}\nOperation message: one or more objects failed to apply, reason: "
        'deployments.apps is forbidden: User "system:serviceaccount:argocd:argocd-application-'
        'controller" cannot create resource "deployments"; context deadline exceeded'
    )
    assert verdict_of(classifier, text)[1] != "argocd_sync"


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        # No Argo CD words in it: a helm deadline the rules do not place (as before).
        ("081_argocd_helmfile_context_deadline.log", ("unknown", "none")),
        ("082_argocd_comparison_deadline_exceeded.log", (ARGO, "argocd_hard_refresh")),
        ("036_argocd_validation_unknown_field.log", (ARGO, "none")),
        ("190_argocd_sync_forbidden_controller_sa.log", (ARGO, "none")),
    ],
)
def test_train_side_argo_cd_excerpts_keep_their_verdicts(classifier, file, expected):
    text = (CORPUS / file).read_text(encoding="utf-8")
    assert verdict_of(classifier, text)[:2] == expected


def test_degraded_right_after_a_sync_proposes_a_rollback_for_approval(classifier):
    text = (
        "Argo CD application shop: Degraded\nCategory hint: unknown\n"
        "Went Degraded 3 min after its last sync finished (revision 3f2a9c1): "
        "the sync is the likely cause"
    )
    assert verdict_of(classifier, text) == (ARGO, "argocd_rollback", "unknown")


def test_degraded_without_a_recent_sync_proposes_nothing(classifier):
    text = "Argo CD application shop: Degraded\nCategory hint: unknown"
    assert verdict_of(classifier, text)[1] == "none"
