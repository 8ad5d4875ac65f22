"""The reference memory on the real database: seeded once per version and embedding space, a
neighbour and a category prior for a new failure, and never an incident or an outcome."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.adapters.database.repositories.autonomy import AutonomyRepository
from app.adapters.database.tables import ReferenceIncident, ReferenceSeed, utcnow
from app.core.analysis.models import EmbeddingSpace
from app.core.errors import LLMError
from app.core.reference import ReferenceEntry, ReferenceMemory
from app.domain.learning.autonomy import Record
from app.services.learning import calibration_samples
from app.services.reference_memory import ReferenceMemoryService, load_shipped
from tests.conftest import FIXTURES
from tests.support.corpus import corpus_split
from tests.support.dashboard import dashboard_app
from tests.support.incidents import analyzed_incident, insert

# A failure of the corpus's test side: never shipped, so new to the product.
NEW_NPM_RESET = FIXTURES / "ci_logs" / "105_npm_econnreset_invalid_response_body.log"
SHIPPED = load_shipped()


class OtherModel:
    """An embedder of another space (as NIM would be): the local vectors under another name."""

    name = "nim:other-model"
    space = EmbeddingSpace(embedder="nim", model="other-model")
    asymmetric = False

    def __init__(self, local, *, fails: bool = False):
        self.local, self.fails, self.calls = local, fails, 0
        self.dimensions = local.dimensions

    def embed(self, texts, *, input_type="passage"):
        self.calls += 1
        if self.fails:
            raise LLMError("nvidia answered 503 for POST /v1/embeddings", retryable=True)
        return self.local.embed(texts, input_type=input_type)


def memory_of(*names: str) -> ReferenceMemory:
    return ReferenceMemory(entries=tuple(e for e in SHIPPED.entries if e.name in names))


def service(container, *embedders, memory=load_shipped) -> ReferenceMemoryService:
    return ReferenceMemoryService(
        container.db, embedders=embedders or [container.analyzer.embedder], memory=memory
    )


def stored(container) -> list[ReferenceIncident]:
    with container.db.session() as session:
        return list(session.execute(select(ReferenceIncident)).scalars())


def test_seeding_stores_every_shipped_entry_once_and_records_its_version(container):
    result = service(container).seed()

    rows = stored(container)
    assert result.seeded == (container.analyzer.embedder.space,)
    assert sorted(r.name for r in rows) == sorted(e.name for e in SHIPPED.entries)
    assert {r.version for r in rows} == {SHIPPED.version}
    with container.db.session() as session:
        [seed] = session.execute(select(ReferenceSeed)).scalars()
    assert (seed.version, seed.entries) == (SHIPPED.version, len(SHIPPED.entries))


def test_seeding_twice_seeds_once(container):
    memory = service(container)
    memory.seed()
    again = memory.seed()

    assert again.seeded == ()
    assert again.already == (container.analyzer.embedder.space,)
    assert len(stored(container)) == len(SHIPPED.entries)


def test_no_thread_of_the_test_side_is_seeded(container):
    service(container).seed()

    split = corpus_split.load_split()
    sides = {
        corpus_split.thread_of(row.source): split.get(corpus_split.thread_of(row.source))
        for row in stored(container)
    }
    assert set(sides.values()) == {"train"}


def test_a_new_version_replaces_the_rows_of_the_old_one(container):
    service(
        container,
        memory=lambda: memory_of("040_npm_econnreset_actions", "004_maven_cannot_find_symbol"),
    ).seed()
    newer = memory_of("040_npm_econnreset_actions")
    result = service(container, memory=lambda: newer).seed()

    assert [r.name for r in stored(container)] == ["040_npm_econnreset_actions"]
    assert {r.version for r in stored(container)} == {newer.version}
    assert result.removed == 2


def test_each_embedding_space_gets_its_own_vectors(container):
    local = container.analyzer.embedder
    other = OtherModel(local)
    memory = lambda: memory_of("040_npm_econnreset_actions")  # noqa: E731

    result = service(container, other, local, memory=memory).seed()

    assert result.seeded == (other.space, local.space)
    assert sorted((r.embedder, r.embedding_model) for r in stored(container)) == [
        ("local", "local-hash"),
        ("nim", "other-model"),
    ]


def test_a_space_whose_embedder_fails_is_left_for_the_next_seed_and_the_others_are_seeded(
    container,
):
    local = container.analyzer.embedder
    down = OtherModel(local, fails=True)
    memory = lambda: memory_of("040_npm_econnreset_actions")  # noqa: E731

    first = service(container, down, local, memory=memory).seed()
    down.fails = False
    second = service(container, down, local, memory=memory).seed()

    assert [f.space for f in first.failed] == [down.space]
    assert first.seeded == (local.space,)
    assert second.seeded == (down.space,) and second.already == (local.space,)


def test_a_new_failure_finds_the_reference_entries_of_its_family_as_neighbours(container):
    service(container).seed()

    analysis = container.analyzer.analyze_text(NEW_NPM_RESET.read_text())

    references = [s for s in analysis.similar if s.reference is not None]
    assert references[0].reference == "040_npm_econnreset_actions"
    assert references[0].similarity > 0.9
    assert references[0].incident_id is None
    assert references[0].reference_source.startswith("https://")
    assert {s.category for s in references[:2]} == {"transient_network"}
    assert analysis.confidence.similarity > 0


def test_the_category_labels_are_the_prior_of_the_history_term(container):
    before = container.analyzer.analyze_text(NEW_NPM_RESET.read_text())
    service(container).seed()
    after = container.analyzer.analyze_text(NEW_NPM_RESET.read_text())

    assert after.verdict.action.value == "rerun_failed_jobs"
    assert before.confidence.history == 0.5
    assert after.confidence.history > 0.7
    assert after.confidence.total > before.confidence.total


def test_reference_entries_are_not_incidents_of_the_api_the_dashboard_or_the_metrics(
    container, client
):
    service(container).seed()

    listing = client.get("/api/v1/incidents").json()
    assert listing["items"] == [] and listing["total"] == 0
    summary = client.get("/api/v1/metrics/summary").json()
    assert summary["incidents_24h"] == summary["incidents_7d"] == 0
    page = TestClient(dashboard_app(container)).get("/dashboard").text
    assert "No incidents yet" in page


def test_reference_entries_are_no_evidence_for_earned_autonomy_or_calibration(container):
    service(container).seed()
    [reference] = [r for r in stored(container) if r.name == "040_npm_econnreset_actions"]
    # This installation's first failure of the same wording as a shipped entry.
    incident = analyzed_incident(repo="org/app", run_id=1, signature=reference.signature)
    incident.signature_hash = reference.signature_hash
    insert(container, incident)

    with container.db.session() as session:
        evidence = AutonomyRepository(session)
        own = evidence.own(reference.signature_hash, "rerun_failed_jobs", since=None)
        around = evidence.category("transient_network", "rerun_failed_jobs", other_than="")
        samples = calibration_samples(session)
        judged = container.decider.autonomy.judge(session, incident)
    assert own == Record() and around == Record()
    assert samples == []
    assert judged is not None and not judged.judgement.automatic


def test_reference_entries_are_not_reported_or_swept(container):
    service(container).seed()

    report = container.new_reporter().build(since=utcnow() - timedelta(days=7))
    swept = container.new_sweeper().run()

    assert report["incidents_in_window"] == 0
    assert not report["by_category"] and not report["top_signatures"]
    assert swept["reclaimed"] == 0
    with container.db.session() as session:
        count = session.execute(select(func.count()).select_from(ReferenceIncident)).scalar_one()
    assert count == len(SHIPPED.entries)


@pytest.mark.parametrize("entries", [1, 3])
def test_remove_forgets_the_reference_memory(container, entries):
    names = [e.name for e in SHIPPED.entries[:entries]]
    service(container, memory=lambda: memory_of(*names)).seed()

    removed = service(container).remove()

    assert removed == entries
    assert stored(container) == []


def test_an_entry_is_validated_before_it_is_seeded():
    with pytest.raises(ValueError):
        ReferenceEntry(
            name="x", source="https://e.test", category="not-a-category", action="none", log=""
        )
