"""The demo's failed runs: real recorded logs and the published webhook payload, new ids."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from app.bootstrap import action_risks, build_classifier, build_embedder
from app.core.enums import ActionKind, Fixability
from app.core.events.github import parse_github_event
from app.core.events.models import FailureObserved
from app.demo.scenario import LOGS, SAMPLE_PAYLOAD, SCENARIOS, delivery_body, plan_runs, read_log
from app.domain.scoring.confidence import ConfidenceWeights
from app.services.analyzer import Analyzer
from tests.conftest import FIXTURES, make_settings

REPO_ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 5, 4, 12, 30, tzinfo=UTC)


def test_the_logs_are_unchanged_copies_of_the_labelled_corpus():
    for scenario in SCENARIOS:
        assert (LOGS / scenario.log).read_bytes() == (
            FIXTURES / "ci_logs" / scenario.log
        ).read_bytes()


def test_every_log_keeps_its_source_attribution():
    labels = {
        e["file"]: e for e in yaml.safe_load((FIXTURES / "ci_logs" / "labels.yaml").read_text())["logs"]
    }
    sources = yaml.safe_load((LOGS / "SOURCES.yaml").read_text())["logs"]
    assert sorted(e["file"] for e in sources) == sorted(p.name for p in LOGS.glob("*.log"))
    for entry in sources:
        assert entry["source"] == labels[entry["file"]]["source"]
        assert entry["cause"] == labels[entry["file"]]["cause"]


def test_the_payload_is_the_published_sample():
    sample = REPO_ROOT / "scripts" / "samples" / "workflow_run_failure.json"
    assert SAMPLE_PAYLOAD.read_bytes() == sample.read_bytes()


def test_run_and_job_ids_are_unique_and_follow_the_first_id():
    runs = plan_runs(7_000_000_000)
    assert [r.run_id for r in runs] == list(range(7_000_000_000, 7_000_000_000 + len(SCENARIOS)))
    assert len({r.job_id for r in runs}) == len(runs)
    assert len({(r.repo, r.workflow_id) for r in runs}) == len(runs)


def test_a_delivery_parses_as_a_failure_of_the_run_at_the_given_time():
    for run in plan_runs(7_000_000_000):
        event = parse_github_event("workflow_run", json.loads(delivery_body(run, now=NOW)))
        assert isinstance(event, FailureObserved)
        draft = event.draft
        assert (draft.target.repo, draft.target.run_id, draft.target.run_attempt) == (run.repo, run.run_id, 1)
        assert (draft.target.workflow_id, draft.target.workflow_name) == (run.workflow_id, run.scenario.workflow)
        assert draft.target.run_started_at == NOW


def test_a_delivery_names_the_run_everywhere_the_sample_named_its_own():
    run = plan_runs(7_000_000_000)[2]
    text = delivery_body(run, now=NOW).decode()
    assert "octo-org/octo-repo" not in text and "289782451" not in text
    payload = json.loads(text)
    assert payload["workflow_run"]["url"].endswith(f"/repos/{run.repo}/actions/runs/{run.run_id}")
    assert payload["repository"]["name"] == run.repo.split("/")[1]


def test_the_logs_cover_a_low_risk_rerun_an_approval_and_an_escalation():
    LOW_RISK_ACTIONS = action_risks().low
    settings = make_settings()
    analyzer = Analyzer(
        None,
        log_sources={},
        embedder=build_embedder(settings.nvidia, None),
        classifier=build_classifier(settings, None, actions=list(ActionKind)),
        weights=ConfidenceWeights(),
        k=5,
    )
    verdicts = [analyzer.analyze_text(read_log(run)).verdict for run in plan_runs(1)]
    assert any(v.action in LOW_RISK_ACTIONS and v.fixability is Fixability.AUTO for v in verdicts)
    assert any(v.action not in LOW_RISK_ACTIONS | {ActionKind.NONE} for v in verdicts)
    assert any(v.fixability is Fixability.MANUAL for v in verdicts)


def test_deliveries_are_recent_enough_for_github_to_rerun():
    run = plan_runs(1)[0]
    started = json.loads(delivery_body(run, now=NOW))["workflow_run"]["run_started_at"]
    assert datetime.fromisoformat(started.replace("Z", "+00:00")) - NOW < timedelta(seconds=1)
