"""When NVIDIA NIM fails, analysis goes on without it: the local embedder finds the neighbours
and the rules classify, and the incident says so. Every vector records the model that made it,
and similar incidents come only from vectors of the same model. The whole path: a signed
webhook, the worker, respx-mocked GitHub and NIM in their documented shapes, real PostgreSQL."""

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from app.bootstrap import build_container
from app.core.settings_parts import DEFAULT_NVIDIA_BASE_URL
from app.domain.audit import AuditEvent
from app.main import create_app
from tests.conftest import FIXTURES, _truncate, make_settings
from tests.support.github_api import (
    API,
    REPO,
    WORKFLOW_ID,
    attempt_jobs,
    failed_run,
    mock_log_download,
    run_webhook,
)
from tests.support.github_deliveries import post_github
from tests.support.nim_api import embeddings_reply, mock_nim_answer, nim_unavailable

NIM = "https://nim.example.test/v1"
NETWORK_LOG = (FIXTURES / "ci_logs" / "040_npm_econnreset_actions.log").read_text()
MODEL_A = "nvidia/llama-3.2-nv-embedqa-1b-v2"
MODEL_B = "nvidia/nv-embedqa-e5-v5"
RERUN_ANSWER = {
    "category": "transient_network",
    "root_cause": "The npm registry connection was reset.",
    "fixability": "auto",
    "action": "rerun_failed_jobs",
    "confidence": 0.9,
    "transient": True,
    "evidence": ["npm ERR! code ECONNRESET"],
}


def nim_settings(database_url: str, **overrides):
    values = dict(
        github_token="ghp_" + "c" * 36,
        nvidia_api_key="nvapi-" + "k" * 40,
        nvidia_base_url=NIM,
        nvidia_max_retries=1,
    )
    values.update(overrides)
    return make_settings(database_url, **values)


def mock_github_run(respx_mock: respx.Router, run_id: int) -> None:
    jobs = attempt_jobs()
    jobs["jobs"][0]["run_id"] = run_id
    respx_mock.get(f"{API}/repos/{REPO}/actions/runs/{run_id}/attempts/1/jobs").respond(
        200, json=jobs
    )
    respx_mock.get(f"{API}/repos/{REPO}/actions/runs/{run_id}").respond(
        200, json=failed_run(run_id=run_id)
    )


@pytest.fixture
def analyze_run(database_url):
    """Deliver a failed run to a container built from ``settings`` with NIM mocked by
    ``mock_nim``; the worker takes it through the pipeline; returns the incident's detail."""
    built = []

    def run(run_id: int, mock_nim, **overrides) -> tuple[dict, respx.Router]:
        container = build_container(
            nim_settings(database_url, **overrides), database_url=database_url
        )
        built.append(container)
        with (
            respx.mock(assert_all_called=False) as respx_mock,
            TestClient(create_app(container)) as http,
        ):
            mock_log_download(respx_mock, NETWORK_LOG)
            respx_mock.get(f"{API}/repos/{REPO}/actions/workflows/{WORKFLOW_ID}/runs").respond(
                200, json={"total_count": 1, "workflow_runs": [failed_run(run_id=run_id)]}
            )
            mock_github_run(respx_mock, run_id)
            mock_nim(respx_mock)
            incident_id = post_github(http, run_webhook(run_id=run_id)).json()["incident_id"]
            container.new_worker().drain()
            detail = http.get(f"/api/v1/incidents/{incident_id}").json()
            page = http.get(f"/dashboard/incidents/{incident_id}").text
        return {**detail, "page": page}, respx_mock

    yield run
    for container in built:
        _truncate(container)
        container.close()


def nim_down(respx_mock: respx.Router) -> None:
    respx_mock.post(f"{NIM}/embeddings").mock(side_effect=nim_unavailable)
    respx_mock.post(f"{NIM}/chat/completions").mock(side_effect=nim_unavailable)


def nim_timing_out(respx_mock: respx.Router) -> None:
    timeout = httpx.ReadTimeout("timed out")
    respx_mock.post(f"{NIM}/embeddings").mock(side_effect=timeout)
    respx_mock.post(f"{NIM}/chat/completions").mock(side_effect=timeout)


def embeddings_down_chat_up(respx_mock: respx.Router) -> None:
    mock_nim_answer(respx_mock, NIM, RERUN_ANSWER)
    respx_mock.post(f"{NIM}/embeddings").mock(side_effect=nim_unavailable)


