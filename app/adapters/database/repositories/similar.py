"""Nearest past incidents by cosine distance through the HNSW index, and nearest entries of the
reference memory, among the vectors of one embedding space (embedder and model): vectors of two
models are never compared."""

from functools import lru_cache

from sqlalchemy import select
from sqlmodel import Session, col

from app.adapters.database.tables import Incident
from app.adapters.database.vectors import BinaryVector
from app.core.analysis.models import EmbeddingSpace, SimilarIncident

# One round trip for all settings. ``SET LOCAL`` semantics (``is_local`` true) keep them inside
# this transaction, so pooled connections (and RDS Proxy) never inherit them. The 768-d vectors
# live out of line, so the planner underprices a sequential scan and picks it over the index on
# mid-sized tables (100x slower): it is ruled out. The index holds the vectors of every model
# and the model is checked after it: an iterative scan (pgvector 0.8) goes on past the first
# ``ef_search`` candidates until k rows of the asked model are found, in exact order.
_SEARCH_SETTINGS_SQL = (
    "SELECT set_config('hnsw.ef_search', %(ef_search)s, true), "
    "set_config('hnsw.iterative_scan', 'strict_order', true), "
    "set_config('enable_seqscan', 'off', true)"
)


@lru_cache(maxsize=8)
def _nearest_sql(k: int) -> str:
    """SQL text, built once per k (k stays a literal so the planner always sees the LIMIT).
    Incident ids start at 1, so excluding id 0 excludes nothing. The reference memory (a few
    hundred rows per space, scanned exactly) competes for the same k places: each side keeps
    its own plan and LIMIT, and the k nearest of both are kept."""
    limit = int(k)
    return (
        "(SELECT id, NULL AS reference, NULL AS reference_source, category, action, status, "
        "signature_hash, embedding <=> %(query)s::vector AS distance "
        "FROM incidents WHERE embedding IS NOT NULL AND id <> %(exclude_id)s "
        "AND embedder = %(embedder)s AND embedding_model = %(model)s "
        f"ORDER BY distance LIMIT {limit}) "
        "UNION ALL "
        "(SELECT NULL, name, source, category, action, NULL, "
        "signature_hash, embedding <=> %(query)s::vector AS distance "
        "FROM reference_incidents "
        "WHERE embedder = %(embedder)s AND embedding_model = %(model)s "
        f"ORDER BY distance LIMIT {limit}) "
        f"ORDER BY distance LIMIT {limit}"
    )


class SimilarIncidentRepository:
    def __init__(self, session: Session):
        self.session = session

    def nearest(
        self,
        embedding: list[float],
        *,
        space: EmbeddingSpace,
        k: int,
        exclude_id: int | None = None,
        ef_search: int = 100,
    ) -> list[SimilarIncident]:
        """Top-k incidents and reference entries by cosine similarity, among the vectors
        ``space`` made. The query vector goes in binary (768 floats as text cost more than the search
        itself)."""
        connection = self.session.connection()
        connection.exec_driver_sql(_SEARCH_SETTINGS_SQL, {"ef_search": str(int(ef_search))})
        params = {
            "query": BinaryVector(embedding),
            "exclude_id": exclude_id or 0,
            "embedder": space.embedder,
            "model": space.model,
        }
        rows = connection.exec_driver_sql(_nearest_sql(k), params)
        return [
            SimilarIncident(
                incident_id=row.id,
                similarity=max(-1.0, min(1.0, 1.0 - float(row.distance))),
                category=row.category,
                action=row.action,
                outcome=row.status,
                signature_hash=row.signature_hash,
                reference=row.reference,
                reference_source=row.reference_source,
            )
            for row in rows
        ]

    def embedding_for_signature(
        self, signature_hash: str, space: EmbeddingSpace
    ) -> list[float] | None:
        """An embedding ``space`` already made for this signature (one failure is embedded
        once per model)."""
        stmt = (
            select(col(Incident.embedding))
            .where(
                col(Incident.signature_hash) == signature_hash,
                col(Incident.embedding).is_not(None),
                col(Incident.embedder) == space.embedder,
                col(Incident.embedding_model) == space.model,
            )
            .limit(1)
        )
        found = self.session.execute(stmt).scalar_one_or_none()
        return None if found is None else [float(x) for x in found]
