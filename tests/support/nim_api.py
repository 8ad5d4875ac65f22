"""Routes answering NVIDIA NIM's OpenAI-compatible endpoints in their documented shapes."""

import json
from typing import Any

import httpx
import respx

EMBEDDING_DIMENSIONS = 768


def mock_nim_answer(
    respx_mock: respx.Router, base_url: str, answer: dict[str, Any] | None
) -> None:
    """``/embeddings`` returns one unit vector; ``/chat/completions`` returns ``answer`` as JSON."""
    respx_mock.post(f"{base_url}/embeddings").respond(
        200,
        json={
            "object": "list",
            "model": "m",
            "usage": {"prompt_tokens": 3, "total_tokens": 3},
            "data": [
                {
                    "index": 0,
                    "object": "embedding",
                    "embedding": [1.0] + [0.0] * (EMBEDDING_DIMENSIONS - 1),
                }
            ],
        },
    )
    respx_mock.post(f"{base_url}/chat/completions").respond(
        200,
        json={
            "id": "c",
            "object": "chat.completion",
            "model": "m",
            "usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70},
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": json.dumps(answer)},
                }
            ],
        },
    )


def embeddings_reply(request: httpx.Request, *, width: int = EMBEDDING_DIMENSIONS) -> httpx.Response:
    """Answer ``POST /embeddings`` as NIM does: one item per input, in the model asked for.
    Every input gets the same unit vector, so two incidents are neighbours unless something
    other than their vectors keeps them apart."""
    body = json.loads(request.content)
    inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
    tokens = 4 * len(inputs)
    return httpx.Response(
        200,
        json={
            "object": "list",
            "model": body["model"],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            "data": [
                {"index": i, "object": "embedding", "embedding": [1.0] + [0.0] * (width - 1)}
                for i in range(len(inputs))
            ],
        },
    )


def nim_unavailable(request: httpx.Request) -> httpx.Response:
    """What NIM answers while it is down: 503 with a problem-details body (RFC 9457)."""
    return httpx.Response(
        503,
        json={
            "title": "Service Unavailable",
            "status": 503,
            "detail": "The server is temporarily unable to handle the request.",
        },
    )
