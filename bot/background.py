"""Long work a press starts (batch drafting, sync now), and the one double-press guard.

A handler must return at once (a person's next update waits for it, see
`bot/middlewares/isolation.py`), so long work runs as a task of its own that outlives the
handler: `Background.start` runs it under a key (one job per key at a time, a second press
is told it runs), and `Progress` edits its progress message at most once per interval.
`busy` is the same guard for short work done inside the handler (one press at a time per
key). Both are a courtesy within one process: across processes PostgreSQL decides (leases,
conditional updates, publish claims).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine, Iterator
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup, Message

log = logging.getLogger(__name__)

_busy: set[str] = set()


@contextlib.contextmanager
def busy(key: str) -> Iterator[bool]:
    """True for the first press on `key` in this process while it works, False for the rest."""
    if key in _busy:
        yield False
        return
    _busy.add(key)
    try:
        yield True
    finally:
        _busy.discard(key)


def is_busy(key: str) -> bool:
    return key in _busy


class Background:
    """The runner of long work: built once per Dispatcher (`background` in workflow data),
    stopped with it, so nothing outlives the pool it uses."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, key: str, work: Coroutine[Any, Any, None]) -> bool:
        """Run `work` under `key`; False (and `work` is not run) while `key` is busy."""
        if key in _busy:
            work.close()
            return False
        _busy.add(key)
        task = asyncio.create_task(self._run(key, work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    @staticmethod
    async def _run(key: str, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            log.exception("background work %s failed", key)
        finally:
            _busy.discard(key)

    async def stop(self) -> None:
        """The bot is stopping: running work ends now, before the pool closes under it."""
        running = list(self._tasks)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


class Progress:
    """A progress message, edited at most once per `every` seconds; `update` may be called
    from a synchronous progress callback as often as the work likes."""

    def __init__(self, message: Message | None, every: float) -> None:
        self.message = message
        self.every = every
        self._last = time.monotonic()
        self._pending: asyncio.Task[None] | None = None

    def update(self, text: str) -> None:
        now = time.monotonic()
        busy_edit = self._pending is not None and not self._pending.done()
        if self.message is None or now - self._last < self.every or busy_edit:
            return
        self._last = now
        self._pending = asyncio.create_task(self._edit(text))

    async def settle(self) -> None:
        """Wait for an edit in flight (before the final text replaces it)."""
        if self._pending is not None:
            with contextlib.suppress(Exception):
                await self._pending

    async def finish(self, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
        await self.settle()
        await self._edit(text, keyboard)

    async def _edit(self, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
        if self.message is None:
            return
        try:
            await self.message.edit_text(text, reply_markup=keyboard)
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                log.warning("progress edit failed: %s", exc.message)
