"""LruCache: bounded, least recently used out first, safe across threads."""

import threading

import pytest

from app.core.lru import LruCache


def test_the_least_recently_used_entry_goes_first_when_full():
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")  # "b" is now the least recently used
    cache.put("c", 3)

    assert ("a" in cache, "b" in cache, "c" in cache) == (True, False, True)


def test_it_never_holds_more_than_its_capacity():
    cache: LruCache[int, int] = LruCache(3)
    for key in range(100):
        cache.put(key, key)

    assert len(cache) == 3
    assert [cache.get(key) for key in (97, 98, 99)] == [97, 98, 99]


def test_capacity_zero_keeps_nothing():
    cache: LruCache[str, int] = LruCache(0)
    cache.put("a", 1)

    assert cache.get("a") is None and len(cache) == 0


def test_a_negative_capacity_is_refused():
    with pytest.raises(ValueError, match="capacity"):
        LruCache(-1)


def test_threads_putting_at_once_keep_the_bound():
    cache: LruCache[tuple[int, int], int] = LruCache(50)

    def fill(thread: int) -> None:
        for key in range(2_000):
            cache.put((thread, key), key)
            cache.get((thread, key - 1))

    threads = [threading.Thread(target=fill, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(cache) == 50
