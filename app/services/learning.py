"""Learning from outcomes: calibration samples, the reliability table, calibrated thresholds."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from app.adapters.database.engine import Database
from app.adapters.database.repositories.outcomes import FAILURE, SUCCESS
from app.adapters.database.tables import (
    Approval,
    CalibratedThreshold,
    Feedback,
    Incident,
    RemediationAttempt,
    utcnow,
)
from app.domain.decisions.models import Thresholds
from app.domain.learning.calibration import (
    Bin,
    Sample,
    ThresholdChoice,
    expected_calibration_error,
    lowest_safe_threshold,
    reliability,
)


def calibration_samples(session: Session) -> list[Sample]:
    """Each decided incident whose proposed fix has a known outcome, with its confidence."""
    outcome: dict[int, bool] = {}
    attempts = session.execute(
        select(col(RemediationAttempt.incident_id), col(RemediationAttempt.status)).where(
            col(RemediationAttempt.dry_run).is_(False), col(RemediationAttempt.status).in_(SUCCESS + FAILURE)
        )
    )
    for incident_id, status in attempts:
        outcome[incident_id] = status in SUCCESS
    for (incident_id,) in session.execute(
        select(col(Approval.incident_id)).where(col(Approval.status) == "rejected")
    ):
        outcome[incident_id] = False
    for (incident_id,) in session.execute(select(col(Feedback.incident_id)).where(col(Feedback.value) < 0)):
        outcome[incident_id] = False
    if not outcome:
        return []
    rows = session.execute(
        select(col(Incident.id), col(Incident.confidence), col(Incident.action)).where(
            col(Incident.id).in_(list(outcome)), col(Incident.confidence).is_not(None)
        )
    )
    return [Sample(float(conf), outcome[i], action or "none") for i, conf, action in rows]


@dataclass(frozen=True)
class CalibrationReport:
    table: list[Bin]
    ece: float
    samples: int
    choices: list[ThresholdChoice]

    def render(self) -> str:
        lines = [
            "confidence bin   n   mean conf   observed success",
            *[
                f"{b.low:.1f}–{b.high:.1f}      {b.count:>4}   {b.mean_confidence:>9.2f}   "
                f"{b.success_rate:>16.2f}"
                for b in self.table
            ],
            f"\nsamples {self.samples}   expected calibration error (ECE) {self.ece:.3f}\n",
            "lowest auto-fix threshold per action (Wilson lower bound ≥ target):",
        ]
        if not self.choices:
            lines.append("  not enough data for any action yet")
        lines += [
            f"  {c.action:<22} {c.threshold:.2f}  (precision ≥ {c.precision_lower_bound:.3f} "
            f"over {c.samples} samples)"
            for c in self.choices
        ]
        return "\n".join(lines)


def calibrate(db: Database, *, target_precision: float, min_samples: int = 20) -> CalibrationReport:
    with db.session() as session:
        samples = calibration_samples(session)
    table = reliability(samples)
    by_action: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_action[sample.action].append(sample)
    choices = [
        choice
        for action in sorted(by_action)
        if (
            choice := lowest_safe_threshold(
                by_action[action], target_precision=target_precision, min_samples=min_samples
            )
        )
        is not None
    ]
    return CalibrationReport(table, expected_calibration_error(table), len(samples), choices)


def apply_thresholds(db: Database, choices: list[ThresholdChoice]) -> None:
    with db.session() as session:
        for c in choices:
            stmt = insert(CalibratedThreshold).values(
                action=c.action,
                threshold=c.threshold,
                precision_lower_bound=c.precision_lower_bound,
                samples=c.samples,
                computed_at=utcnow(),
            )
            session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["action"],
                    set_={
                        "threshold": stmt.excluded.threshold,
                        "precision_lower_bound": stmt.excluded.precision_lower_bound,
                        "samples": stmt.excluded.samples,
                        "computed_at": stmt.excluded.computed_at,
                    },
                )
            )


def calibrated_thresholds(db: Database, base: Thresholds) -> Callable[[], Thresholds]:
    """Thresholds the strategies use: the settings, with applied calibration per action."""

    def current() -> Thresholds:
        with db.session() as session:
            rows = session.execute(
                select(col(CalibratedThreshold.action), col(CalibratedThreshold.threshold))
            )
            per_action = {action: threshold for action, threshold in rows}
        return base.model_copy(update={"per_action": per_action}) if per_action else base

    return current
