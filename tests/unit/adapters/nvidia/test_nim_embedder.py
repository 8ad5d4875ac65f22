"""NimEmbedder and build_nim_http against respx-mocked NIM ``POST /embeddings``.

Request and response bodies follow the NIM (OpenAI-compatible) embeddings API: ``input``,
``model``, ``input_type``, ``encoding_format``, ``truncate``, optional ``dimensions``; the
answer is ``{"object": "list", "data": [{"index", "embedding", "object"}], "model", "usage"}``.
"""

import json
import math

import httpx
import pytest
import respx

from app.adapters.ai.nvidia import NimEmbedder, build_nim_http
from app.adapters.ai.nvidia.embedder import fit_vector
from app.adapters.external.http import ResilientClient
from app.core.analysis.models import EmbeddingSpace
from app.core.config import Settings
from app.core.errors import LLMError

BASE_URL = "https://nim.test/v1"
API_KEY = "nvapi-" + "T3stK3y" * 8
E5_MODEL = "nvidia/nv-embedqa-e5-v5"
MATRYOSHKA_MODEL = "nvidia/llama-3.2-nv-embedqa-1b-v2"


def make_settings(**overrides) -> Settings:
    values = {"nvidia_api_key": API_KEY, "nvidia_base_url": BASE_URL, "nvidia_max_retries": 3}
    values.update(overrides)
    return Settings(_env_file=None, **values)


def make_http(sleeps: list[float] | None = None, **overrides) -> ResilientClient:
    recorded = [] if sleeps is None else sleeps
    return build_nim_http(make_settings(**overrides).nvidia, sleep=recorded.append)


def one_hot(position: int, size: int) -> list[float]:
    vector = [0.0] * size
    vector[position % size] = 1.0
    return vector


def embeddings_reply(request: httpx.Request, *, size: int = 768, reverse: bool = False):
    """Answer like NIM: one item per input; input "t<n>" gets a one-hot vector at n."""
    body = json.loads(request.content)
    data = [
        {"index": i, "embedding": one_hot(int(text[1:]), size), "object": "embedding"}
        for i, text in enumerate(body["input"])
    ]
    if reverse:
        data.reverse()
    tokens = 4 * len(data)
    return httpx.Response(
        200,
        json={
            "object": "list",
            "data": data,
            "model": body["model"],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        },
    )


@pytest.fixture
def nim():
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        yield mock


def sent_bodies(route) -> list[dict]:
    return [json.loads(call.request.content) for call in route.calls]


def test_passage_request_carries_model_input_type_truncate_and_float_encoding(nim):
    route = nim.post("/embeddings").mock(side_effect=embeddings_reply)

    NimEmbedder(make_http(), model=E5_MODEL).embed(["t1", "t2"])

    assert sent_bodies(route) == [
        {
            "input": ["t1", "t2"],
            "model": E5_MODEL,
            "input_type": "passage",
            "encoding_format": "float",
            "truncate": "END",
        }
    ]


def test_request_sends_bearer_key_and_accepts_json(nim):
    route = nim.post("/embeddings").mock(side_effect=embeddings_reply)

    NimEmbedder(make_http(), model=E5_MODEL).embed(["t1"])

    headers = route.calls.last.request.headers
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert headers["accept"] == "application/json"


def test_query_embeddings_are_requested_with_input_type_query(nim):
    route = nim.post("/embeddings").mock(side_effect=embeddings_reply)

    NimEmbedder(make_http(), model=E5_MODEL).embed(["t3"], input_type="query")

    assert sent_bodies(route)[0]["input_type"] == "query"


def test_matryoshka_model_is_asked_for_768_dimensions(nim):
    route = nim.post("/embeddings").mock(side_effect=embeddings_reply)

    NimEmbedder(make_http(), model=MATRYOSHKA_MODEL).embed(["t1"])

    assert sent_bodies(route)[0]["dimensions"] == 768


