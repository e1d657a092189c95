"""PersonIsolation: one person's updates in order, a bounded wait, nothing kept afterwards."""

from __future__ import annotations

import asyncio
import os

from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage

from bot.middlewares.isolation import PersonIsolation, create_isolation


def key(user: int) -> StorageKey:
    return StorageKey(bot_id=1, chat_id=user, user_id=user)


async def test_updates_of_one_person_run_in_order_others_beside() -> None:
    isolation = PersonIsolation()
    log: list[str] = []

    async def update(name: str, who: int, pause: float) -> None:
        async with isolation.lock(key(who)):
            log.append(f"{name}+")
            await asyncio.sleep(pause)
            log.append(f"{name}-")

    await asyncio.gather(update("a", 1, 0.05), update("b", 1, 0), update("c", 2, 0))
    assert log.index("a-") < log.index("b+")
    assert log.index("c-") < log.index("a-")  # another person does not wait
    assert not isolation._locks


async def test_a_hung_update_holds_the_next_one_only_for_the_bound() -> None:
    isolation = PersonIsolation(wait_seconds=0.05)
    release = asyncio.Event()

    async def hung() -> None:
        async with isolation.lock(key(1)):
            await release.wait()

    holder = asyncio.create_task(hung())
    await asyncio.sleep(0)
    async with asyncio.timeout(1.0), isolation.lock(key(1)):
        pass  # ran after the bound, beside the hung one
    release.set()
    await holder
    assert not isolation._locks


def test_memory_storage_gets_the_process_lock() -> None:
    assert isinstance(create_isolation(MemoryStorage()), PersonIsolation)


async def test_redis_storage_gets_a_shared_lock_that_orders_updates(redis_url: str) -> None:
    from aiogram.fsm.storage.redis import RedisStorage

    storage = RedisStorage.from_url(redis_url)
    try:
        isolation = create_isolation(storage)
        assert not isinstance(isolation, PersonIsolation)
        log: list[str] = []
        who = key(int.from_bytes(os.urandom(4), "big"))  # tests share the Redis server

        async def update(name: str, pause: float) -> None:
            async with isolation.lock(who):
                log.append(f"{name}+")
                await asyncio.sleep(pause)
                log.append(f"{name}-")

        first = asyncio.create_task(update("a", 0.1))
        await asyncio.sleep(0.02)
        await update("b", 0)
        await first
        assert log == ["a+", "a-", "b+", "b-"]
    finally:
        await storage.close()
