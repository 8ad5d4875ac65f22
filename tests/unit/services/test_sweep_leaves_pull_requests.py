"""The cluster sweep does not judge a fix proposed as a pull request: its merge or close does."""

from datetime import timedelta

from app.adapters.database.tables import Incident, RemediationAttempt, utcnow
from app.core.enums import IncidentKind
from app.services.verification import VerificationRecorder
from app.services.verification_sweep import TargetHealthChecker


def checker() -> TargetHealthChecker:
    return TargetHealthChecker(
        None,  # type: ignore[arg-type]  # judge() reads no database
        VerificationRecorder(),
        kubernetes=None,
        argocd=None,
        window=timedelta(minutes=10),
    )


def waiting(result: dict) -> tuple[Incident, RemediationAttempt]:
    long_ago = utcnow() - timedelta(hours=2)
    incident = Incident(
        source="kubernetes",
        kind=IncidentKind.K8S_POD.value,
        dedup_key="k",
        fingerprint="f",
        namespace="shop",
        pod="checkout-1",
        updated_at=long_ago,
    )
    attempt = RemediationAttempt(
        incident_id=1, action="scale_memory", result=result, finished_at=long_ago
    )
    return incident, attempt


def test_a_memory_raise_proposed_as_a_pull_request_is_left_to_its_verdict():
    incident, attempt = waiting({"pull_request": {"repo": "o/r", "number": 1, "url": "u"}})
    assert checker().judge(incident, attempt) is None


def test_a_live_memory_raise_is_judged_once_the_window_has_passed():
    incident, attempt = waiting({"detail": "patched"})
    verdict = checker().judge(incident, attempt)
    assert verdict is not None and verdict.resolved is False
