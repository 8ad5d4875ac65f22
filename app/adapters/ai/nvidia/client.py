"""The HTTP client for NVIDIA NIM: chat and embeddings calls, with retries and a circuit breaker.

Each ``build_nim_http`` call builds a new client with its own breaker; the composition root
decides which adapters share one.
"""

import time
from collections.abc import Callable

import httpx

from app.adapters.external.http import CircuitBreaker, ResilientClient, RetryPolicy
from app.core.errors import LLMError
from app.core.settings_parts import NvidiaSettings

CONNECT_TIMEOUT_SECONDS = 5.0


def build_nim_http(
    settings: NvidiaSettings,
    *,
    base_url: str | None = None,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    breaker: CircuitBreaker | None = None,
) -> ResilientClient:
    """Build the resilient NIM client from settings, for ``base_url`` (default
    ``NVIDIA_BASE_URL``; the embeddings client passes ``NVIDIA_EMBED_BASE_URL``).

    A self-hosted NIM (or vLLM/Ollama) may run without a key, so the Authorization header is
    only sent when ``NVIDIA_API_KEY`` is set. The key lives only in the client's headers, which
    httpx masks in its repr; nothing here logs it.
    """
    headers = {"Accept": "application/json"}
    if settings.api_key is not None:
        headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
    client = httpx.Client(
        base_url=base_url or settings.base_url,
        headers=headers,
        timeout=httpx.Timeout(settings.timeout_seconds, connect=CONNECT_TIMEOUT_SECONDS),
        transport=transport,
    )
    return ResilientClient(
        client,
        name="nvidia",
        error_cls=LLMError,
        policy=RetryPolicy(max_attempts=max(1, settings.max_retries + 1)),
        breaker=breaker,
        sleep=sleep,
    )