def nim_up(respx_mock: respx.Router) -> None:
    mock_nim_answer(respx_mock, NIM, RERUN_ANSWER)
    respx_mock.post(f"{NIM}/embeddings").mock(side_effect=embeddings_reply)


def test_nim_answering_503_leaves_the_incident_to_the_rules_and_the_local_embedder(analyze_run):
    detail, _ = analyze_run(9101, nim_down)

    assert detail["escalation_reason"] != "processing_gave_up"
    assert detail["decision"] is not None
    assert detail["classifier"] == "rules"
    assert (detail["category"], detail["action"]) == ("transient_network", "rerun_failed_jobs")
    assert (detail["embedder"], detail["embedding_model"]) == ("local", "local-hash")
    assert detail["has_embedding"] is True
    assert detail["last_error"] is None
    assert detail["processing_attempts"] == 1


def test_an_incident_analyzed_without_nim_says_which_parts_fell_back_and_why(analyze_run):
    detail, _ = analyze_run(9102, nim_down)

    fallbacks = {f["stage"]: f for f in detail["analysis_fallbacks"]}
    assert set(fallbacks) == {"embeddings", "classifier"}
    assert fallbacks["embeddings"]["configured"] == f"nim:{MODEL_A}"
    assert fallbacks["embeddings"]["used"] == "local-hash"
    assert "503" in fallbacks["embeddings"]["reason"]
    assert fallbacks["classifier"]["used"] == "rules"
    assert "Analysed without the configured model" in detail["page"]
    events = {entry["event"]: entry["details"] for entry in detail["audit"]}
    assert {f["stage"] for f in events[AuditEvent.ANALYSIS_DEGRADED]["fallbacks"]} == set(
        fallbacks
    )


def test_nim_timing_out_leaves_the_incident_to_the_rules_and_the_local_embedder(analyze_run):
    detail, _ = analyze_run(9103, nim_timing_out)

    assert detail["classifier"] == "rules"
    assert detail["embedder"] == "local"
    assert {f["stage"] for f in detail["analysis_fallbacks"]} == {"embeddings", "classifier"}
    assert detail["decision"] is not None


def test_embeddings_down_with_chat_up_keeps_the_model_classifier(analyze_run):
    detail, _ = analyze_run(9104, embeddings_down_chat_up)

    assert detail["classifier"].startswith("nim:")
    assert detail["embedder"] == "local"
    assert [f["stage"] for f in detail["analysis_fallbacks"]] == ["embeddings"]


def test_an_incident_analyzed_with_nim_records_its_model_and_no_fallback(analyze_run):
    detail, _ = analyze_run(9105, nim_up)

    assert (detail["embedder"], detail["embedding_model"]) == ("nim", MODEL_A)
    assert detail["analysis_fallbacks"] == []
    assert AuditEvent.ANALYSIS_DEGRADED not in {entry["event"] for entry in detail["audit"]}
    assert "Analysed without the configured model" not in detail["page"]


def test_after_an_embedding_model_change_no_neighbour_comes_from_the_other_model(analyze_run):
    first, _ = analyze_run(9201, nim_up, nvidia_embed_model=MODEL_A)
    changed, _ = analyze_run(9202, nim_up, nvidia_embed_model=MODEL_B)
    same, _ = analyze_run(9203, nim_up, nvidia_embed_model=MODEL_A)

    # The mocked model gives every text the same vector: only the model keeps them apart.
    assert changed["embedding_model"] == MODEL_B
    assert changed["similar"] == []
    assert [s["incident_id"] for s in same["similar"]] == [first["id"]]


def test_after_a_key_is_added_no_neighbour_comes_from_the_local_embedder(analyze_run):
    offline = {"nvidia_api_key": None, "nvidia_base_url": DEFAULT_NVIDIA_BASE_URL}
    before, _ = analyze_run(9301, nim_up, **offline)
    with_key, _ = analyze_run(9302, nim_up)
    offline_again, _ = analyze_run(9303, nim_up, **offline)

    assert before["embedder"] == "local"
    assert with_key["embedder"] == "nim"
    assert with_key["similar"] == []
    assert [s["incident_id"] for s in offline_again["similar"]] == [before["id"]]


def test_during_an_outage_neighbours_come_from_earlier_local_vectors_only(analyze_run):
    earlier_outage, _ = analyze_run(9401, nim_down)
    healthy, _ = analyze_run(9402, nim_up)
    outage, _ = analyze_run(9403, nim_down)

    assert [s["incident_id"] for s in outage["similar"]] == [earlier_outage["id"]]
    assert healthy["id"] not in [s["incident_id"] for s in outage["similar"]]
