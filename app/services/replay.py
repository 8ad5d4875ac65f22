"""What-if: re-decide stored incidents with other settings and report what would change.

Read-only: facts are gathered exactly as the decision step gathers them, the engine decides,
and the transaction is rolled back. Nothing is executed or written.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from app.adapters.database.tables import Incident
from app.core.enums import IncidentKind, Strategy
from app.domain.decisions.models import Thresholds
from app.services.decision import DecisionService


@dataclass
class ReplayReport:
    before: Counter = field(default_factory=Counter)
    after: Counter = field(default_factory=Counter)
    flips: list[tuple[int, str, str, str]] = field(default_factory=list)  # id, old, new, why

    def table(self) -> str:
        decisions = sorted(set(self.before) | set(self.after))
        lines = [f"{'decision':<16}{'now':>8}{'what-if':>10}{'change':>9}"]
        for d in decisions:
            lines.append(
                f"{d:<16}{self.before[d]:>8}{self.after[d]:>10}{self.after[d] - self.before[d]:>+9}"
            )
        lines.append(f"\n{len(self.flips)} incident(s) would flip:")
        lines += [f"  #{i}: {old} → {new}  ({why})" for i, old, new, why in self.flips]
        return "\n".join(lines)


def replay(
    decider: DecisionService,
    *,
    since: datetime,
    strategy: Strategy | None = None,
    thresholds: Thresholds | None = None,
) -> ReplayReport:
    report = ReplayReport()
    strategy = strategy or decider.strategy
    thresholds = thresholds or decider.thresholds()
    with Session(decider.db.engine) as session:
        incidents = (
            session.execute(
                select(Incident)
                .where(
                    col(Incident.decision).is_not(None),
                    col(Incident.created_at) >= since,
                    col(Incident.kind) != IncidentKind.STORM_GROUP,
                )
                .order_by(col(Incident.id))
            )
            .scalars()
            .all()
        )
        for incident in incidents:
            facts = decider.gather_facts(session, incident)
            outcome = decider.engine.decide(facts, strategy=strategy, thresholds=thresholds)
            report.before[incident.decision] += 1
            report.after[outcome.decision.value] += 1
            if outcome.decision.value != incident.decision:
                report.flips.append(
                    (incident.id, incident.decision, outcome.decision.value, outcome.reason)
                )
        session.rollback()
    return report
