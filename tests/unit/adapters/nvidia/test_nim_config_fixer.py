"""NimConfigFixer against respx-mocked NIM ``POST /chat/completions`` (OpenAI chat shape)."""

import json

import httpx
import pytest
import respx

from app.adapters.ai.nvidia import build_nim_http
from app.adapters.ai.nvidia.config_fixer import NimConfigFixer
from tests.conftest import make_settings

BASE_URL = "https://nim.test/v1"
MODEL = "meta/llama-3.1-70b-instruct"
BROKEN = "on: push\njobs:\n  a:\n    steps:\n      - run: make\n"
FIXED = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
ASK = dict(path=".github/workflows/ci.yml", content=BROKEN, line=3, message="m", diagnosis="d")


def completion(content: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        },
    )


@pytest.fixture
def nim():
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def fixer() -> NimConfigFixer:
    settings = make_settings(
        nvidia_api_key="nvapi-" + "k" * 40, nvidia_base_url=BASE_URL, nvidia_max_retries=0
    )
    return NimConfigFixer(build_nim_http(settings.nvidia, sleep=lambda s: None), model=MODEL)


def test_the_models_fixed_file_is_returned(nim, fixer):
    nim.post("/chat/completions").mock(
        return_value=completion(json.dumps({"fixed_file": FIXED, "explanation": "runner"}))
    )
    assert fixer.propose_fix(**ASK) == FIXED


def test_the_prompt_numbers_the_lines_and_names_the_error_line(nim, fixer):
    route = nim.post("/chat/completions").mock(
        return_value=completion(json.dumps({"fixed_file": None}))
    )
    fixer.propose_fix(**ASK)
    user = json.loads(route.calls.last.request.content)["messages"][1]["content"]
    assert "Error (line 3): m" in user and "3|   a:" in user


def test_a_model_without_a_fix_gives_none(nim, fixer):
    nim.post("/chat/completions").mock(
        return_value=completion('{"fixed_file": null, "explanation": "unsure"}')
    )
    assert fixer.propose_fix(**ASK) is None


@pytest.mark.parametrize("content", ["not json", '{"fixed_file": "x", "extra": 1}', "[]"])
def test_an_unusable_answer_gives_none(nim, fixer, content):
    nim.post("/chat/completions").mock(return_value=completion(content))
    assert fixer.propose_fix(**ASK) is None


def test_a_failing_server_gives_none(nim, fixer):
    nim.post("/chat/completions").mock(return_value=httpx.Response(500))
    assert fixer.propose_fix(**ASK) is None


def test_a_file_holding_what_looks_like_a_secret_is_never_sent(nim, fixer):
    route = nim.post("/chat/completions").mock(return_value=completion("{}"))
    secret = BROKEN + "      - run: echo ghp_" + "A" * 36 + "\n"
    assert fixer.propose_fix(**ASK | {"content": secret}) is None
    assert not route.called
