"""The `codehealer` command as a user runs it."""

import json

import pytest
import respx

from app.cli import main
from tests.conftest import FIXTURES
from tests.support.incidents import analyzed_incident, insert
from tests.support.nim_api import nim_unavailable

NETWORK_LOG = FIXTURES / "ci_logs" / "040_npm_econnreset_actions.log"
NIM = "https://nim.example.test/v1"


@pytest.fixture
def env(monkeypatch, database_url, tmp_path):
    for name in ("GITHUB_TOKEN", "NVIDIA_API_KEY", "NVIDIA_BASE_URL", "API_KEY", "STRATEGY", "DRY_RUN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CODEHEALER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "cli-secret")
    monkeypatch.setenv("LOG_FORMAT", "text")
    monkeypatch.chdir(tmp_path)  # no stray .env is read


def test_analyze_prints_category_action_and_confidence_parts(env, capsys):
    assert main(["analyze", str(NETWORK_LOG), "--json", "--no-db"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["category"] == "transient_network"
    assert out["action"] == "rerun_failed_jobs"
    assert set(out["confidence"]) == {"classifier", "similarity", "history", "total"}
    assert out["evidence"]


def test_analyze_with_nim_down_says_the_local_embedder_and_the_rules_stood_in(
    env, capsys, monkeypatch
):
    monkeypatch.setenv("NVIDIA_API_KEY", "nvapi-" + "k" * 40)
    monkeypatch.setenv("NVIDIA_BASE_URL", NIM)
    monkeypatch.setenv("NVIDIA_MAX_RETRIES", "0")
    with respx.mock(assert_all_called=False) as nim:
        nim.post(f"{NIM}/embeddings").mock(side_effect=nim_unavailable)
        nim.post(f"{NIM}/chat/completions").mock(side_effect=nim_unavailable)
        assert main(["analyze", str(NETWORK_LOG), "--json", "--no-db"]) == 0

    out = json.loads(capsys.readouterr().out)
    assert out["embeddings"] == {"embedder": "local", "model": "local-hash"}
    assert [(f["stage"], f["used"]) for f in out["fallbacks"]] == [
        ("embeddings", "local-hash"),
        ("classifier", "rules"),
    ]
    assert out["action"] == "rerun_failed_jobs"


def test_analyze_reads_stdin(env, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(NETWORK_LOG.read_text()))
    assert main(["analyze", "-", "--no-db"]) == 0
    assert "transient_network" in capsys.readouterr().out


def test_analyze_with_a_database_lists_similar_incidents(env, container, capsys):
    main(["analyze", str(NETWORK_LOG), "--json"])  # nothing stored yet
    container.analyzer.analyze_text(NETWORK_LOG.read_text())
    [incident_id] = insert(container, analyzed_incident(repo="org/a", run_id=1))
    analysis = container.analyzer.analyze_text(NETWORK_LOG.read_text())
    from sqlalchemy import update

    from app.adapters.database.tables import Incident

    with container.db.session() as session:
        session.execute(
            update(Incident)
            .where(Incident.id == incident_id)
            .values(
                embedding=analysis.embedding,
                embedder=analysis.space.embedder,
                embedding_model=analysis.space.model,
                status="resolved",
            )
        )
    capsys.readouterr()
    assert main(["analyze", str(NETWORK_LOG), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [s["incident_id"] for s in out["similar"]] == [incident_id]
    assert out["similar"][0]["similarity"] > 0.99


def test_replay_prints_a_what_if_table_and_changes_nothing(env, container, capsys):
    ids = insert(
        container,
        *[
            analyzed_incident(repo=f"org/r{i}", run_id=10 + i, signature=f"s{i}", confidence=0.7)
            for i in range(3)
        ],
    )
    for incident_id in ids:
        container.decider(incident_id)
    assert main(["replay", "--strategy", "hybrid", "--threshold", "0.65", "--since", "7d"]) == 0
    out = capsys.readouterr().out
    assert "what-if" in out
    assert "3 incident(s) would flip" in out
    assert "needs_approval → auto_fix" in out
    with container.db.session() as session:
        from sqlalchemy import select

        from app.adapters.database.tables import Incident

        decisions = session.execute(select(Incident.decision)).scalars().all()
    assert decisions == ["needs_approval"] * 3


def test_replay_rejects_a_bad_since(env):
    with pytest.raises(SystemExit):
        main(["replay", "--since", "seven days"])


def test_db_upgrade_reports_head(env, capsys):
    assert main(["db", "upgrade"]) == 0
    assert "schema at" in capsys.readouterr().out


def test_staging_without_webhook_secret_refuses_to_serve(env, monkeypatch, capsys):
    monkeypatch.setenv("ENVIRONMENT", "staging")
    monkeypatch.delenv("GITHUB_WEBHOOK_SECRET")
    assert main(["serve", "--port", "0"]) == 2
    assert "GITHUB_WEBHOOK_SECRET" in capsys.readouterr().err


def test_worker_with_a_missing_rules_file_stops_at_start_naming_it(env, capsys, monkeypatch):
    monkeypatch.setenv("RULES_FILE", "/nonexistent/remediation_rules.yaml")
    assert main(["worker", "--once"]) == 2
    err = capsys.readouterr().err
    assert "configuration error" in err
    assert "/nonexistent/remediation_rules.yaml" in err
