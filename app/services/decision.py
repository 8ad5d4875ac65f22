"""Decision step: gather facts from the database, let the pure engine decide, record it.

The whole step for one incident runs in one transaction under a transaction-scoped advisory
lock, so the hourly budget holds however many workers decide at the same moment, and a
restart does not reset it (the counts come from ``remediation_attempts``).
"""

import logging
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from app.adapters.database.engine import Database
from app.adapters.database.repositories.approvals import ApprovalRepository
from app.adapters.database.repositories.attempts import AttemptRepository
from app.adapters.database.repositories.decision_facts import DecisionFactsRepository
from app.adapters.database.repositories.incidents import IncidentRepository
from app.adapters.database.repositories.pauses import PauseRepository
from app.adapters.database.tables import Incident, utcnow
from app.core.enums import (
    ActionKind,
    Actor,
    Decision,
    Environment,
    Fixability,
    IncidentKind,
    IncidentSource,
    IncidentStatus,
    Strategy,
)
from app.core.metrics import Metrics, NullMetrics
from app.domain.audit import AuditEvent
from app.domain.decisions.engine import DecisionEngine
from app.domain.decisions.models import DecisionFacts, DecisionOutcome, Thresholds
from app.domain.deploy_cause import cause_decision, cause_of
from app.domain.pauses import matching_pause
from app.domain.rules.storm import StormRule
from app.services.attempt_planner import AttemptPlanner, incident_target
from app.services.audit_trail import record_event
from app.services.autonomy import AutonomyService
from app.services.fix_history import diagnosis_values, fix_history

log = logging.getLogger(__name__)

STORM_WINDOW = timedelta(minutes=15)
RECURRENCE_WINDOW = timedelta(hours=24)
FIX_HISTORY_WINDOW = timedelta(days=7)  # CAUSE_REMAINS_WINDOW_DAYS
STATUS_BY_DECISION = {
    Decision.AUTO_FIX: IncidentStatus.REMEDIATING,
    Decision.NEEDS_APPROVAL: IncidentStatus.AWAITING_APPROVAL,
    Decision.ESCALATE: IncidentStatus.ESCALATED,
    Decision.IGNORE: IncidentStatus.IGNORED,
}


