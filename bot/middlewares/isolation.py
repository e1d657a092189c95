"""One person's updates are handled one at a time, in the order they came.

aiogram handles each update in a task of its own, so without this a `/start` sent right
after a button could run first, or between the button's reads and writes of the FSM, and
wipe the form the button opened. The FSM middleware holds this lock around everything after
it (the middlewares and the handler), keyed by the person's chat.

A wait is bounded (`ISOLATION_LOCK_SECONDS`): an update never waits forever behind a handler
that hangs (an LLM that does not answer); after the bound it runs beside it. Work that takes
long on purpose (batch drafting, "sync now") runs in a task of its own and does not hold it.
With Redis the lock is Redis's, shared by every instance (webhook replicas).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StorageKey

log = logging.getLogger(__name__)

ISOLATION_LOCK_SECONDS = 60.0
"""At most this long does an update wait for the one before it (and a Redis lock left by a
process that died is free after this long)."""


@dataclass
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class PersonIsolation(BaseEventIsolation):
    """aiogram's `SimpleEventIsolation` with a bounded wait, and no lock kept for a person
    after their last update is done (aiogram's keeps one per person forever)."""

    def __init__(self, wait_seconds: float = ISOLATION_LOCK_SECONDS) -> None:
        self.wait_seconds = wait_seconds
        self._locks: dict[StorageKey, _Entry] = {}

    @contextlib.asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        entry = self._locks.setdefault(key, _Entry())
        entry.users += 1
        acquired = False
        try:
            try:
                # Inline (no task), so waiters queue in the order their updates came.
                async with asyncio.timeout(self.wait_seconds):
                    await entry.lock.acquire()
                acquired = True
            except TimeoutError:
                log.warning(
                    "an update waited %.0f s for the one before it; handled beside it",
                    self.wait_seconds,
                )
            yield
        finally:
            if acquired:
                entry.lock.release()
            entry.users -= 1
            if entry.users == 0 and self._locks.get(key) is entry:
                del self._locks[key]

    async def close(self) -> None:
        self._locks.clear()


def create_isolation(storage: BaseStorage) -> BaseEventIsolation:
    """Redis's lock when the FSM lives in Redis (every instance sees it), else this process's."""
    from aiogram.fsm.storage.redis import RedisStorage

    if isinstance(storage, RedisStorage):
        return storage.create_isolation(
            lock_kwargs={
                "timeout": ISOLATION_LOCK_SECONDS,
                "sleep": 0.05,
                # A handler that outlived the lock must not fail on its way out.
                "raise_on_release_error": False,
            }
        )
    return PersonIsolation()
