"""Wake-ups for waits on the fake's state: a wait re-checks its condition after each one."""

from __future__ import annotations

import asyncio


class Signal:
    """Futures woken together by `notify`.

    The server has one for every change; each user has one for changes to their own chat, so
    a wait for one person's message is not woken by the other people's (in the press
    benchmark, 50 waits re-checked on every change were a sixth of the fake's CPU)."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait(self, timeout: float) -> None:
        """Until the next `notify`, or `timeout` seconds."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(waiter)
