"""feedback: one 👍/👎 per person and incident; a second click changes the answer."""

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from app.adapters.database.tables import Feedback, Incident, utcnow

VALUES = (1, -1)


class FeedbackRepository:
    def __init__(self, session: Session):
        self.session = session

    def record(self, incident_id: int, user_id: str, value: int) -> bool:
        """Upsert on (incident, user). False when the incident does not exist."""
        if value not in VALUES:
            raise ValueError(f"feedback value must be +1 or -1, got {value}")
        if self.session.get(Incident, incident_id) is None:
            return False
        stmt = insert(Feedback).values(
            incident_id=incident_id, user_id=user_id, value=value, created_at=utcnow()
        )
        stmt = stmt.on_conflict_do_update(
            constraint="uq_feedback_incident_user",
            set_={"value": stmt.excluded.value, "created_at": stmt.excluded.created_at},
        )
        self.session.execute(stmt)
        return True
