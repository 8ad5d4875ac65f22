"""Earned autonomy per (failure signature, action): judged from the evidence, continuously.

The statistics are in ``app.domain.learning.autonomy``; this service reads the evidence
(``AutonomyRepository``), judges it for the strategy in force and the risk the action's
remediator declares, and keeps the ``autonomy_grants`` row of each pair. Every change of state
is an audit event (``autonomy.promoted`` / ``autonomy.demoted``), which the notifications table
posts to Slack and the dashboard lists.

The pair is judged again where its evidence grows (the verification recorder, after a fix was
verified or a person's re-run was seen) and before each decision about the failure, so evidence
that arrives elsewhere (a rejection, a 👎, a fix the API refused) counts by the next decision.
"""

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.adapters.database.engine import Database
from app.adapters.database.repositories.autonomy import AutonomyRepository
from app.adapters.database.tables import AutonomyGrant, Incident
from app.core.enums import ActionKind, Strategy
from app.core.redaction import mask_secrets
from app.domain.audit import AuditEvent
from app.domain.decisions.models import EarnedAutonomy
from app.domain.learning.autonomy import AutonomyPolicy, Judgement, Record, judge
from app.domain.remediators.base import Risk
from app.services.audit_trail import record_event

log = logging.getLogger(__name__)

CHANGE_EVENTS = [AuditEvent.AUTONOMY_PROMOTED.value, AuditEvent.AUTONOMY_DEMOTED.value]
LABEL_LENGTH = 80


@dataclass(frozen=True)
class Judged:
    """A pair judged: what the statistics say, with the grant as it stood before."""

    signature_hash: str
    action: ActionKind
    category: str
    judgement: Judgement
    category_record: Record
    grant: AutonomyGrant | None

    @property
    def was_automatic(self) -> bool:
        return self.grant is not None and self.grant.automatic

    @property
    def taken_back(self) -> bool:
        return self.grant is not None and self.grant.demoted_at is not None


