"""Is it still right to re-run this GitHub run? Pure checks over the API's run objects."""

from typing import Any

from app.domain.remediators.base import RemediationResult, RemediationStatus

RERUNNABLE_CONCLUSIONS = frozenset({"failure", "timed_out", "startup_failure", "cancelled"})


def check_run_still_failed(
    run: dict[str, Any], *, decided_attempt: int
) -> RemediationResult | None:
    """None when the run is still the failed attempt we decided on.

    An advanced ``run_attempt`` means a re-run already happened (someone clicked, or our own
    earlier try got through before a crash): report ALREADY_DONE instead of calling again.
    """
    attempt = int(run.get("run_attempt") or 1)
    if attempt > decided_attempt:
        return RemediationResult(
            status=RemediationStatus.ALREADY_DONE,
            detail=f"run is already at attempt {attempt} (decided on {decided_attempt})",
            data={"run_attempt": attempt},
        )
    if run.get("status") != "completed":
        return RemediationResult(
            status=RemediationStatus.DEFERRED,
            detail=f"run is {run.get('status')}, not completed",
            retry_after=60,
        )
    if run.get("conclusion") not in RERUNNABLE_CONCLUSIONS:
        return RemediationResult(
            status=RemediationStatus.ABORTED,
            detail=f"run concluded {run.get('conclusion')!r}; nothing to re-run",
        )
    return None


def check_not_superseded(
    run: dict[str, Any], newest: list[dict[str, Any]]
) -> RemediationResult | None:
    """A newer run of the same workflow on the same branch makes re-running this one pointless."""
    newer = [
        r
        for r in newest
        if int(r.get("id", 0)) > int(run["id"]) and r.get("head_branch") == run.get("head_branch")
    ]
    if not newer:
        return None
    return RemediationResult(
        status=RemediationStatus.ABORTED,
        detail=f"superseded by newer run {max(int(r['id']) for r in newer)}",
    )
