"""Similar-incident search compares only vectors of one embedding space (embedder and model),
through the HNSW index, on the real PostgreSQL + pgvector."""

import math
import random

import pytest
from sqlalchemy.exc import IntegrityError

from app.adapters.database.repositories.similar import (
    _SEARCH_SETTINGS_SQL,
    SimilarIncidentRepository,
    _nearest_sql,
)
from app.adapters.database.tables import Incident, ReferenceIncident
from app.adapters.database.vectors import BinaryVector
from app.core.analysis.models import EmbeddingSpace
from tests.support.incidents import analyzed_incident, insert

WIDTH = 768
MODEL_A = EmbeddingSpace(embedder="nim", model="nvidia/llama-3.2-nv-embedqa-1b-v2")
MODEL_B = EmbeddingSpace(embedder="nim", model="nvidia/nv-embedqa-e5-v5")
LOCAL = EmbeddingSpace(embedder="local", model="local-hash")


def unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


def near_axis(rng: random.Random, spread: float) -> list[float]:
    """A unit vector close to the first axis (the query below): the smaller ``spread``, the
    closer."""
    return unit([1.0] + [rng.gauss(0.0, spread) for _ in range(WIDTH - 1)])


QUERY = [1.0] + [0.0] * (WIDTH - 1)


def stored(container, space: EmbeddingSpace, vectors: list[list[float]], *, first_run: int):
    incidents = []
    for offset, vector in enumerate(vectors):
        incident = analyzed_incident(repo="org/similar", run_id=first_run + offset)
        incident.embedding = vector
        incident.embedder, incident.embedding_model = space.embedder, space.model
        incidents.append(incident)
    return insert(container, *incidents)


def nearest(container, space: EmbeddingSpace, *, k: int = 5, ef_search: int = 10):
    with container.db.session() as session:
        found = SimilarIncidentRepository(session).nearest(
            QUERY, space=space, k=k, ef_search=ef_search
        )
    return [item.incident_id for item in found]


def test_only_vectors_of_the_asked_model_are_neighbours(container):
    rng = random.Random(7)
    ids_a = stored(container, MODEL_A, [near_axis(rng, 0.001) for _ in range(3)], first_run=1)
    ids_b = stored(container, MODEL_B, [near_axis(rng, 0.001) for _ in range(3)], first_run=10)

    assert sorted(nearest(container, MODEL_A)) == sorted(ids_a)
    assert sorted(nearest(container, MODEL_B)) == sorted(ids_b)


def test_neighbours_are_found_behind_many_nearer_vectors_of_another_model(container):
    # ef_search=10 candidates are all the other model's: the scan has to go on past them.
    rng = random.Random(11)
    stored(container, MODEL_A, [near_axis(rng, 0.001) for _ in range(200)], first_run=1)
    ids_b = stored(container, MODEL_B, [near_axis(rng, 0.05) for _ in range(3)], first_run=500)

    assert sorted(nearest(container, MODEL_B, ef_search=10)) == sorted(ids_b)


def test_the_neighbours_of_one_model_come_nearest_first(container):
    rng = random.Random(13)
    far, near = near_axis(rng, 0.05), near_axis(rng, 0.001)
    far_id, near_id = stored(container, LOCAL, [far, near], first_run=1)
    stored(container, MODEL_A, [near_axis(rng, 0.0001) for _ in range(20)], first_run=100)

    assert nearest(container, LOCAL) == [near_id, far_id]


def test_a_stored_passage_is_reused_only_by_the_model_that_made_it(container):
    rng = random.Random(17)
    vector = near_axis(rng, 0.01)
    [incident_id] = stored(container, MODEL_A, [vector], first_run=1)
    with container.db.session() as session:
        signature_hash = session.get_one(Incident, incident_id).signature_hash
        repository = SimilarIncidentRepository(session)
        same = repository.embedding_for_signature(signature_hash, MODEL_A)
        other = repository.embedding_for_signature(signature_hash, MODEL_B)

    assert same == pytest.approx(vector, abs=1e-6)
    assert other is None


def test_a_vector_without_the_model_that_made_it_is_refused(container):
    incident = analyzed_incident(repo="org/similar", run_id=1)
    incident.embedding = QUERY

    with pytest.raises(IntegrityError, match="ck_incidents_embedding_space"):
        insert(container, incident)


def test_incidents_are_searched_through_the_hnsw_index_beside_the_reference_memory(container):
    rng = random.Random(19)
    stored(container, LOCAL, [near_axis(rng, 0.01) for _ in range(50)], first_run=1)
    with container.db.session() as session:
        connection = session.connection()
        connection.exec_driver_sql(_SEARCH_SETTINGS_SQL, {"ef_search": "10"})
        plan = connection.exec_driver_sql(
            "EXPLAIN " + _nearest_sql(5),
            {
                "query": BinaryVector(QUERY),
                "exclude_id": 0,
                "embedder": LOCAL.embedder,
                "model": LOCAL.model,
            },
        )
        text = "\n".join(row[0] for row in plan)

    assert "ix_incidents_embedding_hnsw" in text
    assert "reference_incidents" in text


def test_reference_entries_compete_with_incidents_for_the_k_places(container):
    rng = random.Random(23)
    [far_incident] = stored(container, LOCAL, [near_axis(rng, 0.05)], first_run=1)
    near = near_axis(rng, 0.001)
    with container.db.session() as session:
        session.add(
            ReferenceIncident(
                version="v1",
                name="040_npm_econnreset_actions",
                source="https://github.com/org/repo/issues/1",
                category="transient_network",
                action="rerun_failed_jobs",
                excerpt="npm ERR! code ECONNRESET",
                signature="npm err! code econnreset",
                signature_hash="a" * 64,
                embedding=near,
                embedder=LOCAL.embedder,
                embedding_model=LOCAL.model,
            )
        )
    with container.db.session() as session:
        found = SimilarIncidentRepository(session).nearest(QUERY, space=LOCAL, k=2)
        other_model = SimilarIncidentRepository(session).nearest(QUERY, space=MODEL_A, k=2)

    assert [(s.reference, s.incident_id) for s in found] == [
        ("040_npm_econnreset_actions", None),
        (None, far_incident),
    ]
    assert found[0].reference_source == "https://github.com/org/repo/issues/1"
    assert found[0].outcome is None
    assert other_model == []
