"""Alembic owns the schema: it goes up from empty, down to nothing, and up again."""

import psycopg

from app.adapters.database.migrate import downgrade, head_revision, upgrade


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _tables(url: str) -> set[str]:
    with psycopg.connect(_libpq(url)) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {r[0] for r in rows}


def _indexes(url: str) -> dict[str, str]:
    with psycopg.connect(_libpq(url)) as conn:
        rows = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
        ).fetchall()
    return dict(rows)


EXPECTED = {
    "webhook_deliveries",
    "incidents",
    "remediation_attempts",
    "approvals",
    "feedback",
    "audit_log",
}


def test_upgrade_downgrade_upgrade_round_trip(new_database):
    url = new_database("codehealer_migrations")
    upgrade(url)
    assert EXPECTED <= _tables(url)
    downgrade(url, "base")
    assert _tables(url) <= {"alembic_version"}
    upgrade(url)
    assert EXPECTED <= _tables(url)
    with psycopg.connect(_libpq(url)) as conn:
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert version == head_revision()


def test_embedding_has_hnsw_cosine_index(database_url):
    index = _indexes(database_url)["ix_incidents_embedding_hnsw"]
    assert "USING hnsw" in index
    assert "vector_cosine_ops" in index


def test_unique_keys_named_in_the_architecture_exist(database_url):
    with psycopg.connect(_libpq(database_url)) as conn:
        names = {
            r[0]
            for r in conn.execute(
                "SELECT conname FROM pg_constraint WHERE contype = 'u'"
            ).fetchall()
        }
    assert "uq_webhook_deliveries_source_delivery" in names
    assert "uq_remediation_attempts_incident_action_attempt" in names
    assert "uq_incidents_source_dedup_key" in names
