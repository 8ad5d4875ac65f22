"""Worker threads mask at once through the shared memories of clean strings and clean keys:
while they fill and clear them, no thread fails, no secret survives, a clean payload comes
back as it is, and each memory keeps its bound."""

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from app.core import redaction
from app.core.redaction import MARK, mask_mapping

# Shaped like a real credential, valid for nothing.
GITHUB_CLASSIC = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
WORKERS = 8
ROUNDS = 3_000
STRINGS_BOUND = 5
KEYS_BOUND = 3


@contextmanager
def switching_often() -> Iterator[None]:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


@pytest.fixture
def small_memories(monkeypatch):
    """Both memories bounded to a few entries, so the threads clear them all the time."""
    monkeypatch.setattr(redaction, "_KNOWN_CLEAN_MAX_ENTRIES", STRINGS_BOUND)
    monkeypatch.setattr(redaction._CLEAN_KEYS, "max_entries", KEYS_BOUND)


def mask_in_turn(worker: int) -> list[str]:
    """Masks a clean and a secret-bearing payload per round; returns what went wrong."""
    wrong: list[str] = []
    for n in range(ROUNDS):
        clean = {f"key{worker}-{n % 7}": f"w{worker}-{n}", "repo": {"name": "r", f"n{n % 5}": 1}}
        if mask_mapping(clean) is not clean:
            wrong.append(f"clean payload changed: {clean}")
        secret = {f"key{worker}-{n % 7}": f"w{worker}-{n}", "log": f"push {GITHUB_CLASSIC}"}
        masked = mask_mapping({**secret, "password": f"pw-{worker}-{n}"})
        if GITHUB_CLASSIC in masked["log"] or masked["password"] != MARK:
            wrong.append(f"secret survived: {masked}")
        sizes = len(redaction._KNOWN_CLEAN), len(redaction._CLEAN_KEYS.entries)
        if sizes[0] > STRINGS_BOUND or sizes[1] > KEYS_BOUND:
            wrong.append(f"memory over its bound: {sizes}")
    return wrong


def test_threads_masking_at_once_fail_nowhere_and_leak_nothing(small_memories):
    with switching_often(), ThreadPoolExecutor(max_workers=WORKERS) as pool:
        # result() raises here whatever a thread raised
        wrong = [line for done in pool.map(mask_in_turn, range(WORKERS)) for line in done]
    assert wrong == []


def test_the_clean_keys_memory_keeps_its_bound_when_threads_fill_it_at_once(small_memories):
    def fill(worker: int) -> int:
        largest = 0
        for n in range(ROUNDS):
            mask_mapping({f"w{worker}-{n}-a": "x", f"w{worker}-{n}-b": "y"})
            largest = max(largest, len(redaction._CLEAN_KEYS.entries))
        return largest

    with switching_often(), ThreadPoolExecutor(max_workers=WORKERS) as pool:
        largest = max(pool.map(fill, range(WORKERS)))
    assert largest <= KEYS_BOUND