class AutonomyService:
    def __init__(
        self,
        *,
        policy: AutonomyPolicy,
        strategy: Strategy,
        risks: Mapping[ActionKind, Risk],
        reruns: Collection[ActionKind],
        enabled: bool = True,
    ):
        self.policy = policy
        self.strategy = strategy
        self.risks = dict(risks)  # the risk each remediator class declares
        self.reruns = frozenset(reruns)
        self.enabled = enabled

    # --- for a decision ----------------------------------------------------------------------
    def earned(self, session: Session, incident: Incident) -> EarnedAutonomy | None:
        """What the evidence allows the incident's action on its failure (reads only)."""
        judged = self.judge(session, incident)
        if judged is None:
            return None
        verdict = judged.judgement
        return EarnedAutonomy(
            automatic=verdict.automatic,
            taken_back=judged.taken_back and not verdict.automatic,
            summary=self._evidence_text(judged),
        )

    def judge(
        self, session: Session, incident: Incident, *, action: ActionKind | None = None
    ) -> Judged | None:
        """The pair of the incident's signature and ``action`` (its own by default), judged;
        None when autonomy is off, the failure has no signature or no remediator runs it."""
        chosen = action or ActionKind(incident.action or ActionKind.NONE)
        signature = incident.signature_hash
        if not self.enabled or not signature or chosen not in self.risks:
            return None
        category = incident.category or "unknown"
        evidence = AutonomyRepository(session)
        grant = evidence.grant(signature, chosen.value)
        since = grant.demoted_at if grant is not None else None
        own = evidence.own(signature, chosen.value, since=since)
        around = evidence.category(category, chosen.value, other_than=signature)
        automatic_now = grant is not None and grant.automatic
        streak = (
            evidence.failed_in_a_row(
                signature,
                chosen.value,
                since=grant.promoted_at if grant is not None else None,
                limit=self.policy.revoke_after,
            )
            if automatic_now
            else 0
        )
        verdict = judge(
            own,
            around,
            policy=self.policy,
            required=self.policy.required(self.risks[chosen], self.strategy),
            automatic_now=automatic_now,
            failed_in_a_row=streak,
        )
        return Judged(signature, chosen, category, verdict, around, grant)

    # --- keeping the grants ------------------------------------------------------------------
    def review(
        self, session: Session, incident: Incident, *, action: ActionKind | None = None
    ) -> Judged | None:
        """Judge the pair again and store it; a change of state is recorded on ``incident``."""
        judged = self.judge(session, incident, action=action)
        if judged is None:
            return None
        moved = AutonomyRepository(session).save(
            judged.signature_hash,
            judged.action.value,
            category=judged.category,
            label=failure_label(incident),
            judged=judged.judgement,
            was_automatic=judged.was_automatic,
        )
        if moved:
            self._announce(session, incident, judged)
        return judged

    def _announce(self, session: Session, incident: Incident, judged: Judged) -> None:
        verdict = judged.judgement
        line = self.change_line(judged, label=failure_label(incident))
        record_event(
            session,
            AuditEvent.AUTONOMY_PROMOTED if verdict.automatic else AuditEvent.AUTONOMY_DEMOTED,
            incident_id=incident.id,
            actor="auto",
            details={
                "detail": line,
                "signature_hash": judged.signature_hash,
                "action": judged.action.value,
                "category": judged.category,
                "successes": int(verdict.own.successes),
                "failures": int(verdict.own.failures),
                "lower_bound": round(verdict.lower_bound, 4),
                "required": verdict.required,
                "failed_in_a_row": verdict.failed_in_a_row,
                "strategy": self.strategy.value,
                "risk": self.risks[judged.action].value,
            },
        )
        log.info("autonomy: %s", line)

    # --- words -------------------------------------------------------------------------------
    def change_line(self, judged: Judged, *, label: str) -> str:
        """``rerun_failed_jobs for “npm ERR! code ECONNRESET” is now automatic: 10 of 10
        re-runs passed (lower bound 0.76 ≥ 0.75, low risk)``."""
        verdict = judged.judgement
        pair = f"{judged.action.value} for “{label}”"
        if verdict.automatic:
            return f"{pair} is now automatic: {self._evidence_text(judged)}"
        return f"{pair} is no longer automatic: {self._evidence_text(judged)}"

    def _evidence_text(self, judged: Judged) -> str:
        verdict = judged.judgement
        own = verdict.own
        worked = "re-runs passed" if judged.action in self.reruns else "fixes worked"
        text = f"{int(own.successes)} of {int(own.total)} {worked}"
        if judged.taken_back and not judged.was_automatic:
            text += " since it was taken back"
        if judged.category_record.total:
            around = judged.category_record
            text += (
                f", {int(around.successes)} of {int(around.total)} on other "
                f"{judged.category} failures as a prior"
            )
        risk = self.risks[judged.action].value
        return f"{text} ({verdict.why}, {risk} risk)"


def failure_label(incident: Incident) -> str:
    """The failure in a few words: its first line of evidence, else of its signature."""
    lines = [str(line).strip() for line in (incident.evidence or [])]
    lines += (incident.signature or "").splitlines()
    first = next((line for line in lines if line), incident.category or "unknown failure")
    if len(first) > LABEL_LENGTH:
        first = first[: LABEL_LENGTH - 1] + "…"
    return mask_secrets(first)


def recent_changes(session: Session, *, limit: int = 10) -> list[dict[str, Any]]:
    """The latest promotions and demotions, newest first, as the dashboard lists them."""
    return [
        {
            "at": entry.at,
            "promoted": entry.event == AuditEvent.AUTONOMY_PROMOTED.value,
            "text": mask_secrets(str(entry.details.get("detail", ""))),
            "incident_id": entry.incident_id,
        }
        for entry in AutonomyRepository(session).recent_changes(CHANGE_EVENTS, limit=limit)
    ]


def render_grants(db: Database, *, limit: int = 50) -> str:
    """The earned autonomy of every (signature, action) judged, for ``codehealer calibrate``."""
    with db.session() as session:
        grants = AutonomyRepository(session).grants(limit=limit)
        lines = ["earned autonomy per failure and action (lower bound of its evidence):"]
        if not grants:
            lines.append("  no evidence yet")
        for grant in grants:
            state = "automatic" if grant.automatic else "asks a person"
            required = f"{grant.required:.2f}" if grant.required is not None else "never alone"
            total = grant.successes + grant.failures
            lines.append(
                f"  {grant.action:<20} {grant.category:<22} {grant.successes:>3} of {total:<3} "
                f"bound {grant.lower_bound:.2f} / {required:<11} {state:<13} {grant.label}"
            )
    return "\n".join(lines)
