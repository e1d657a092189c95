"""`AccessCache`'s rules without a database: nothing kept unless live, a read under way when
a change comes is not kept, entries expire, the oldest goes when full."""

from __future__ import annotations

import asyncio

from services.access_cache import AccessCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_nothing_is_kept_or_served_unless_live() -> None:
    cache = AccessCache()
    loads = []

    async def load() -> int:
        loads.append(1)
        return len(loads)

    assert [await cache.get("k", load) for _ in range(2)] == [1, 2]
    cache.set_live(True)
    assert [await cache.get("k", load) for _ in range(2)] == [3, 3]
    cache.set_live(False)  # the listening connection went down: forget, and stop keeping
    assert [await cache.get("k", load) for _ in range(2)] == [4, 5]


async def test_a_change_forgets_everything() -> None:
    cache = AccessCache()
    cache.set_live(True)
    values = iter(["old", "new"])

    async def load() -> str:
        return next(values)

    assert await cache.get("k", load) == "old"
    assert await cache.get("k", load) == "old"
    cache.changed()
    assert await cache.get("k", load) == "new"


async def test_a_read_under_way_when_a_change_comes_is_not_kept() -> None:
    cache = AccessCache()
    cache.set_live(True)
    release = asyncio.Event()
    values = iter(["read before the change", "read after it"])

    async def slow_load() -> str:
        await release.wait()
        return next(values)

    reading = asyncio.create_task(cache.get("k", slow_load))
    await asyncio.sleep(0)
    cache.changed()  # the notification came while the read was under way
    release.set()
    assert await reading == "read before the change"  # this caller gets what it read...
    assert await cache.get("k", slow_load) == "read after it"  # ...but it was not kept
    assert cache.misses == 2


async def test_entries_expire_and_the_oldest_goes_when_full() -> None:
    clock = Clock()
    cache = AccessCache(ttl=60, max_entries=2, clock=clock)
    cache.set_live(True)
    loads: list[str] = []

    def loader(key: str):  # type: ignore[no-untyped-def]
        async def load() -> str:
            loads.append(key)
            return key

        return load

    for key in ("a", "b", "c"):  # "a" goes to make room for "c"
        await cache.get(key, loader(key))
    await cache.get("b", loader("b"))
    await cache.get("a", loader("a"))
    assert loads == ["a", "b", "c", "a"]
    clock.now = 61
    await cache.get("c", loader("c"))  # expired
    assert loads[-1] == "c" and len(loads) == 5


async def test_an_absence_is_not_kept_when_asked() -> None:
    cache = AccessCache()
    cache.set_live(True)
    values = iter([None, "synced since", "not read"])

    async def load() -> str | None:
        return next(values)

    assert await cache.get("k", load, keep_none=False) is None
    assert await cache.get("k", load, keep_none=False) == "synced since"
    assert await cache.get("k", load, keep_none=False) == "synced since"  # kept
