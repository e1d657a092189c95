"""A graceful stop on SIGTERM or SIGINT, the same in polling and webhook mode.

A rolling restart sends SIGTERM to one replica at a time. The replica then:

1. stops taking work: polling stops, the webhook server stops listening (the balancer sends
   to the others), the scheduler starts no new job (`on_stop` callbacks);
2. lets what runs finish (update handlers, scheduler jobs: sends, syncs) for up to `grace`
   seconds;
3. then sets `stopping`: alert sends stop before their next message and release the claims
   they did not send, so another replica's next sweep takes them (not after the stale
   window); what still runs gets `finish` more seconds for the message or query in flight,
   then is cancelled;
4. closes the pool and clients, and the process exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

log = logging.getLogger(__name__)


class Lifecycle:
    def __init__(self, grace: float = 20.0, *, finish: float = 5.0) -> None:
        self.grace = grace
        self.finish = finish
        self.stop_requested = asyncio.Event()
        """Set by the signal: stop taking new updates and jobs."""
        self.stopping = asyncio.Event()
        """Set when the grace time is over: running work stops before its next item."""
        self._tasks: set[asyncio.Task[Any]] = set()
        self._on_stop: list[Callable[[], object]] = []

    def install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop, sig)

    def request_stop(self, sig: signal.Signals | None = None) -> None:
        if not self.stop_requested.is_set():
            log.info("%s: stopping (grace %.0f s)", sig.name if sig else "stop", self.grace)
        self.stop_requested.set()

    def on_stop(self, callback: Callable[[], object]) -> None:
        """Called first thing in `drain` (pause the scheduler)."""
        self._on_stop.append(callback)

    def track(self, task: asyncio.Task[Any] | None = None) -> None:
        """Wait for this task (the current one by default) before the process exits."""
        task = task or asyncio.current_task()
        if task is None:
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def running(self) -> int:
        return sum(1 for t in self._tasks if not t.done())

    async def _wait(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        me = asyncio.current_task()
        while True:
            pending = {t for t in self._tasks if not t.done() and t is not me}
            left = deadline - loop.time()
            if not pending or left <= 0:
                return
            await asyncio.wait(pending, timeout=left, return_when=asyncio.FIRST_COMPLETED)

    async def drain(self) -> None:
        """Steps 1-3 above; returns when nothing tracked runs any more."""
        self.stop_requested.set()
        for callback in self._on_stop:
            callback()
        await asyncio.sleep(0)  # an update task created just now reaches its middleware
        if self.running:
            log.info("waiting up to %.0f s for %d running tasks", self.grace, self.running)
        await self._wait(self.grace)
        self.stopping.set()
        await self._wait(self.finish)
        left = [t for t in self._tasks if not t.done() and t is not asyncio.current_task()]
        if left:
            log.warning("cancelling %d tasks still running after the grace time", len(left))
            for task in left:
                task.cancel()
            await asyncio.wait(left, timeout=self.finish)


class TrackUpdates(BaseMiddleware):
    """Outer update middleware: each update's handling is waited for on stop."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self.lifecycle.track()
        return await handler(event, data)
