"""A connection of its own that LISTENs on one channel, for as long as the process runs.

Not a pooled connection: it is held for ever. While it is up, `on_live(True)` has been
called and every notification on the channel calls `on_change()`; when it ends (the server
restarted, the backend was terminated, a ping got no answer) `on_live(False)` is called at
once and it connects again with a growing pause. A caller that trusts what it read only
while a change cannot go unnoticed (services/access_cache.py) keys that trust on `on_live`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

log = logging.getLogger(__name__)

ACCESS_CHANNEL = "wbrep_access"
"""Notified by migration 0034's triggers after a statement changes who may act."""

PING_SECONDS = 10.0
"""How often the connection is asked whether it is still there: a connection cut without a
word (a network partition) is noticed within this and `PING_TIMEOUT`."""
PING_TIMEOUT = 5.0
CONNECT_TIMEOUT = 10.0
RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class ChannelWatch:
    def __init__(
        self,
        dsn: str,
        channel: str,
        *,
        on_change: Callable[[], None],
        on_live: Callable[[bool], None],
        application_name: str = "wbrep-listen",
        ping_seconds: float = PING_SECONDS,
    ) -> None:
        self._dsn = dsn
        self._channel = channel
        self._on_change = on_change
        self._on_live = on_live
        self._application_name = application_name[:63]
        self._ping_seconds = ping_seconds
        self.connections = 0
        """How many times the watch has connected."""
        self.up = asyncio.Event()
        """Set while the channel is heard."""

    async def run(self) -> None:
        """Watch until cancelled."""
        failures = 0
        while True:
            connections = self.connections
            try:
                await self._watch_once()
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("listening on %s failed: %s", self._channel, type(exc).__name__)
            except Exception:  # anything else: logged, and the watch goes on
                log.exception("listening on %s failed", self._channel)
            if self.connections != connections:
                failures = 0  # it was up: the next attempt starts quickly again
            pause = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
            failures += 1
            await asyncio.sleep(pause)

    async def _watch_once(self) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(
            self._dsn,
            timeout=CONNECT_TIMEOUT,
            server_settings={"application_name": self._application_name},
        )
        lost = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(self._channel, self._notified)
            self.connections += 1
            self._on_live(True)
            self.up.set()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self._ping_seconds)
                if not lost.is_set():
                    await conn.execute("SELECT 1", timeout=PING_TIMEOUT)
            log.warning("the connection listening on %s ended", self._channel)
        finally:
            self.up.clear()
            self._on_live(False)
            conn.terminate()  # nothing to finish on it; a graceful close could wait on a dead peer

    def _notified(self, _conn: Any, _pid: int, _channel: str, _payload: object) -> None:
        self._on_change()
