"""Was an Argo CD app's Degraded health caused by the sync that just finished?

A notification that an app is Degraded says nothing about why. When its last sync finished
successfully a few minutes before the notification arrived, the revision that sync deployed is
the likely cause, and rolling back to the previous one the likely fix (a person approves). The
check is timing only: it adds one fixed sentence to the excerpt, which a rule pattern
(``argocd_degraded_after_sync`` in config/failure_patterns.yaml) reads like any other evidence.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

# How soon after a sync a Degraded app is blamed on that sync. Health checks settle within a
# few minutes of an apply (a Deployment's progress deadline is 10 minutes by default).
DEGRADED_AFTER_SYNC_WINDOW = timedelta(minutes=15)
DEGRADED = "Degraded"
SYNC_SUCCEEDED = "Succeeded"


def degraded_after_sync_line(
    details: dict[str, Any],
    received_at: datetime | None,
    *,
    window: timedelta = DEGRADED_AFTER_SYNC_WINDOW,
) -> str | None:
    """The sentence saying the app went Degraded soon after its last sync, or None when the
    notification does not say so (another health, a failed sync, no finish time, too late)."""
    if details.get("health_status") != DEGRADED or received_at is None:
        return None
    if details.get("operation_phase") != SYNC_SUCCEEDED:
        return None  # a failed sync is a sync error, not a bad revision that deployed
    finished = _parse_time(details.get("finished_at"))
    if finished is None:
        return None
    elapsed = _aware(received_at) - finished
    if elapsed < timedelta(0) or elapsed > window:
        return None
    revision = str(details.get("revision") or "unknown")[:12]
    return (
        f"Went Degraded {_minutes(elapsed)} after its last sync finished "
        f"(revision {revision}): the sync is the likely cause"
    )


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return _aware(parsed)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _minutes(elapsed: timedelta) -> str:
    return f"{max(1, round(elapsed.total_seconds() / 60))} min"
