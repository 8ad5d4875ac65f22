"""The fixes that worked on an incident's target, gathered for its decision, and the diagnosis
a decision records on the incident."""

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.adapters.database.repositories.fix_history import FixHistoryRepository
from app.adapters.database.repositories.flakes import FlakeRepository
from app.adapters.database.tables import Incident, merge_json
from app.core.enums import ActionKind
from app.core.targets import RunTarget, identity_columns, target_of
from app.domain.decisions.fix_history import FixHistory, target_label
from app.domain.decisions.models import DecisionOutcome
from app.domain.diagnosis import DIAGNOSIS_KEY


def fix_history(
    session: Session, incident: Incident, *, window: timedelta, now: datetime
) -> FixHistory | None:
    """The successful fixes of the incident's target by its action since ``now - window``;
    None when it has no target or no action."""
    target = target_of(incident.kind, incident)
    action = ActionKind(incident.action or ActionKind.NONE)
    if target is None or action is ActionKind.NONE:
        return None
    fixes = FixHistoryRepository(session).fixes_of_target(
        identity_columns(target), action=action, since=now - window, excluding=incident.id
    )
    tests = tuple(str(t) for t in incident.failing_tests or ())
    flakes = (
        FlakeRepository(session).history(target.repo, tests)
        if fixes and tests and isinstance(target, RunTarget)
        else {}
    )
    return FixHistory(
        target=target_label(target),
        window=window,
        fixes=fixes,
        failed_at=incident.created_at,
        failing_tests=tests,
        test_history=flakes,
    )


def diagnosis_values(outcome: DecisionOutcome) -> dict[str, Any]:
    """The column values that record the outcome's diagnosis on the incident (``details``
    gains ``diagnosis``), for the update that records the decision; none without one."""
    lines = outcome.diagnosis
    if not lines:
        return {}
    return {"details": merge_json(Incident.details, {DIAGNOSIS_KEY: lines})}
