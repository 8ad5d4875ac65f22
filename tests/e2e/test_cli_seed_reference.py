"""`codehealer db seed-reference` and the seeding `codehealer serve` does on a new database,
as a user runs them."""

import pytest
from sqlalchemy import create_engine, func, select, text

from app.adapters.database.engine import sqlalchemy_url
from app.adapters.database.tables import ReferenceIncident
from app.cli import main
from app.services.reference_memory import load_shipped
from tests.support.served import serve

SHIPPED = load_shipped()


@pytest.fixture
def env(monkeypatch, database_url, tmp_path):
    for name in ("GITHUB_TOKEN", "NVIDIA_API_KEY", "NVIDIA_BASE_URL", "SEED_REFERENCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CODEHEALER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "cli-secret")
    monkeypatch.setenv("LOG_FORMAT", "text")
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    yield
    with create_engine(sqlalchemy_url(database_url)).begin() as conn:
        conn.execute(text("TRUNCATE reference_incidents, reference_seeds"))


def reference_rows(url: str) -> int:
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(ReferenceIncident)).scalar_one()
    finally:
        engine.dispose()


def test_seed_reference_seeds_the_shipped_memory_once(env, database_url, capsys):
    assert main(["db", "seed-reference"]) == 0
    first = capsys.readouterr().out
    assert main(["db", "seed-reference"]) == 0
    second = capsys.readouterr().out

    head = f"reference memory {SHIPPED.version[:12]}: {len(SHIPPED.entries)} labelled failures"
    assert first.splitlines() == [head, "  seeded for local · local-hash"]
    assert second.splitlines() == [head, "  already seeded for local · local-hash"]
    assert reference_rows(database_url) == len(SHIPPED.entries)


def test_seed_reference_remove_forgets_it(env, database_url, capsys):
    main(["db", "seed-reference"])

    assert main(["db", "seed-reference", "--remove"]) == 0

    assert f"({len(SHIPPED.entries)} rows)" in capsys.readouterr().out
    assert reference_rows(database_url) == 0


@pytest.mark.parametrize(
    ("setting", "rows"), [({}, len(SHIPPED.entries)), ({"SEED_REFERENCE": "false"}, 0)]
)
def test_serve_seeds_a_new_database_unless_told_not_to(new_database, tmp_path, setting, rows):
    url = new_database("codehealer_serve_reference")
    variables = {"DATABASE_URL": url, "GITHUB_WEBHOOK_SECRET": "serve-secret", **setting}

    with serve(tmp_path, variables) as served:
        assert reference_rows(url) == rows
        seeded = "seeded for local · local-hash" in served.log()

    assert seeded is bool(rows)