def test_fixed_size_model_is_not_sent_dimensions(nim):
    route = nim.post("/embeddings").mock(side_effect=embeddings_reply)

    NimEmbedder(make_http(), model=E5_MODEL).embed(["t1"])

    assert "dimensions" not in sent_bodies(route)[0]


def test_send_dimensions_override_wins_over_model_name(nim):
    route = nim.post("/embeddings").mock(side_effect=embeddings_reply)

    NimEmbedder(make_http(), model="local/any-embedder", send_dimensions=True).embed(["t1"])

    assert sent_bodies(route)[0]["dimensions"] == 768


def test_seventy_texts_go_out_in_three_batches_of_at_most_32(nim):
    route = nim.post("/embeddings").mock(side_effect=embeddings_reply)
    texts = [f"t{n}" for n in range(70)]

    NimEmbedder(make_http(), model=E5_MODEL, batch_size=32).embed(texts)

    assert [len(body["input"]) for body in sent_bodies(route)] == [32, 32, 6]
    assert [text for body in sent_bodies(route) for text in body["input"]] == texts


def test_batched_vectors_come_back_in_input_order(nim):
    nim.post("/embeddings").mock(side_effect=embeddings_reply)
    texts = [f"t{n}" for n in range(70)]

    vectors = NimEmbedder(make_http(), model=E5_MODEL, batch_size=32).embed(texts)

    assert [vector.index(1.0) for vector in vectors] == list(range(70))


def test_vectors_are_ordered_by_index_not_by_response_position(nim):
    nim.post("/embeddings").mock(
        side_effect=lambda request: embeddings_reply(request, reverse=True)
    )

    vectors = NimEmbedder(make_http(), model=E5_MODEL).embed(["t5", "t9", "t2"])

    assert [vector.index(1.0) for vector in vectors] == [5, 9, 2]


def test_longer_vectors_are_truncated_to_768_and_renormalized(nim):
    long_vector = [1.0] * 768 + [5.0] * 256  # 1024 wide, like nv-embedqa-e5-v5
    nim.post("/embeddings").respond(
        200,
        json={
            "object": "list",
            "data": [{"index": 0, "embedding": long_vector, "object": "embedding"}],
            "model": E5_MODEL,
            "usage": {"prompt_tokens": 3, "total_tokens": 3},
        },
    )

    [vector] = NimEmbedder(make_http(), model=E5_MODEL).embed(["t0"])

    assert len(vector) == 768
    assert math.sqrt(sum(x * x for x in vector)) == pytest.approx(1.0)
    assert vector[0] == pytest.approx(1 / math.sqrt(768))


def test_shorter_vectors_are_padded_with_zeros_to_the_column_width(nim):
    nim.post("/embeddings").mock(side_effect=lambda request: embeddings_reply(request, size=384))

    [vector] = NimEmbedder(make_http(), model="all-minilm").embed(["t5"])

    assert len(vector) == 768
    assert vector.index(1.0) == 5
    assert vector[384:] == [0.0] * 384


def test_padding_changes_no_cosine_between_two_vectors_of_a_model():
    first, second = [0.6, 0.8, 0.0], [0.0, 0.6, 0.8]

    padded = [fit_vector(v, 768) for v in (first, second)]

    assert sum(a * b for a, b in zip(*padded, strict=True)) == pytest.approx(0.48)


def test_an_empty_vector_raises_llm_error(nim):
    nim.post("/embeddings").respond(
        200,
        json={
            "object": "list",
            "data": [{"index": 0, "embedding": [], "object": "embedding"}],
            "model": E5_MODEL,
            "usage": {"prompt_tokens": 3, "total_tokens": 3},
        },
    )

    with pytest.raises(LLMError, match="empty"):
        NimEmbedder(make_http(), model=E5_MODEL).embed(["t0"])