class DecisionService:
    def __init__(
        self,
        db: Database,
        engine: DecisionEngine,
        *,
        environment: Environment,
        strategy: Strategy,
        thresholds: Callable[[], Thresholds],
        storm_rule: StormRule,
        planner: AttemptPlanner,
        rerun_actions: Collection[ActionKind],
        shadow: bool = False,
        approval_ttl: timedelta = timedelta(minutes=30),
        metrics: Metrics | None = None,
        autonomy: AutonomyService | None = None,
        fix_history_window: timedelta = FIX_HISTORY_WINDOW,
    ):
        self.db = db
        self.engine = engine
        self.environment = environment
        self.strategy = strategy
        self.thresholds = thresholds
        self.storm_rule = storm_rule
        self.planner = planner
        # Actions whose remediator re-runs a workflow run: they count as automatic reruns.
        self.rerun_actions = frozenset(rerun_actions)
        self.shadow = shadow
        self.approval_ttl = approval_ttl
        self.metrics = metrics or NullMetrics()
        # Earned autonomy per (signature, action); None: decisions use confidence bands only.
        self.autonomy = autonomy
        # How far back the fixes of the incident's target count (symptom-not-cause rule).
        self.fix_history_window = fix_history_window

    def __call__(self, incident_id: int) -> None:
        """Pipeline step: decide an ``analyzed`` incident."""
        # Read before taking the lock: holding one connection while asking for another
        # would let a hundred concurrent deciders exhaust the pool.
        thresholds = self.thresholds()
        with self.db.session() as session:
            self.planner.lock(session)
            incident = IncidentRepository(session).get(incident_id)
            if incident is None or incident.status != IncidentStatus.ANALYZED or incident.decision:
                return
            if self.autonomy is not None:  # evidence recorded elsewhere since counts now
                self.autonomy.review(session, incident)
            facts = self.gather_facts(session, incident)
            outcome = self._decide(incident, facts, thresholds)
            if self.storm_rule.is_storm(facts) and incident.signature_hash:
                self._group_storm(session, incident, incident.signature_hash, outcome)
                return
            self._record(session, incident, facts, outcome, thresholds)

    # --- facts ---------------------------------------------------------------------------
    def gather_facts(self, session: Session, incident: Incident) -> DecisionFacts:
        attempts, facts = AttemptRepository(session), DecisionFactsRepository(session)
        target = incident_target(incident)
        budget = self.planner.budget_use(session, target)
        now = utcnow()
        reruns, superseded = 0, None
        if incident.repo and incident.run_id is not None:
            reruns = attempts.automatic_reruns_of_run(
                incident.repo, incident.run_id, sorted(a.value for a in self.rerun_actions)
            )
            superseded = facts.newer_run_of_same_workflow(
                repo=incident.repo,
                workflow_id=incident.workflow_id,
                branch=incident.head_branch,
                run_id=incident.run_id,
            )
        signature = incident.signature_hash
        source, action = (
            IncidentSource(incident.source),
            ActionKind(incident.action or ActionKind.NONE),
        )
        return DecisionFacts(
            incident_id=incident.id,
            source=source,
            environment=self.environment,
            category=incident.category or "unknown",
            action=action,
            fixability=Fixability(incident.fixability or Fixability.UNKNOWN),
            confidence=incident.confidence or 0.0,
            target=target,
            branch=incident.head_branch,
            namespace=incident.namespace,
            run_attempt=incident.run_attempt,
            run_age_days=_age_days(incident.run_started_at, now),
            automatic_reruns_of_run=reruns,
            superseded_by_run_id=superseded,
            fixes_last_hour=budget.fixes_last_hour,
            fixes_last_hour_target=budget.fixes_last_hour_target,
            signature_hash=signature,
            recent_auto_fixes_of_signature=(
                attempts.auto_fixed_incidents_of_signature(signature, since=now - RECURRENCE_WINDOW)
                if signature
                else []
            ),
            storm_targets=facts.storm_targets(signature, since=now - STORM_WINDOW)
            if signature
            else 1,
            fixes_of_target=fix_history(session, incident, window=self.fix_history_window, now=now),
            autonomy=self.autonomy.earned(session, incident) if self.autonomy else None,
            # Read in the decision's transaction: a pause set a moment ago holds this decision.
            pause=matching_pause(PauseRepository(session).active(), source=source, action=action),
        )

    def _decide(
        self, incident: Incident, facts: DecisionFacts, thresholds: Thresholds
    ) -> DecisionOutcome:
        """The strategy's decision, or, when a deploy caused the failure, its undoing proposed
        to a person (app/domain/deploy_cause.py); the rules apply to either."""
        cause = cause_of(incident.details)
        if cause is None:
            return self.engine.decide(facts, strategy=self.strategy, thresholds=thresholds)
        decision, why = cause_decision(cause)
        return self.engine.apply_rules(facts, decision, strategy=self.strategy, strategy_reason=why)

    def review_approved(
        self, session: Session, incident: Incident, *, approved_by: str
    ) -> tuple[DecisionFacts, DecisionOutcome]:
        """Before an approved fix is planned: the facts as they are now, and every decision rule
        on them with the person's approval as the decision. A rule that only asks for a person
        is met; one that now escalates or ignores (a blacklist entry added since, the recurrence
        or retry budget reached) makes the outcome more careful than ``needs_approval``."""
        facts = self.gather_facts(session, incident)
        outcome = self.engine.apply_rules(
            facts,
            Decision.NEEDS_APPROVAL,
            strategy=self.strategy,
            strategy_reason=f"approved by {approved_by}",
        )
        return facts, outcome

    # --- recording -----------------------------------------------------------------------
    def _record(
        self,
        session: Session,
        incident: Incident,
        facts: DecisionFacts,
        outcome: DecisionOutcome,
        thresholds: Thresholds,
    ) -> None:
        decision = outcome.decision
        reason = outcome.reason
        status = STATUS_BY_DECISION[decision]
        if decision is Decision.AUTO_FIX:
            planned = self.planner.plan(session, incident, actor=Actor.AUTO)
            if planned.dry_run:
                # Recorded as planned; nothing will be called. The incident stays analyzed.
                status = IncidentStatus.ANALYZED
                mode = "shadow mode" if self.shadow else "dry run"
                reason = f"{reason} ({mode}: planned, not executed)"
        if decision is Decision.NEEDS_APPROVAL:
            ApprovalRepository(session).request(incident.id, ttl=self.approval_ttl)
        IncidentRepository(session).transition(
            incident.id,
            expected=IncidentStatus.ANALYZED,
            to=status,
            decision=decision.value,
            decision_reason=reason,
            escalation_reason=_key(outcome),
            **diagnosis_values(outcome),
        )
        record_event(
            session,
            AuditEvent.DECISION_MADE,
            incident_id=incident.id,
            actor="auto",
            details={
                "decision": decision.value,
                "strategy": outcome.strategy.value,
                "strategy_reason": outcome.strategy_reason,
                "thresholds": thresholds.model_dump(),
                "confidence": {
                    "total": incident.confidence,
                    "classifier": incident.confidence_classifier,
                    "similarity": incident.confidence_similarity,
                    "history": incident.confidence_history,
                },
                "rules": [f.model_dump() for f in outcome.findings],
                "autonomy": facts.autonomy.model_dump() if facts.autonomy else None,
                "pause": facts.pause.model_dump(mode="json") if facts.pause else None,
                "dry_run": self.planner.dry_run,
                "shadow": self.shadow,
            },
        )
        self.metrics.count("decisions", decision=decision.value, source=facts.source.value)
        log.info("incident %s decided %s: %s", incident.id, decision.value, reason)

    def _group_storm(
        self, session: Session, incident: Incident, signature: str, outcome: DecisionOutcome
    ) -> None:
        facts = DecisionFactsRepository(session)
        since = utcnow() - STORM_WINDOW
        parent = facts.open_storm_parent(signature, since=since)
        if parent is None:
            parent = self._new_storm_parent(session, incident, outcome)
        incidents = IncidentRepository(session)
        for member in facts.storm_members(signature, since=since):
            if member.parent_id is not None or member.id == parent.id:
                continue
            member.parent_id = parent.id
            # Undecided members are ignored by the same conditional move as any decision: one
            # that someone else has moved since it was read keeps the state it was moved to.
            if member.decision:
                continue
            if incidents.transition(
                member.id,
                expected=IncidentStatus.ANALYZED,
                to=IncidentStatus.IGNORED,
                decision=Decision.IGNORE.value,
                decision_reason=f"grouped under storm incident #{parent.id}",
            ):
                record_event(
                    session,
                    AuditEvent.DECISION_GROUPED,
                    incident_id=member.id,
                    actor="auto",
                    details={"parent_id": parent.id},
                )
        parent.occurrences = len(facts.storm_members(signature, since=since))
        session.flush()

    def _new_storm_parent(
        self, session: Session, incident: Incident, outcome: DecisionOutcome
    ) -> Incident:
        decision = outcome.decision
        parent = Incident(
            source=incident.source,
            kind=IncidentKind.STORM_GROUP,
            dedup_key=f"storm:{incident.signature_hash}:{incident.id}",
            fingerprint=f"storm:{incident.signature_hash}",
            status=STATUS_BY_DECISION[decision]
            if decision is not Decision.AUTO_FIX
            else IncidentStatus.AWAITING_APPROVAL,
            title=f"Storm: {incident.category} on many targets",
            signature=incident.signature,
            signature_hash=incident.signature_hash,
            category=incident.category,
            root_cause=incident.root_cause,
            fixability=incident.fixability,
            action=incident.action,
            excerpt=incident.excerpt,
            evidence=incident.evidence,
            confidence=incident.confidence,
            confidence_classifier=incident.confidence_classifier,
            confidence_similarity=incident.confidence_similarity,
            confidence_history=incident.confidence_history,
            decision=decision.value,
            decision_reason=outcome.reason,
            escalation_reason=_key(outcome),
        )
        session.add(parent)
        session.flush()
        if decision is Decision.NEEDS_APPROVAL:
            ApprovalRepository(session).request(parent.id, ttl=self.approval_ttl)
        record_event(
            session,
            AuditEvent.DECISION_MADE,
            incident_id=parent.id,
            actor="auto",
            details={
                "decision": decision.value,
                "strategy": outcome.strategy.value,
                "rules": [f.model_dump() for f in outcome.findings],
                "storm": True,
            },
        )
        return parent


def _key(outcome: DecisionOutcome) -> str | None:
    key = outcome.escalation_reason
    return key.value if key is not None else None


def _age_days(started: datetime | None, now: datetime) -> float | None:
    if started is None:
        return None
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    return (now - started).total_seconds() / 86400
