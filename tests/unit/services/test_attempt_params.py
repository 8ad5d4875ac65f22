"""What a planned attempt carries: for a configuration fix, the commit and the file and line
the failure's log names."""

from app.adapters.database.tables import Incident
from app.core.enums import ActionKind, IncidentKind
from app.services.attempt_planner import remediation_params
from tests.conftest import fixture_bytes

SHA = "d" * 40


def failed_run(excerpt: str) -> Incident:
    return Incident(
        source="github",
        kind=IncidentKind.WORKFLOW_RUN.value,
        dedup_key="k",
        fingerprint="f",
        repo="octo-org/octo-repo",
        run_id=7,
        run_attempt=1,
        head_branch="main",
        head_sha=SHA,
        excerpt=excerpt,
        root_cause="an unquoted asterisk starts a YAML alias",
    )


def test_a_config_fix_carries_the_commit_file_line_and_diagnosis():
    log = fixture_bytes("ci_logs/338_workflow_yaml_unquoted_asterisk.log").decode()
    params = remediation_params(failed_run(log), [], action=ActionKind.CONFIG_FIX_PR)
    assert params == {
        "repo": "octo-org/octo-repo",
        "run_id": 7,
        "run_attempt": 1,
        "head_branch": "main",
        "head_sha": SHA,
        "path": ".github/workflows/main.yml",
        "line": 17,
        "message": "error in your yaml syntax on line 17",
        "diagnosis": "an unquoted asterisk starts a YAML alias",
    }


def test_a_log_naming_no_file_gives_no_location():
    params = remediation_params(failed_run("boom"), [], action=ActionKind.CONFIG_FIX_PR)
    assert "path" not in params and params["head_sha"] == SHA


def test_other_actions_carry_no_location():
    log = fixture_bytes("ci_logs/338_workflow_yaml_unquoted_asterisk.log").decode()
    params = remediation_params(failed_run(log), [], action=ActionKind.RERUN_FAILED_JOBS)
    assert "path" not in params and "head_sha" not in params


def test_a_memory_raise_carries_the_diagnosis_for_a_pull_request():
    incident = Incident(
        source="kubernetes",
        kind=IncidentKind.K8S_POD.value,
        dedup_key="k",
        fingerprint="f",
        namespace="shop",
        pod="checkout-1",
        root_cause="the JVM heap outgrew its limit",
    )
    params = remediation_params(incident, [], action=ActionKind.SCALE_MEMORY)
    assert params["diagnosis"] == "the JVM heap outgrew its limit"
