"""The reference memory in the database: the shipped labelled failures, embedded per space.

Kept apart from ``incidents`` so that nothing that lists, counts or learns from incidents can
see them; only the similar-incident search (``similar.py``) and the history prior read them.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from app.adapters.database.rows import rows_changed
from app.adapters.database.tables import ReferenceIncident, ReferenceSeed
from app.core.analysis.models import EmbeddingSpace

# Seeds of one database wait for each other: two `serve` starting at once seed once.
SEED_LOCK_KEY = 0x5EED_4EF0


@dataclass(frozen=True)
class ReferenceRow:
    """One entry of the memory, analysed and embedded in one space, as it is stored."""

    name: str
    source: str
    category: str
    action: str
    excerpt: str
    signature: str
    signature_hash: str
    embedding: list[float]


@dataclass(frozen=True)
class CategoryLabels:
    """How many entries of a category the memory holds, and how many of them name an action."""

    with_action: int
    in_category: int


class ReferenceRepository:
    def __init__(self, session: Session):
        self.session = session

    def lock_seeding(self) -> None:
        """Hold the seed lock until the transaction ends."""
        self.session.connection().exec_driver_sql(
            "SELECT pg_advisory_xact_lock(%(key)s)", {"key": SEED_LOCK_KEY}
        )

    def seeded(self, version: str, space: EmbeddingSpace) -> bool:
        """Whether ``version`` of the memory is seeded for ``space``."""
        found = self.session.get(ReferenceSeed, (version, space.embedder, space.model))
        return found is not None

    def drop_other_versions(self, version: str) -> int:
        """Remove what an earlier version of the memory left; the number of rows removed."""
        stale = delete(ReferenceIncident).where(col(ReferenceIncident.version) != version)
        removed = rows_changed(self.session, stale)
        self.session.execute(delete(ReferenceSeed).where(col(ReferenceSeed.version) != version))
        return removed

    def store(self, version: str, space: EmbeddingSpace, rows: Sequence[ReferenceRow]) -> int:
        """Store ``rows`` of ``version`` for ``space`` and record the seed; the rows added."""
        added = 0
        if rows:
            space_columns = {"embedder": space.embedder, "embedding_model": space.model}
            stmt = (
                insert(ReferenceIncident)
                .values([{**asdict(row), "version": version, **space_columns} for row in rows])
                .on_conflict_do_nothing(constraint="uq_reference_incidents_name_space")
                .returning(col(ReferenceIncident.id))
            )
            added = len(self.session.execute(stmt).all())
        self.session.execute(
            insert(ReferenceSeed)
            .values(
                version=version,
                embedder=space.embedder,
                embedding_model=space.model,
                entries=len(rows),
            )
            .on_conflict_do_nothing()
        )
        return added

    def remove_all(self) -> int:
        """Forget the reference memory; the number of rows removed."""
        removed = rows_changed(self.session, delete(ReferenceIncident))
        self.session.execute(delete(ReferenceSeed))
        return removed

    def category_labels(self, category: str, action: str) -> CategoryLabels:
        """The entries of ``category`` (each counted once, whatever the spaces it is in), and
        how many of them name ``action`` as the right one."""
        name = col(ReferenceIncident.name)
        stmt = select(
            func.count(func.distinct(name)).filter(col(ReferenceIncident.action) == action),
            func.count(func.distinct(name)),
        ).where(col(ReferenceIncident.category) == category)
        with_action, in_category = self.session.execute(stmt).one()
        return CategoryLabels(int(with_action), int(in_category))
