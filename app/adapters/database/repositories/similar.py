"""Nearest past incidents by cosine distance through the HNSW index."""

from sqlalchemy import select, text
from sqlmodel import Session

from app.adapters.database.tables import Incident
from app.core.analysis.models import SimilarIncident


class SimilarIncidentRepository:
    def __init__(self, session: Session):
        self.session = session

    def nearest(
        self, embedding: list[float], *, k: int, exclude_id: int | None = None, ef_search: int = 100
    ) -> list[SimilarIncident]:
        """Top-k by cosine similarity. ``SET LOCAL`` keeps the search setting inside this
        transaction, so pooled connections (and RDS Proxy) never inherit it."""
        self.session.execute(text(f"SET LOCAL hnsw.ef_search = {int(ef_search)}"))
        # The 768-d vectors live out of line, so the planner underprices a sequential scan
        # and picks it over the index on mid-sized tables (100x slower): rule it out.
        self.session.execute(text("SET LOCAL enable_seqscan = off"))
        distance = Incident.embedding.cosine_distance(embedding)
        stmt = (
            select(
                Incident.id,
                Incident.category,
                Incident.action,
                Incident.status,
                Incident.signature_hash,
                distance.label("distance"),
            )
            .where(Incident.embedding.is_not(None))
            .order_by(distance)
            .limit(k)
        )
        if exclude_id is not None:
            stmt = stmt.where(Incident.id != exclude_id)
        return [
            SimilarIncident(
                incident_id=row.id,
                similarity=max(-1.0, min(1.0, 1.0 - float(row.distance))),
                category=row.category,
                action=row.action,
                outcome=row.status,
                signature_hash=row.signature_hash,
            )
            for row in self.session.execute(stmt)
        ]

    def embedding_for_signature(self, signature_hash: str) -> list[float] | None:
        """An embedding already computed for this signature (one failure is embedded once)."""
        stmt = (
            select(Incident.embedding)
            .where(Incident.signature_hash == signature_hash, Incident.embedding.is_not(None))
            .limit(1)
        )
        found = self.session.execute(stmt).scalar_one_or_none()
        return None if found is None else [float(x) for x in found]
