"""`codehealer pause`, `resume` and `pauses` as an operator runs them, on a real database."""

import pytest

from app.adapters.database.tables import Incident
from app.cli import main
from app.core.enums import ActionKind, IncidentSource
from tests.support.incidents import analyzed_incident, insert


@pytest.fixture
def env(monkeypatch, database_url, tmp_path):
    for name in ("GITHUB_TOKEN", "NVIDIA_API_KEY", "API_KEY", "STRATEGY", "DRY_RUN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CODEHEALER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "cli-secret")
    monkeypatch.setenv("LOG_FORMAT", "text")
    monkeypatch.setenv("USER", "ops")
    monkeypatch.setenv("LOGNAME", "ops")
    monkeypatch.chdir(tmp_path)  # no stray .env is read


def test_pause_with_no_option_pauses_every_automatic_fix(env, container, capsys):
    assert main(["pause", "--reason", "deploy freeze"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("paused: all automatic fixes paused by cli:ops at ")
    assert "(deploy freeze)" in out
    [pause] = container.pauses.active()
    assert (pause.source, pause.action, pause.paused_by) == (None, None, "cli:ops")


def test_pause_of_a_source_and_an_action_pauses_that_scope(env, container, capsys):
    assert main(["pause", "--source", "github", "--action", "rerun_failed_jobs"]) == 0

    [pause] = container.pauses.active()
    assert (pause.source, pause.action) == (IncidentSource.GITHUB, ActionKind.RERUN_FAILED_JOBS)
    assert "automatic rerun_failed_jobs of github incidents paused" in capsys.readouterr().out


def test_pausing_again_says_it_was_paused_already(env, container, capsys):
    main(["pause", "--source", "argocd"])
    capsys.readouterr()

    assert main(["pause", "--source", "argocd"]) == 0

    assert capsys.readouterr().out.startswith("already paused: automatic fixes of argocd")
    assert len(container.pauses.active()) == 1


@pytest.mark.parametrize(
    "argv", [["pause", "--source", "gitlab"], ["pause", "--action", "none"]], ids=["source", "none"]
)
def test_an_unknown_source_or_action_is_refused_naming_the_choices(env, container, capsys, argv):
    with pytest.raises(SystemExit) as stopped:
        main(argv)

    assert stopped.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
    assert container.pauses.active() == []


def test_pauses_lists_what_is_in_force_and_how_to_resume_each(env, container, capsys):
    main(["pause"])
    main(["pause", "--source", "kubernetes", "--action", "restart_pod"])
    capsys.readouterr()

    assert main(["pauses"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "2 pause(s) in force:"
    assert "all automatic fixes paused by cli:ops" in lines[1]
    assert lines[1].endswith("(resume: with no option)")
    assert lines[2].endswith("(resume: --source kubernetes --action restart_pod)")


def test_pauses_says_so_when_nothing_is_paused(env, container, capsys):
    assert main(["pauses"]) == 0

    assert capsys.readouterr().out.strip() == "no pauses in force: automatic fixes run as decided"


def test_resume_ends_the_pause_of_that_scope(env, container, capsys):
    main(["pause"])
    main(["pause", "--action", "argocd_sync"])
    capsys.readouterr()

    assert main(["resume", "--action", "argocd_sync"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("resumed: automatic argocd_sync (paused by cli:ops)")
    assert "1 pause(s) in force:" in out
    assert [(p.source, p.action) for p in container.pauses.active()] == [(None, None)]


def test_resume_of_a_scope_not_paused_fails_and_lists_what_is(env, container, capsys):
    main(["pause", "--source", "github"])
    capsys.readouterr()

    assert main(["resume"]) == 1

    err = capsys.readouterr().err
    assert "no pause of exactly that scope is in force" in err
    assert "(resume: --source github)" in err
    assert len(container.pauses.active()) == 1


def test_a_pause_from_the_cli_holds_the_decisions_of_another_process(env, container, capsys):
    main(["pause", "--action", "rerun_failed_jobs"])
    [held] = insert(container, analyzed_incident(repo="org/api", run_id=9801))
    container.decider(held)
    main(["resume", "--action", "rerun_failed_jobs"])
    [fixed] = insert(container, analyzed_incident(repo="org/api", run_id=9802))
    container.decider(fixed)

    with container.db.session() as session:
        assert session.get(Incident, held).status == "awaiting_approval"
        assert session.get(Incident, fixed).decision == "auto_fix"
