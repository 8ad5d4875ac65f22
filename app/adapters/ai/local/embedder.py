"""Deterministic embedder without a model: signed feature hashing of the normalized text.

Features are word unigrams, word bigrams and character trigrams of the signature-normalized
text (numbers, ids, paths and durations already masked), hashed with BLAKE2b — stable across
processes, unlike Python's ``hash()`` — into ``dimensions`` buckets with a ±1 sign, weighted by
sublinear term frequency and scaled to unit length. Two failures that share their wording land
close in cosine; unrelated ones share few features and land far apart.
"""

import hashlib
import math
import re
from collections import Counter
from functools import lru_cache

from app.core.analysis.models import EmbeddingSpace
from app.core.analysis.signature import normalize_line
from app.core.config import EMBEDDING_DIMENSIONS

_WORD = re.compile(r"<[a-z]+>|[a-z][a-z0-9_.+-]*[a-z0-9]|[a-z]")
# Unigrams carry the vocabulary; bigrams the phrasing; trigrams survive inflections and typos.
_WEIGHTS = {"w": 1.0, "b": 0.7, "c": 0.35}
_EMPTY_FEATURE = "w:<empty>"


@lru_cache(maxsize=65536)
def _bucket(feature: str, dimensions: int) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
    value = int.from_bytes(digest, "big")
    return value % dimensions, 1.0 if value >> 63 else -1.0


def features(text: str) -> Counter[str]:
    """Prefixed features of one text: ``w:`` unigram, ``b:`` bigram, ``c:`` char trigram."""
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        words = _WORD.findall(normalize_line(line))
        counts.update(f"w:{word}" for word in words)
        counts.update(
            f"b:{first} {second}" for first, second in zip(words, words[1:], strict=False)
        )
        for word in words:
            padded = f"^{word}$"
            counts.update(f"c:{padded[i : i + 3]}" for i in range(len(padded) - 2))
    return counts


class LocalEmbedder:
    """Embedder port implemented by feature hashing; needs no network and no weights."""

    name = "local-hash"
    # A change to the features or their weights makes another space: give it another model name.
    space = EmbeddingSpace(embedder="local", model="local-hash")
    asymmetric = False

    def __init__(self, dimensions: int = EMBEDDING_DIMENSIONS):
        if dimensions <= 0:
            raise ValueError("dimensions must be positive")
        self.dimensions = dimensions

    def _vector(self, counts: Counter[str]) -> list[float]:
        vector = [0.0] * self.dimensions
        for feature, count in counts.items():
            index, sign = _bucket(feature, self.dimensions)
            vector[index] += sign * _WEIGHTS[feature[0]] * (1.0 + math.log(count))
        return vector

    def embed_one(self, text: str) -> list[float]:
        """The unit vector of one text (texts without words share one fixed vector)."""
        vector = self._vector(features(text or ""))
        norm = math.sqrt(math.fsum(x * x for x in vector))
        if norm == 0.0:
            # No features, or (vanishingly rare) all of them cancelled out in their buckets.
            return self._vector(Counter({_EMPTY_FEATURE: 1}))
        return [x / norm for x in vector]

    def embed(self, texts: list[str], *, input_type: str = "passage") -> list[list[float]]:
        """One unit vector per text; ``input_type`` is accepted for the port and ignored."""
        return [self.embed_one(text) for text in texts]
