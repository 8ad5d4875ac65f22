"""Which NIM clients the composition root opens: NVIDIA_API_KEY is needed for NVIDIA's hosted
API only; a self-hosted OpenAI-compatible server (vLLM, Ollama, a NIM container) is used
without one; embeddings may have their own server and model. Requests are respx-mocked."""

import json
from contextlib import ExitStack

import pytest
import respx

from app.adapters.ai.local.embedder import LocalEmbedder
from app.adapters.ai.nvidia import NimEmbedder
from app.bootstrap import build_embedder, open_nim
from app.core.settings_parts import DEFAULT_NVIDIA_BASE_URL, NvidiaSettings, is_hosted_nvidia
from tests.conftest import make_settings
from tests.support.nim_api import embeddings_reply

SELF_HOSTED = "http://vllm.internal:8000/v1"
EMBED_SERVER = "http://nim-embed.internal:8000/v1"
KEY = "nvapi-" + "k" * 40


def nvidia(**values) -> NvidiaSettings:
    return make_settings(**values).nvidia


@pytest.fixture
def stack():
    with ExitStack() as opened:
        yield opened


@pytest.fixture
def nim():
    with respx.mock(assert_all_called=False) as mock:
        yield mock


def embed_once(settings: NvidiaSettings, stack: ExitStack) -> None:
    _, embeddings = open_nim(settings, stack)
    build_embedder(settings, embeddings).embed(["npm ERR! code ECONNRESET"])


def test_the_hosted_api_without_a_key_opens_no_client(stack):
    settings = nvidia(nvidia_api_key=None, nvidia_base_url=DEFAULT_NVIDIA_BASE_URL)

    assert open_nim(settings, stack) == (None, None)
    assert isinstance(build_embedder(settings, None), LocalEmbedder)


def test_a_self_hosted_server_is_used_without_a_key_and_sent_none(stack, nim):
    route = nim.post(f"{SELF_HOSTED}/embeddings").mock(side_effect=embeddings_reply)
    settings = nvidia(nvidia_api_key=None, nvidia_base_url=SELF_HOSTED)

    chat, embeddings = open_nim(settings, stack)
    embed_once(settings, stack)

    assert chat is embeddings is not None
    assert "authorization" not in route.calls.last.request.headers


def test_embeddings_go_to_their_own_server_with_their_own_model(stack, nim):
    route = nim.post(f"{EMBED_SERVER}/embeddings").mock(side_effect=embeddings_reply)
    settings = nvidia(
        nvidia_api_key=KEY,
        nvidia_embed_base_url=EMBED_SERVER,
        nvidia_embed_model="nvidia/nv-embedqa-e5-v5",
    )

    chat, embeddings = open_nim(settings, stack)
    embed_once(settings, stack)

    assert str(chat.client.base_url).startswith(DEFAULT_NVIDIA_BASE_URL)
    assert json.loads(route.calls.last.request.content)["model"] == "nvidia/nv-embedqa-e5-v5"
    assert chat is not embeddings


def test_self_hosted_embeddings_work_beside_a_hosted_chat_without_a_key(stack):
    settings = nvidia(nvidia_api_key=None, nvidia_embed_base_url=EMBED_SERVER)

    chat, embeddings = open_nim(settings, stack)

    assert chat is None
    assert isinstance(build_embedder(settings, embeddings), NimEmbedder)
    assert str(embeddings.client.base_url).startswith(EMBED_SERVER)


def test_the_clients_are_closed_with_the_stack():
    settings = nvidia(nvidia_api_key=KEY, nvidia_embed_base_url=EMBED_SERVER)
    with ExitStack() as opened:
        chat, embeddings = open_nim(settings, opened)

    assert chat.client.is_closed and embeddings.client.is_closed


@pytest.mark.parametrize(
    ("url", "hosted"),
    [
        (DEFAULT_NVIDIA_BASE_URL, True),
        ("https://ai.api.nvidia.com/v1/retrieval/nvidia", True),
        ("https://INTEGRATE.api.nvidia.com/v1/", True),
        (SELF_HOSTED, False),
        ("http://localhost:11434/v1", False),
        ("https://nvidia.com.example.test/v1", False),
    ],
)
def test_only_nvidias_own_hosts_count_as_the_hosted_api(url, hosted):
    assert is_hosted_nvidia(url) is hosted
