"""A week of incidents with known report figures, for the report's CLI and Lambda tests."""

from datetime import timedelta

from app.adapters.database.tables import RemediationAttempt, utcnow
from tests.support.incidents import analyzed_incident

# What the Slack rendering of the last 7 days must say about ``seed_week``'s incidents.
EXPECTED_FIGURES = (
    "incidents 4",
    "auto-fixes 4",
    "auto-resolution 75.0%",
    "false positives 25.0%",
    "MTTR 12.0 min",
    "LLM tokens 4000 (cost 2.00)",
)


def seed_week(container) -> None:
    """Four auto-fixes two days ago: three verified (MTTR 12 min), one that did not work;
    1000 LLM tokens each."""
    two_days_ago = utcnow() - timedelta(days=2)
    with container.db.session() as session:
        for i in range(4):
            ok = i < 3
            incident = analyzed_incident(repo=f"org/week-{i}", run_id=70_000 + i)
            incident.status = "resolved" if ok else "failed"
            incident.decision = "auto_fix"
            incident.created_at = two_days_ago
            incident.resolved_at = two_days_ago + timedelta(minutes=12) if ok else None
            incident.mttr_seconds = 720.0 if ok else None
            incident.llm_prompt_tokens, incident.llm_completion_tokens = 900, 100
            session.add(incident)
            session.flush()
            session.add(
                RemediationAttempt(
                    incident_id=incident.id,
                    action="rerun_failed_jobs",
                    target=incident.repo,
                    status="verified" if ok else "verification_failed",
                    actor="auto",
                    dry_run=False,
                    started_at=two_days_ago,
                )
            )
