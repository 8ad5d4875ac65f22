"""The attempt planner: how a remediation attempt is planned, for the decision step (automatic
fixes) and for approvals (fixes a person approved) alike.

Planning writes the ``planned`` attempt row before anything is called: its action, the
parameters taken from the incident, the target its budget counts against, and whether it is a
dry run. The hourly budget is counted here, under the transaction-scoped advisory lock that
both paths take, so concurrent deciders and clicks cannot both take the last slot.
"""

from dataclasses import dataclass

from sqlmodel import Session

from app.adapters.database.repositories.attempts import AttemptRepository, hour_ago
from app.adapters.database.tables import Incident
from app.core.enums import ActionKind, Actor, AttemptStatus
from app.core.targets import RunTarget, budget_key, remediation_fields, target_of
from app.domain.config_fixes.location import locate
from app.domain.deploy_cause import cause_of
from app.domain.rules.blast_radius import HourlyBudget


@dataclass(frozen=True)
class BudgetUse:
    """Fixes counted against the hourly budget in the last hour: all, and on one target."""

    fixes_last_hour: int
    fixes_last_hour_target: int


@dataclass(frozen=True)
class PlannedAttempt:
    action: ActionKind
    dry_run: bool


class AttemptPlanner:
    def __init__(
        self, *, budget: HourlyBudget, dry_run: bool, secret_names: list[str] | None = None
    ):
        self.budget = budget  # the hourly budget the decision rules check too
        self.dry_run = dry_run
        self.secret_names = secret_names or []

    @staticmethod
    def lock(session: Session) -> None:
        """Hold the budget for this transaction: taken before counting, released at commit."""
        AttemptRepository(session).lock_blast_radius()

    @staticmethod
    def budget_use(session: Session, target: str) -> BudgetUse:
        attempts, since = AttemptRepository(session), hour_ago()
        return BudgetUse(attempts.count_since(since), attempts.count_since(since, target=target))

    def plan(
        self, session: Session, incident: Incident, *, actor: Actor, actor_id: str | None = None
    ) -> PlannedAttempt:
        """Write the planned attempt of the incident's action."""
        attempts = AttemptRepository(session)
        action = ActionKind(incident.action or ActionKind.NONE)
        attempts.add(
            incident_id=incident.id,
            action=action.value,
            attempt_number=attempts.next_attempt_number(incident.id, action.value),
            target=incident_target(incident),
            params=remediation_params(incident, self.secret_names, action=action),
            status=AttemptStatus.PLANNED,
            dry_run=self.dry_run,
            actor=actor,
            actor_id=actor_id,
        )
        return PlannedAttempt(action, self.dry_run)


def incident_target(incident: Incident) -> str:
    """The unit of the per-target budget: repo, namespace or app."""
    return budget_key(target_of(incident.kind, incident))


def remediation_params(
    incident: Incident, secret_names: list[str], *, action: ActionKind | None = None
) -> dict:
    """What the remediator needs, taken from the incident's target (validated again before
    any call)."""
    target = target_of(incident.kind, incident)
    params = remediation_fields(target)
    if action is ActionKind.CONFIG_FIX_PR and isinstance(target, RunTarget):
        params.update(config_fix_fields(incident, target))
    if action is ActionKind.SCALE_MEMORY and incident.root_cause:
        params["diagnosis"] = incident.root_cause  # a pull request's description, if one is opened
    revision = (incident.details or {}).get("revision")
    if incident.source == "argocd" and revision is not None:
        params["revision"] = revision
    cause = cause_of(incident.details)
    if cause is not None and incident.action == cause.action.value:
        # Undoing a deploy: the app and its bad revision, or the Deployment.
        params.update(cause.params)
    named = [n for n in secret_names if n in (incident.excerpt or "")]
    if len(named) == 1:  # only when the log names exactly one configured secret
        params["secret_name"] = named[0]
    return params


def config_fix_fields(incident: Incident, target: RunTarget) -> dict:
    """The commit a configuration fix starts from, and the file and line the log names."""
    location = locate(incident.excerpt or "")
    fields: dict = {"head_sha": target.head_sha, "diagnosis": incident.root_cause or ""}
    if location is not None:
        fields |= {"path": location.path, "line": location.line, "message": location.message}
    return {key: value for key, value in fields.items() if value is not None}
