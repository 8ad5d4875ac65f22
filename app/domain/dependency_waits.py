"""Waiting for an outside service: when an incident is tried again, and when to stop waiting.

An incident whose work needs a service that is down, hung or refusing calls (its circuit is
open) is not escalated at once: it goes back to wait, and is tried again after a delay that
doubles each time, until it has waited ``give_up_after`` for that service at that stage of its
work; then it escalates with the reason ("GitHub unreachable for 2 h 5 min").
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

RECORD_KEY = "waiting_on"  # in the incident's details


@dataclass(frozen=True)
class DependencyWait:
    """One incident's wait for one service, at one stage of its work (the status it was in)."""

    service: str
    stage: str
    since: datetime
    waits: int

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "stage": self.stage,
            "since": self.since.isoformat(),
            "waits": self.waits,
        }

    @classmethod
    def from_details(cls, details: dict[str, Any] | None) -> "DependencyWait | None":
        record = (details or {}).get(RECORD_KEY)
        if not isinstance(record, dict):
            return None
        try:
            return cls(
                service=str(record["service"]),
                stage=str(record["stage"]),
                since=datetime.fromisoformat(record["since"]),
                waits=int(record["waits"]),
            )
        except (KeyError, TypeError, ValueError):
            return None  # a record this version cannot read starts a new wait


@dataclass(frozen=True)
class WaitPolicy:
    first_wait: timedelta = timedelta(minutes=1)
    longest_wait: timedelta = timedelta(minutes=15)
    give_up_after: timedelta = timedelta(hours=2)

    def record(
        self, previous: DependencyWait | None, *, service: str, stage: str, now: datetime
    ) -> DependencyWait:
        """The wait after one more failure: the same service at the same stage continues the
        previous wait (its start is kept); anything else starts a new one."""
        if previous is not None and (previous.service, previous.stage) == (service, stage):
            return DependencyWait(service, stage, previous.since, previous.waits + 1)
        return DependencyWait(service, stage, now, 1)

    def delay(self, wait: DependencyWait) -> timedelta:
        """``first_wait`` doubled for every earlier wait, never more than ``longest_wait``."""
        doublings = min(wait.waits - 1, 30)
        return min(self.first_wait * 2**doublings, self.longest_wait)

    def exhausted(self, wait: DependencyWait, now: datetime) -> bool:
        return now - wait.since >= self.give_up_after


def describe_outage(service: str, waited: timedelta, *, upstream_status: int | None) -> str:
    """"GitHub unreachable for 2 h 5 min", or "failing" when it answered with an error status."""
    state = "unreachable" if upstream_status is None else f"failing (HTTP {upstream_status})"
    return f"{service} {state} for {format_duration(waited)}"


def format_duration(span: timedelta) -> str:
    seconds = max(0, int(span.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    if hours:
        return f"{hours} h"
    return f"{minutes} min"
