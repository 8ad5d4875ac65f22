"""The fixes that worked on one target, and what they say when they keep being needed.

A memory limit raised every few days, a pod restarted every morning, the same flaky test
re-run every week: each fix succeeds, so nothing else stops the next one, and nobody hears of
it. The decision step gathers the successful fixes of the incident's target by its action over
a window (``FixHistory``); the symptom-not-cause rule (``app/domain/rules/symptom_not_cause.py``)
escalates when there are too many, with the summary built here from those rows alone.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.enums import ActionKind
from app.core.targets import AppTarget, RunTarget, WorkloadTarget
from app.domain.classification.flaky_tests import FlakeHistory

RESTARTS = frozenset({ActionKind.RESTART_POD, ActionKind.ROLLOUT_RESTART})
MAX_FIXES_LISTED = 10
MAX_TESTS_NAMED = 5


class PastFix(BaseModel):
    """One fix that ran and was not found wanting, with the incident it fixed."""

    model_config = ConfigDict(frozen=True)

    incident_id: int
    action: ActionKind
    failed_at: datetime | None  # when the failure it fixed was reported
    fixed_at: datetime  # when the fix ran
    actor: str = "auto"  # auto, or slack (a person approved it)
    actor_id: str | None = None
    # scale_memory: the limit the pod ran with and the one it was raised to
    limit_before: str | None = None
    limit_after: str | None = None
    container: str | None = None
    failing_tests: tuple[str, ...] = ()  # the tests the fixed incident's log named

    @classmethod
    def from_attempt(
        cls,
        *,
        incident_id: int,
        action: ActionKind,
        failed_at: datetime | None,
        fixed_at: datetime,
        actor: str,
        actor_id: str | None,
        result: dict[str, Any],
        failing_tests: Sequence[str] = (),
    ) -> "PastFix":
        """From a stored attempt; ``result`` holds what the remediator reported (scale_memory:
        ``from``, ``to`` and ``container``; a limit already raised reports none)."""
        return cls(
            incident_id=incident_id,
            action=action,
            failed_at=failed_at,
            fixed_at=fixed_at,
            actor=actor,
            actor_id=actor_id,
            limit_before=_text(result.get("from")),
            limit_after=_text(result.get("to")),
            container=_text(result.get("container")),
            failing_tests=tuple(str(t) for t in failing_tests),
        )


class FixHistory(BaseModel):
    """The successful fixes of the incident's target by the incident's action in the window,
    oldest first, and what the incident itself says (when, which failing tests)."""

    model_config = ConfigDict(frozen=True)

    target: str  # as a person names it: "Deployment shop/cart", "workflow CI of org/api"
    window: timedelta
    fixes: list[PastFix] = Field(default_factory=list)
    failed_at: datetime | None = None
    failing_tests: tuple[str, ...] = ()
    test_history: dict[str, FlakeHistory] = Field(default_factory=dict)


def target_label(target: RunTarget | WorkloadTarget | AppTarget) -> str:
    """How a person names the target the fixes were applied to."""
    if isinstance(target, RunTarget):
        workflow = target.workflow_name or (
            f"#{target.workflow_id}" if target.workflow_id is not None else "?"
        )
        return f"workflow {workflow} of {target.repo}"
    if isinstance(target, WorkloadTarget):
        where = f" in cluster {target.cluster}" if target.cluster else ""
        if target.owner_kind and target.owner_name:
            return f"{target.owner_kind} {target.namespace or '-'}/{target.owner_name}{where}"
        return f"pod {target.namespace or '-'}/{target.pod or '?'}{where}"
    return f"Argo CD app {target.app}"


def repeated_fixes(action: ActionKind, history: FixHistory) -> list[PastFix]:
    """The fixes that count as the same symptom treated again: the same action; for a memory
    raise, one that raised the limit (not one that found it already raised); when the incident
    names failing tests, one whose incident failed on at least one of them. A re-run of failed
    jobs counts only for a named failing test (a flaky test is a cause a person can fix): a
    network or registry blip re-run every few days is the outside world, not a cause in the
    repository, and the recurrence rule already watches it within its day."""
    fixes = [f for f in history.fixes if f.action is action]
    if action is ActionKind.SCALE_MEMORY:
        fixes = [f for f in fixes if f.limit_after]
    if action is ActionKind.RERUN_FAILED_JOBS and not history.failing_tests:
        return []
    if history.failing_tests:
        wanted = set(history.failing_tests)
        fixes = [f for f in fixes if wanted.intersection(f.failing_tests)]
    return fixes


def cause_remains_headline(
    action: ActionKind, history: FixHistory, fixes: Sequence[PastFix]
) -> str:
    """One line for the decision's reason."""
    listed = ", ".join(f"#{f.incident_id}" for f in fixes[:MAX_FIXES_LISTED])
    return (
        f"the fix works but the cause remains: {action.value} on {history.target} "
        f"{_times(len(fixes))} in {window_text(history.window)} ({listed})"
    )


def cause_remains_summary(
    action: ActionKind, history: FixHistory, fixes: Sequence[PastFix]
) -> list[str]:
    """What a person reads to fix the cause: the fixes, and what to look at instead."""
    if action is ActionKind.SCALE_MEMORY:
        return _memory_summary(history, fixes)
    if action in RESTARTS:
        return _restart_summary(action, history, fixes)
    if history.failing_tests:
        return _test_summary(action, history, fixes)
    return _generic_summary(action, history, fixes)