def test_response_missing_an_item_raises_llm_error(nim):
    nim.post("/embeddings").respond(
        200,
        json={
            "object": "list",
            "data": [{"index": 0, "embedding": one_hot(0, 768), "object": "embedding"}],
            "model": E5_MODEL,
            "usage": {"prompt_tokens": 6, "total_tokens": 6},
        },
    )

    with pytest.raises(LLMError, match="unexpected indexes"):
        NimEmbedder(make_http(), model=E5_MODEL).embed(["t0", "t1"])


def test_response_in_unexpected_shape_raises_llm_error(nim):
    nim.post("/embeddings").respond(200, json={"object": "list", "data": "AAAA"})

    with pytest.raises(LLMError, match="expected shape"):
        NimEmbedder(make_http(), model=E5_MODEL).embed(["t0"])


def test_client_error_raises_llm_error_without_retrying(nim):
    route = nim.post("/embeddings").respond(400, json={"detail": "input too long"})

    with pytest.raises(LLMError) as caught:
        NimEmbedder(make_http(), model=E5_MODEL).embed(["t0"])

    assert caught.value.upstream_status == 400
    assert route.call_count == 1


def test_rate_limited_request_waits_retry_after_then_succeeds(nim):
    sleeps: list[float] = []
    nim.post("/embeddings").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "2"}), embeddings_reply]
    )

    vectors = NimEmbedder(make_http(sleeps), model=E5_MODEL).embed(["t4"])

    assert sleeps == [2.0]
    assert vectors[0].index(1.0) == 4


def test_secrets_in_texts_are_masked_before_they_are_sent(nim):
    route = nim.post("/embeddings").mock(
        side_effect=lambda request: httpx.Response(
            200,
            json={
                "object": "list",
                "data": [{"index": 0, "embedding": one_hot(0, 768), "object": "embedding"}],
                "model": E5_MODEL,
                "usage": {"prompt_tokens": 9, "total_tokens": 9},
            },
        )
    )
    token = "ghp_" + "A1b2C3d4E5" * 3 + "F6g7H8"

    NimEmbedder(make_http(), model=E5_MODEL).embed([f"clone failed with {token}"])

    sent = route.calls.last.request.content.decode()
    assert token not in sent
    assert "[REDACTED" in sent


def test_empty_input_makes_no_request(nim):
    route = nim.post("/embeddings").mock(side_effect=embeddings_reply)

    assert NimEmbedder(make_http(), model=E5_MODEL).embed([]) == []
    assert route.call_count == 0


def test_unknown_input_type_is_rejected_before_any_request(nim):
    route = nim.post("/embeddings").mock(side_effect=embeddings_reply)

    with pytest.raises(ValueError, match="input_type"):
        NimEmbedder(make_http(), model=E5_MODEL).embed(["t0"], input_type="document")
    assert route.call_count == 0


def test_embedder_reports_name_and_dimensions():
    embedder = NimEmbedder(make_http(), model=E5_MODEL)

    assert (embedder.name, embedder.dimensions) == (f"nim:{E5_MODEL}", 768)


def test_embedder_names_its_space_by_its_model_and_searches_with_query_vectors():
    embedder = NimEmbedder(make_http(), model=E5_MODEL)

    assert embedder.space == EmbeddingSpace(embedder="nim", model=E5_MODEL)
    assert embedder.asymmetric is True


def test_nim_client_uses_settings_for_base_url_timeouts_and_attempts():
    http = make_http(nvidia_timeout_seconds=12.5, nvidia_max_retries=2)

    assert str(http.client.base_url) == f"{BASE_URL}/"
    assert http.client.timeout.read == 12.5
    assert http.client.timeout.connect == 5.0
    assert http.policy.max_attempts == 3


def test_nim_client_without_key_sends_no_authorization_header(nim):
    route = nim.post("/embeddings").mock(side_effect=embeddings_reply)
    http = build_nim_http(make_settings(nvidia_api_key=None).nvidia, sleep=lambda _: None)

    NimEmbedder(http, model=E5_MODEL).embed(["t0"])

    assert "authorization" not in route.calls.last.request.headers
