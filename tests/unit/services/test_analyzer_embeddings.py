"""The analyzer's embeddings: query vectors are remembered per failure signature and model, in
a bounded memory; when the configured embedder fails, the fallback embedder stands in and the
analysis says so. NIM is respx-mocked in its documented shapes; no database (db=None)."""

import json

import httpx
import pytest
import respx

from app.adapters.ai.local.embedder import LocalEmbedder
from app.adapters.ai.nvidia import NimEmbedder, build_nim_http
from app.core.errors import LLMError
from app.domain.classification.rule_classifier import RuleClassifier
from app.domain.scoring.confidence import ConfidenceWeights
from app.services.analyzer import Analyzer
from tests.conftest import FIXTURES, make_settings
from tests.support.nim_api import embeddings_reply, nim_unavailable

NIM = "https://nim.example.test/v1"
MODEL = "nvidia/llama-3.2-nv-embedqa-1b-v2"
LOGS = [
    (FIXTURES / "ci_logs" / name).read_text()
    for name in (
        "040_npm_econnreset_actions.log",
        "004_maven_cannot_find_symbol.log",
        "002_cargo_e0433_undeclared_crate.log",
    )
]


@pytest.fixture
def nim():
    with respx.mock(assert_all_called=False) as mock:
        yield mock


def analyzer(*, cache_size: int = 1024, fallback: bool = True) -> Analyzer:
    settings = make_settings(
        nvidia_api_key="nvapi-" + "k" * 40, nvidia_base_url=NIM, nvidia_max_retries=0
    )
    http = build_nim_http(settings.nvidia, sleep=lambda _: None)
    return Analyzer(
        None,
        log_sources={},
        embedder=NimEmbedder(http, model=MODEL),
        fallback_embedder=LocalEmbedder() if fallback else None,
        classifier=RuleClassifier.from_file(settings.analysis.patterns_file),
        weights=ConfidenceWeights(),
        query_cache_size=cache_size,
    )


def query_calls(route: respx.Route) -> int:
    return sum(json.loads(c.request.content)["input_type"] == "query" for c in route.calls)


def test_a_failure_seen_again_is_searched_for_without_embedding_its_query_again(nim):
    route = nim.post(f"{NIM}/embeddings").mock(side_effect=embeddings_reply)
    subject = analyzer()

    for _ in range(3):
        subject.analyze_text(LOGS[0])

    assert query_calls(route) == 1


def test_the_query_memory_holds_no_more_failures_than_its_size(nim):
    route = nim.post(f"{NIM}/embeddings").mock(side_effect=embeddings_reply)
    subject = analyzer(cache_size=2)

    for log in [*LOGS, LOGS[0]]:  # the first is forgotten when the third comes in
        subject.analyze_text(log)

    assert len(subject.query_cache) == 2
    assert query_calls(route) == 4


def test_embeddings_failing_fall_back_to_the_local_embedder_and_say_why(nim):
    nim.post(f"{NIM}/embeddings").mock(side_effect=nim_unavailable)

    analysis = analyzer().analyze_text(LOGS[0])

    assert analysis.space == LocalEmbedder.space
    assert analysis.embedding == LocalEmbedder().embed_one(analysis.signature)
    [fallback] = analysis.fallbacks
    assert (fallback.stage, fallback.configured, fallback.used) == (
        "embeddings",
        f"nim:{MODEL}",
        "local-hash",
    )
    assert fallback.reason == "nvidia answered 503 for POST /v1/embeddings"


def test_an_answer_in_the_wrong_shape_falls_back_too(nim):
    nim.post(f"{NIM}/embeddings").respond(200, json={"object": "list", "data": "AAAA"})

    analysis = analyzer().analyze_text(LOGS[0])

    assert analysis.space.embedder == "local"
    assert "expected shape" in analysis.fallbacks[0].reason


def test_the_query_failing_after_the_passage_puts_both_vectors_in_the_local_space(nim):
    def passage_only(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["input_type"] == "query":
            return httpx.Response(429)
        return embeddings_reply(request)

    nim.post(f"{NIM}/embeddings").mock(side_effect=passage_only)

    analysis = analyzer().analyze_text(LOGS[0])

    assert analysis.space.embedder == "local"
    assert analysis.embedding == LocalEmbedder().embed_one(analysis.signature)


def test_without_a_fallback_embedder_the_failure_is_the_analysis_failure(nim):
    nim.post(f"{NIM}/embeddings").mock(side_effect=nim_unavailable)

    with pytest.raises(LLMError, match="503"):
        analyzer(fallback=False).analyze_text(LOGS[0])
