"""`wbrep run` runs the bot on uvloop where it is installed (bot/cli.py `fast_loop`); the
operator's one-shot commands keep asyncio's loop."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvloop

import bot.app
from bot import cli


def test_wbrep_run_runs_the_bot_on_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    loops: list[type[asyncio.AbstractEventLoop]] = []

    async def run_bot(settings: Any) -> None:
        loops.append(type(asyncio.get_running_loop()))

    monkeypatch.setattr(bot.app, "run_bot", run_bot)
    monkeypatch.setattr(cli, "_settings", lambda: object())
    cli.run()
    assert len(loops) == 1 and issubclass(loops[0], uvloop.Loop)


def test_one_shot_commands_keep_asyncios_loop() -> None:
    async def which() -> type[asyncio.AbstractEventLoop]:
        return type(asyncio.get_running_loop())

    assert not issubclass(cli._run(which), uvloop.Loop)
