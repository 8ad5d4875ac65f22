"""Waiting for an outside service: growing delays, one wait per service and stage, a limit."""

from datetime import UTC, datetime, timedelta

from app.domain.dependency_waits import (
    DependencyWait,
    WaitPolicy,
    describe_outage,
    format_duration,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = WaitPolicy(
    first_wait=timedelta(minutes=1),
    longest_wait=timedelta(minutes=15),
    give_up_after=timedelta(hours=2),
)


def test_a_first_failure_starts_a_wait_now():
    wait = POLICY.record(None, service="GitHub", stage="analyzing", now=NOW)
    assert wait == DependencyWait("GitHub", "analyzing", NOW, 1)
    assert POLICY.delay(wait) == timedelta(minutes=1)


def test_the_delay_doubles_with_each_wait_up_to_the_longest():
    delays = [
        POLICY.delay(DependencyWait("GitHub", "analyzing", NOW, waits)) for waits in range(1, 8)
    ]
    assert delays == [timedelta(minutes=m) for m in (1, 2, 4, 8, 15, 15, 15)]


def test_the_same_service_at_the_same_stage_continues_the_wait_from_its_start():
    earlier = DependencyWait("GitHub", "analyzing", NOW - timedelta(minutes=30), 3)
    wait = POLICY.record(earlier, service="GitHub", stage="analyzing", now=NOW)
    assert wait.since == earlier.since and wait.waits == 4


def test_another_stage_or_service_starts_a_new_wait():
    earlier = DependencyWait("GitHub", "analyzing", NOW - timedelta(minutes=30), 3)
    assert POLICY.record(earlier, service="GitHub", stage="remediating", now=NOW).since == NOW
    assert POLICY.record(earlier, service="Argo CD", stage="analyzing", now=NOW).waits == 1


def test_the_wait_is_exhausted_once_it_lasted_the_limit():
    wait = DependencyWait("GitHub", "analyzing", NOW - timedelta(hours=2), 9)
    assert POLICY.exhausted(wait, NOW)
    assert not POLICY.exhausted(wait, NOW - timedelta(seconds=1))


def test_the_record_survives_the_round_trip_through_the_incident_details():
    wait = DependencyWait("GitHub", "remediating", NOW, 2)
    assert DependencyWait.from_details({"waiting_on": wait.to_json()}) == wait


def test_an_unreadable_record_counts_as_no_wait():
    assert DependencyWait.from_details({"waiting_on": {"service": "GitHub"}}) is None
    assert DependencyWait.from_details({"waiting_on": "soon"}) is None
    assert DependencyWait.from_details(None) is None


def test_the_outage_says_which_service_and_for_how_long():
    assert (
        describe_outage("GitHub", timedelta(hours=2, minutes=5), upstream_status=None)
        == "GitHub unreachable for 2 h 5 min"
    )
    assert (
        describe_outage("Argo CD", timedelta(minutes=40), upstream_status=503)
        == "Argo CD failing (HTTP 503) for 40 min"
    )
    assert format_duration(timedelta(hours=3)) == "3 h"
    assert format_duration(timedelta(seconds=42)) == "42 s"
