"""Whether an Argo CD app went Degraded soon enough after its last sync to blame that sync."""

from datetime import UTC, datetime, timedelta

import pytest

from app.core.analysis.argocd_sync import DEGRADED_AFTER_SYNC_WINDOW, degraded_after_sync_line

FINISHED = "2026-03-02T10:00:00Z"
AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def degraded(**overrides) -> dict:
    return {
        "health_status": "Degraded",
        "operation_phase": "Succeeded",
        "finished_at": FINISHED,
        "revision": "995737f96c59e53e9f60e2a45d1eae1c60646ecd",
        **overrides,
    }


def test_degraded_four_minutes_after_a_sync_names_the_sync_and_its_revision():
    line = degraded_after_sync_line(degraded(), AT + timedelta(minutes=4))
    assert line == (
        "Went Degraded 4 min after its last sync finished (revision 995737f96c59): "
        "the sync is the likely cause"
    )


def test_degraded_long_after_the_sync_is_not_blamed_on_it():
    late = AT + DEGRADED_AFTER_SYNC_WINDOW + timedelta(seconds=1)
    assert degraded_after_sync_line(degraded(), late) is None


def test_a_notification_received_before_the_sync_finished_is_not_blamed_on_it():
    assert degraded_after_sync_line(degraded(), AT - timedelta(minutes=1)) is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"health_status": "Healthy"},
        {"health_status": "Missing"},
        {"operation_phase": "Failed"},
        {"operation_phase": None},
        {"finished_at": None},
        {"finished_at": "<no value>"},
    ],
    ids=["healthy", "missing", "sync-failed", "no-operation", "no-finish-time", "unparseable"],
)
def test_only_a_degraded_app_after_a_succeeded_sync_with_a_finish_time_counts(overrides):
    assert degraded_after_sync_line(degraded(**overrides), AT + timedelta(minutes=2)) is None


def test_no_receipt_time_says_nothing():
    assert degraded_after_sync_line(degraded(), None) is None


def test_a_receipt_time_without_a_zone_is_read_as_utc():
    naive = datetime(2026, 3, 2, 10, 30)  # the database hands back UTC without a zone
    line = degraded_after_sync_line(degraded(finished_at="2026-03-02T10:29:00+00:00"), naive)
    assert line is not None and "1 min" in line
