"""LocalEmbedder: fixed width, deterministic, unit length, similar failures close together."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.adapters.ai.local.embedder import LocalEmbedder
from app.core.analysis.models import EmbeddingSpace

LOGS = Path(__file__).parents[2] / "fixtures" / "ci_logs"


def cosine(a: list[float], b: list[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


def log(name: str) -> str:
    return next(LOGS.glob(f"{name}_*.log")).read_text()


def test_vectors_have_768_dimensions_by_default() -> None:
    assert [len(v) for v in LocalEmbedder().embed(["npm ERR! code ECONNRESET", ""])] == [768, 768]


def test_dimensions_can_be_chosen() -> None:
    assert len(LocalEmbedder(dimensions=64).embed_one("error")) == 64


def test_non_positive_dimensions_are_rejected() -> None:
    with pytest.raises(ValueError):
        LocalEmbedder(dimensions=0)


def test_vectors_have_unit_length() -> None:
    for vector in LocalEmbedder().embed([log("040"), log("002"), "", "x"]):
        assert math.isclose(math.fsum(x * x for x in vector), 1.0, rel_tol=1e-9)


def test_the_same_text_gives_the_same_vector_in_another_instance() -> None:
    assert LocalEmbedder().embed_one(log("061")) == LocalEmbedder().embed_one(log("061"))


def test_vectors_do_not_depend_on_the_interpreter_hash_seed() -> None:
    code = (
        "import json; from app.adapters.ai.local.embedder import LocalEmbedder;"
        "print(json.dumps(LocalEmbedder().embed_one('npm ERR! code ECONNRESET')[:8]))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
    assert json.loads(outputs.pop()) == LocalEmbedder().embed_one("npm ERR! code ECONNRESET")[:8]


def test_numbers_and_ids_do_not_move_the_vector() -> None:
    embedder = LocalEmbedder()
    first = embedder.embed_one("job 123 at 3a2844b7e9c4 failed after 12.3s")
    assert first == embedder.embed_one("job 98765 at 77be01ac4d2f failed after 0.4s")


def test_similar_failures_are_closer_than_unrelated_ones() -> None:
    econnreset_a, econnreset_b, rust_compile = LocalEmbedder().embed(
        [log("040"), log("041"), log("002")]
    )
    assert cosine(econnreset_a, econnreset_b) > 0.5
    assert cosine(econnreset_a, rust_compile) < 0.3


def test_input_type_does_not_change_the_vector() -> None:
    embedder = LocalEmbedder()
    text = log("068")
    assert embedder.embed([text], input_type="query") == embedder.embed(
        [text], input_type="passage"
    )


def test_it_describes_itself_for_the_embedder_port() -> None:
    embedder = LocalEmbedder()
    assert (embedder.name, embedder.dimensions, embedder.asymmetric) == ("local-hash", 768, False)
    assert embedder.space == EmbeddingSpace(embedder="local", model="local-hash")