# --- per kind of fix --------------------------------------------------------------------------
def _memory_summary(history: FixHistory, fixes: Sequence[PastFix]) -> list[str]:
    lines = [
        f"The memory limit of {history.target} was raised {_times(len(fixes))} in "
        f"{window_text(history.window)}, and it ran out of memory again each time:"
    ]
    for fix in fixes[-MAX_FIXES_LISTED:]:
        container = f" (container {fix.container})" if fix.container else ""
        lines.append(
            f"• {_failure(fix, 'OOM-killed and restarted')}; limit raised {fix.limit_before or '?'} → "
            f"{fix.limit_after}"
            f"{container} at {when(fix.fixed_at)}, {_by(fix)}"
        )
    lines.append(f"• {when(history.failed_at)}: OOM-killed again (this incident)")
    first, last = fixes[0].limit_before, fixes[-1].limit_after
    lines.append(
        f"The usage grew with every limit ({first or '?'} → {last}): most likely a leak. "
        "Find it (a heap profile, what grows between restarts) or set the limit on purpose in "
        "the manifest; CodeHealer raises it no further while these raises are in the window."
    )
    return lines


def _restart_summary(
    action: ActionKind, history: FixHistory, fixes: Sequence[PastFix]
) -> list[str]:
    what = "restarted" if action is ActionKind.RESTART_POD else "given a rollout restart"
    lines = [
        f"{history.target} was {what} {_times(len(fixes))} in {window_text(history.window)}; "
        "each restart cleared it and it failed again:"
    ]
    lines += [
        f"• {_failure(fix)}; restarted at {when(fix.fixed_at)}, {_by(fix)}"
        for fix in fixes[-MAX_FIXES_LISTED:]
    ]
    lines.append(f"• {when(history.failed_at)}: failed again (this incident)")
    lines.append(
        "Find what wears it down between restarts (memory, connections, a dependency it "
        "waits on) instead of restarting it again."
    )
    return lines


def _test_summary(action: ActionKind, history: FixHistory, fixes: Sequence[PastFix]) -> list[str]:
    named = _tests_by_repeats(history.failing_tests, fixes)
    lines = [
        f"{action.value} ran on {history.target} {_times(len(fixes))} in "
        f"{window_text(history.window)} for the same failing tests. Fix or quarantine:"
    ]
    for test_id, count in named[:MAX_TESTS_NAMED]:
        lines.append(
            f"• {test_id}: failed in {count} of those runs and in this one{_flakes(history, test_id)}"
        )
    if len(named) > MAX_TESTS_NAMED:
        lines.append(f"• and {len(named) - MAX_TESTS_NAMED} more")
    lines.append(
        "Fixes: "
        + ", ".join(f"{when(f.fixed_at)} (#{f.incident_id})" for f in fixes[-MAX_FIXES_LISTED:])
    )
    return lines


def _generic_summary(
    action: ActionKind, history: FixHistory, fixes: Sequence[PastFix]
) -> list[str]:
    lines = [
        f"{action.value} ran on {history.target} {_times(len(fixes))} in "
        f"{window_text(history.window)}, and the failure came back each time:"
    ]
    lines += [
        f"• {_failure(fix)}; fixed at {when(fix.fixed_at)}, {_by(fix)}"
        for fix in fixes[-MAX_FIXES_LISTED:]
    ]
    lines.append(f"• {when(history.failed_at)}: failed again (this incident)")
    lines.append("Find and fix what makes it fail instead of applying the same fix again.")
    return lines


# --- helpers ----------------------------------------------------------------------------------
def _tests_by_repeats(failing: Sequence[str], fixes: Sequence[PastFix]) -> list[tuple[str, int]]:
    """The incident's failing tests that earlier fixed incidents named too, most often first."""
    counts = {t: sum(t in f.failing_tests for f in fixes) for t in dict.fromkeys(failing)}
    repeated = [(t, n) for t, n in counts.items() if n > 0]
    return sorted(repeated, key=lambda item: (-item[1], item[0]))


def _flakes(history: FixHistory, test_id: str) -> str:
    record = history.test_history.get(test_id)
    if record is None:
        return ""
    return (
        f"; flaky on {_commits(record.flaky)} (a re-run passed), broken on "
        f"{_commits(record.broken)} (a re-run failed again)"
    )


def _failure(fix: PastFix, what: str = "failed") -> str:
    return f"{when(fix.failed_at)}: {what} (#{fix.incident_id})"


def _by(fix: PastFix) -> str:
    if fix.actor == "auto":
        return "automatically"
    return f"approved by {fix.actor_id}" if fix.actor_id else f"by {fix.actor}"


def _times(count: int) -> str:
    return "once" if count == 1 else "twice" if count == 2 else f"{count} times"


def _commits(count: int) -> str:
    return "1 commit" if count == 1 else f"{count} commits"


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def window_text(window: timedelta) -> str:
    """``7 days``, ``36 hours``, ``1 day``."""
    hours = window.total_seconds() / 3600
    if hours >= 24 and hours % 24 == 0:
        days = int(hours // 24)
        return "1 day" if days == 1 else f"{days} days"
    return f"{hours:g} hours" if hours != 1 else "1 hour"


def when(at: datetime | None) -> str:
    """``2026-12-01 09:14 UTC``, or ``unknown time``."""
    if at is None:
        return "unknown time"
    if at.tzinfo is not None:
        at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%d %H:%M UTC")
