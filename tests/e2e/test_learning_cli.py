"""calibrate → apply → replay shows the change; report prints every figure; on a seeded database."""

from datetime import timedelta

import pytest

from app.adapters.database.tables import Feedback, Incident, RemediationAttempt, utcnow
from app.cli import main
from app.core.events.models import RunCompleted
from app.domain.verification import RunAttemptConcluded
from tests.support.incidents import analyzed_incident, insert


@pytest.fixture
def env(monkeypatch, database_url, tmp_path):
    for name in ("GITHUB_TOKEN", "NVIDIA_API_KEY", "API_KEY", "STRATEGY", "DRY_RUN", "SHADOW_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "cli-secret")
    monkeypatch.setenv("LOG_FORMAT", "text")
    monkeypatch.setenv("LLM_PRICE_PER_1K_TOKENS", "0.5")
    monkeypatch.chdir(tmp_path)


def seed_history(container, n: int = 90, failures: int = 0) -> None:
    """n past auto-fixes two days ago, verified (the last ``failures`` failed verification)."""
    two_days_ago = utcnow() - timedelta(days=2)
    with container.db.session() as session:
        for i in range(n):
            incident = analyzed_incident(
                repo=f"org/past-{i}",
                run_id=90_000 + i,
                signature=f"past {i % 7}",
                confidence=0.70 + (i % 15) / 100,
            )
            ok = i < n - failures
            incident.status = "resolved" if ok else "failed"
            incident.decision = "auto_fix"
            incident.created_at = two_days_ago
            incident.resolved_at = two_days_ago + timedelta(minutes=12) if ok else None
            incident.mttr_seconds = 720.0 if ok else None
            incident.llm_prompt_tokens, incident.llm_completion_tokens = 900, 100
            session.add(incident)
            session.flush()
            session.add(
                RemediationAttempt(
                    incident_id=incident.id,
                    action="rerun_failed_jobs",
                    target=incident.repo,
                    status="verified" if ok else "verification_failed",
                    actor="auto",
                    dry_run=False,
                    started_at=two_days_ago,
                )
            )


def test_calibrate_prints_the_reliability_table_and_ece(env, container, capsys):
    seed_history(container, failures=3)
    assert main(["calibrate"]) == 0
    out = capsys.readouterr().out
    assert "confidence bin" in out and "ECE" in out
    assert "0.7–0.8" in out
    # 3 failures among the most confident fixes: no threshold is provably ≥ 95 % precise.
    assert "not enough data for any action yet" in out


def test_calibrate_lists_the_autonomy_earned_by_reruns_people_made(env, container, capsys):
    for run_id in range(70_001, 70_011):
        incident = analyzed_incident(repo="org/app", run_id=run_id, confidence=0.4)
        incident.evidence = ["npm ERR! code ECONNRESET"]
        insert(container, incident)
        passed = RunCompleted(repo="org/app", run_id=run_id, run_attempt=2, conclusion="success")
        with container.db.session() as session:
            container.verifier.record(session, RunAttemptConcluded.completed(passed, at=utcnow()))

    assert main(["calibrate"]) == 0

    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if "ECONNRESET" in line]
    assert line.split() == [
        "rerun_failed_jobs", "transient_network", "10", "of", "10", "bound", "0.76", "/",
        "0.75", "automatic", "npm", "ERR!", "code", "ECONNRESET",
    ]  # fmt: skip


def test_apply_changes_a_decision_that_replay_then_shows(env, container, capsys):
    seed_history(container)
    [recent] = insert(container, analyzed_incident(repo="org/now", run_id=1, confidence=0.80))
    container.decider(recent)
    with container.db.session() as session:
        assert session.get(Incident, recent).decision == "needs_approval"
    assert main(["replay", "--since", "1d"]) == 0
    assert "0 incident(s) would flip" in capsys.readouterr().out

    assert main(["calibrate", "--apply"]) == 0
    out = capsys.readouterr().out
    assert "applied 1 threshold(s)" in out and "instead of earned autonomy" in out
    assert main(["replay", "--since", "1d"]) == 0
    out = capsys.readouterr().out
    assert f"#{recent}: needs_approval → auto_fix" in out


def test_report_prints_every_figure(env, container, capsys):
    seed_history(container, n=10, failures=2)
    with container.db.session() as session:
        session.add(
            Feedback(
                incident_id=session.query(Incident.id).filter_by(status="resolved").first()[0],
                user_id="U1",
                value=-1,
            )
        )
    assert main(["report", "--since", "7d"]) == 0
    out = capsys.readouterr().out
    for figure in (
        "incidents",
        "auto-resolution rate",
        "false-positive rate",
        "MTTR",
        "LLM tokens / cost",
        "engineer time saved",
        "Incidents by source",
        "Incidents by category",
        "Top recurring signatures",
    ):
        assert figure in out, figure
    assert "| false-positive rate | 30.0% |" in out  # 2 failed verification + 1 thumbs-down of 10
    assert "| LLM tokens / cost | 10000 / 5.00 |" in out


def test_report_in_slack_format(env, container, capsys):
    seed_history(container, n=5)
    assert main(["report", "--format", "slack"]) == 0
    assert capsys.readouterr().out.startswith("*CodeHealer report*")
