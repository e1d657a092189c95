"""A clock for code that takes `clock` and `sleep` (the rate limiters, the pacer): no test
waits for real."""

from __future__ import annotations


class FakeTime:
    """A clock that moves only when someone sleeps (or the test says so)."""

    def __init__(self, *, start: float = 1000.0, advance_on_sleep: bool = True) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self.advance_on_sleep = advance_on_sleep

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.advance_on_sleep:
            self.now += seconds
