"""Migration 0005: every stored vector gets the embedder and model that made it, read from what
the row shows; from then on a vector cannot be stored without them."""

import psycopg
import pytest

from app.adapters.database.migrate import downgrade, upgrade

BEFORE = "0004_test_verdicts"
VECTOR = "[" + ",".join(["1"] + ["0"] * 767) + "]"


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def insert_row(url: str, run_id: int, *, classifier: str | None, note: str | None, vector: bool):
    with psycopg.connect(_libpq(url)) as conn:
        conn.execute(
            "INSERT INTO incidents (source, kind, dedup_key, fingerprint, status, severity, title,"
            " classifier, classifier_note, embedding) VALUES ('github', 'workflow_run', %s,"
            " 'github:o/r:ci:main', 'resolved', 'medium', 't', %s, %s, %s::vector)",
            (f"o/r#{run_id}#1", classifier, note, VECTOR if vector else None),
        )


def spaces(url: str) -> dict[str, tuple[str | None, str | None]]:
    with psycopg.connect(_libpq(url)) as conn:
        rows = conn.execute(
            "SELECT dedup_key, embedder, embedding_model FROM incidents"
        ).fetchall()
    return {key: (embedder, model) for key, embedder, model in rows}


@pytest.fixture
def old_database(new_database):
    url = new_database("codehealer_spaces")
    upgrade(url, BEFORE)
    insert_row(url, 1, classifier="nim:meta/llama-3.1-70b-instruct", note=None, vector=True)
    insert_row(url, 2, classifier="rules", note="nim fallback: answer is empty", vector=True)
    insert_row(url, 3, classifier="rules", note=None, vector=True)
    insert_row(url, 4, classifier="rules", note=None, vector=False)
    return url


def test_vectors_of_rows_the_nim_classifier_saw_are_the_nim_embedders(old_database):
    upgrade(old_database)

    found = spaces(old_database)
    assert found["o/r#1#1"] == ("nim", "nvidia/llama-3.2-nv-embedqa-1b-v2")
    assert found["o/r#2#1"] == ("nim", "nvidia/llama-3.2-nv-embedqa-1b-v2")


def test_vectors_of_rows_only_the_rules_saw_are_the_local_embedders(old_database):
    upgrade(old_database)

    assert spaces(old_database)["o/r#3#1"] == ("local", "local-hash")


def test_a_row_without_a_vector_gets_no_model(old_database):
    upgrade(old_database)

    assert spaces(old_database)["o/r#4#1"] == (None, None)


def test_after_the_upgrade_a_vector_without_its_model_is_refused(old_database):
    upgrade(old_database)

    with pytest.raises(psycopg.errors.CheckViolation):
        insert_row(old_database, 5, classifier="rules", note=None, vector=True)


def test_the_downgrade_drops_the_columns_and_the_check(old_database):
    upgrade(old_database)
    downgrade(old_database, BEFORE)

    insert_row(old_database, 6, classifier="rules", note=None, vector=True)
    with psycopg.connect(_libpq(old_database)) as conn:
        columns = {
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'incidents'"
            )
        }
    assert not columns & {"embedder", "embedding_model", "analysis_fallbacks"}
