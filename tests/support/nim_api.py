"""Routes answering NVIDIA NIM's OpenAI-compatible endpoints in their documented shapes."""

import json
from typing import Any

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
