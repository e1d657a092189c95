"""`wbrep run` runs on uvloop where it is installed (bot/cli.py `fast_loop`)."""

from __future__ import annotations

import asyncio

import uvloop

from bot.cli import _run, fast_loop


def test_the_bot_runs_on_uvloop() -> None:
    factory = fast_loop()
    assert factory is not None

    async def which() -> type[asyncio.AbstractEventLoop]:
        return type(asyncio.get_running_loop())

    assert issubclass(_run(which, loop_factory=factory), uvloop.Loop)
    assert not issubclass(_run(which), uvloop.Loop)  # one-shot commands: asyncio's loop
