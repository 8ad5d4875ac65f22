"""Reference memory: the labelled failures CodeHealer ships with, seeded into the database so
that a new installation is not blind on its first failure.

The shipped file (``app/data/reference/memory.json``, written by
``scripts/build_reference_memory.py`` from the train side of the corpus) is analysed as a
failure would be (excerpt, signature) and embedded by every embedder the analysis searches
with: the configured one, and the local one it falls back to. Seeding is idempotent per
version of the file and embedding space; a new version replaces the old one. The entries are
neighbours and a category prior (app/services/analyzer.py), never incidents and never outcomes.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from app.adapters.database.engine import Database
from app.adapters.database.repositories.reference import ReferenceRepository, ReferenceRow
from app.core.analysis.excerpt import build_excerpt
from app.core.analysis.models import EmbeddingSpace
from app.core.analysis.signature import compute_signature
from app.core.errors import IntegrationError
from app.core.ports import Embedder
from app.core.redaction import mask_secrets
from app.core.reference import ReferenceEntry, ReferenceMemory, parse_reference_memory

log = logging.getLogger(__name__)

MEMORY_FILE = Path(__file__).resolve().parents[1] / "data" / "reference" / "memory.json"


def load_shipped(path: Path = MEMORY_FILE) -> ReferenceMemory:
    """The reference memory shipped with the application."""
    return parse_reference_memory(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class SpaceFailure:
    space: EmbeddingSpace
    reason: str


@dataclass(frozen=True)
class SeedResult:
    """What a seed did: the spaces seeded now, those seeded before, and those it could not."""

    version: str
    entries: int
    seeded: tuple[EmbeddingSpace, ...] = ()
    already: tuple[EmbeddingSpace, ...] = ()
    failed: tuple[SpaceFailure, ...] = ()
    removed: int = 0  # rows of an earlier version removed

    def lines(self) -> list[str]:
        """The result for people, one line per space."""
        head = f"reference memory {self.version[:12]}: {self.entries} labelled failures"
        lines = [
            head + (f" ({self.removed} rows of an earlier version removed)" if self.removed else "")
        ]
        lines += [f"  seeded for {s.embedder} · {s.model}" for s in self.seeded]
        lines += [f"  already seeded for {s.embedder} · {s.model}" for s in self.already]
        lines += [
            f"  not seeded for {f.space.embedder} · {f.space.model}: {f.reason}"
            for f in self.failed
        ]
        return lines


def analysed(entry: ReferenceEntry) -> tuple[ReferenceRow, str]:
    """The entry as the analysis reads a failure (excerpt and signature), and the text it
    embeds (the signature's template, else the excerpt: as ``Analyzer.analyze_text`` does)."""
    excerpt = build_excerpt(entry.log).text
    template, signature_hash = compute_signature(excerpt)
    row = ReferenceRow(
        name=entry.name,
        source=entry.source,
        category=entry.category.value,
        action=entry.action.value,
        excerpt=mask_secrets(excerpt),
        signature=template,
        signature_hash=signature_hash,
        embedding=[],
    )
    return row, template or excerpt


class ReferenceMemoryService:
    def __init__(
        self,
        db: Database,
        *,
        embedders: Sequence[Embedder],
        memory: Callable[[], ReferenceMemory] = load_shipped,
    ):
        self.db = db
        # One embedder per space: the configured one first, then its fallback.
        spaces: dict[EmbeddingSpace, Embedder] = {}
        for embedder in embedders:
            spaces.setdefault(embedder.space, embedder)
        self.embedders = list(spaces.values())
        self.memory = memory

    def seed(self) -> SeedResult:
        """Seed the shipped memory for every space not seeded with its version yet."""
        memory = self.memory()
        result = SeedResult(memory.version, len(memory.entries))
        with self.db.session() as session:
            repository = ReferenceRepository(session)
            repository.lock_seeding()
            removed = repository.drop_other_versions(memory.version)
            pending = [e for e in self.embedders if not repository.seeded(memory.version, e.space)]
        result = replace(
            result,
            removed=removed,
            already=tuple(e.space for e in self.embedders if e not in pending),
        )
        if not pending:
            return result
        analysed_entries = [analysed(entry) for entry in memory.entries]
        for embedder in pending:
            result = self._seed_space(memory.version, embedder, analysed_entries, result)
        return result

    def _seed_space(
        self,
        version: str,
        embedder: Embedder,
        entries: list[tuple[ReferenceRow, str]],
        result: SeedResult,
    ) -> SeedResult:
        space = embedder.space
        try:
            # Embedded before the transaction: a remote embedder may take seconds.
            vectors = embedder.embed([text for _, text in entries], input_type="passage")
        except IntegrationError as exc:
            reason = mask_secrets(str(exc)) or type(exc).__name__
            log.warning("reference memory not seeded for %s: %s", embedder.name, reason)
            return replace(result, failed=(*result.failed, SpaceFailure(space, reason)))
        rows = [
            replace(row, embedding=vector)
            for (row, _), vector in zip(entries, vectors, strict=True)
        ]
        with self.db.session() as session:
            repository = ReferenceRepository(session)
            repository.lock_seeding()
            if repository.seeded(version, space):  # another process seeded it meanwhile
                return replace(result, already=(*result.already, space))
            repository.store(version, space, rows)
        log.info(
            "reference memory %s seeded for %s: %d entries", version[:12], embedder.name, len(rows)
        )
        return replace(result, seeded=(*result.seeded, space))

    def remove(self) -> int:
        """Forget the reference memory (``db seed-reference --remove``); rows removed."""
        with self.db.session() as session:
            repository = ReferenceRepository(session)
            repository.lock_seeding()
            return repository.remove_all()
