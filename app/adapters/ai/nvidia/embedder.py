"""NIM embeddings: text → unit vectors of a fixed size (768, the width of the pgvector column).

A model whose vectors are wider is cut to the width (see ``DIMENSIONS_MODELS``); one whose
vectors are narrower (384-wide MiniLM or BGE-small on Ollama or vLLM) is padded with zeros,
which changes no cosine between two of its vectors. Vectors of different models are never
compared (the incident records its model), so neither reshaping mixes spaces.
"""

import math
from collections.abc import Sequence

import httpx
from pydantic import BaseModel, ValidationError

from app.adapters.external.http import ResilientClient
from app.core.analysis.models import EmbeddingSpace
from app.core.config import EMBEDDING_DIMENSIONS
from app.core.errors import LLMError
from app.core.redaction import mask_secrets

INPUT_TYPES = frozenset({"passage", "query"})

# Models trained with Matryoshka representation learning accept a ``dimensions`` parameter
# and return vectors of that size. Others (e.g. nv-embedqa-e5-v5, 1024 wide) reject it, so
# their vectors are cut to size and re-normalized here instead.
DIMENSIONS_MODELS = (
    "llama-3.2-nv-embedqa-1b-v2",
    "llama-nemotron-embed-1b-v2",
    "llama-3.2-nemoretriever-300m-embed",
)


class _EmbeddingItem(BaseModel):
    index: int
    embedding: list[float]


class _EmbeddingResponse(BaseModel):
    data: list[_EmbeddingItem]


def supports_dimensions(model: str) -> bool:
    """Whether the model is known to accept the ``dimensions`` request parameter."""
    name = model.lower()
    return any(marker in name for marker in DIMENSIONS_MODELS)


def fit_vector(vector: Sequence[float], dimensions: int) -> list[float]:
    """Cut a vector to ``dimensions`` (or pad it with zeros) and scale it to unit length (L2)."""
    if not vector:
        raise LLMError("embedding is empty")
    head = list(vector[:dimensions])
    norm = math.sqrt(math.fsum(x * x for x in head))
    if norm == 0.0 or not math.isfinite(norm):
        raise LLMError("embedding cannot be normalized (zero or non-finite norm)")
    return [x / norm for x in head] + [0.0] * (dimensions - len(head))


class NimEmbedder:
    """Embedder port over ``POST /embeddings`` of a NIM (or any OpenAI-compatible server)."""

    def __init__(
        self,
        http: ResilientClient,
        *,
        model: str,
        dimensions: int = EMBEDDING_DIMENSIONS,
        batch_size: int = 32,
        send_dimensions: bool | None = None,
    ):
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.http = http
        self.model = model
        self.dimensions = dimensions
        self.batch_size = batch_size
        self.name = f"nim:{model}"
        self.space = EmbeddingSpace(embedder="nim", model=model)
        # NIM's retrieval models embed what is stored ("passage") and what is searched with
        # ("query") differently; a search embeds its text as a query.
        self.asymmetric = True
        self.send_dimensions = (
            supports_dimensions(model) if send_dimensions is None else send_dimensions
        )

    def embed(self, texts: list[str], *, input_type: str = "passage") -> list[list[float]]:
        """Embed ``texts`` in batches; vectors come back in the order of ``texts``.

        ``input_type`` is "passage" for what is stored and "query" for what is searched with;
        asymmetric models lose much of their accuracy when the two are mixed up.
        """
        if input_type not in INPUT_TYPES:
            raise ValueError(f"input_type must be one of {sorted(INPUT_TYPES)}, not {input_type!r}")
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            vectors.extend(self._embed_batch(texts[start : start + self.batch_size], input_type))
        return vectors

    def _embed_batch(self, batch: list[str], input_type: str) -> list[list[float]]:
        response = self.http.request("POST", "/embeddings", json=self._body(batch, input_type))
        items = _parse(response)
        if sorted(item.index for item in items) != list(range(len(batch))):
            raise LLMError(
                f"embeddings response has {len(items)} items with unexpected indexes "
                f"for a batch of {len(batch)}"
            )
        ordered = sorted(items, key=lambda item: item.index)
        return [fit_vector(item.embedding, self.dimensions) for item in ordered]

    def _body(self, batch: list[str], input_type: str) -> dict:
        body: dict = {
            # Callers pass masked text already; masking again costs little and keeps
            # invariant 7 even when a caller forgets.
            "input": [mask_secrets(text) for text in batch],
            "model": self.model,
            "input_type": input_type,
            "encoding_format": "float",
            "truncate": "END",
        }
        if self.send_dimensions:
            body["dimensions"] = self.dimensions
        return body


def _parse(response: httpx.Response) -> list[_EmbeddingItem]:
    try:
        return _EmbeddingResponse.model_validate_json(response.content).data
    except ValidationError as exc:
        raise LLMError(
            f"embeddings response is not in the expected shape ({exc.error_count()} errors)"
        ) from None
