"""No filter of the bot runs in a worker thread (issue 17).

aiogram runs a filter that is not a coroutine (a magic filter such as `F.text`, a bare
`State`) through `asyncio.to_thread`: a thread hand-off on every update it is checked for.
Every filter of the routers and of the Dispatcher must be a coroutine (`bot.routing.inline`,
`bot.filters.Private`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import asyncpg
from aiogram import Dispatcher, Router
from aiogram.dispatcher.event.handler import FilterObject

from bot.app import create_dispatcher
from bot.context import build_services
from bot.routers import setup_routers
from services.settings import Settings


def _filters(router: Router) -> Iterator[tuple[str, FilterObject]]:
    for sub in router.chain_tail:
        for kind, observer in sub.observers.items():
            where = f"{sub.name}.{kind}"
            for f in observer._handler.filters or []:
                yield where, f
            for handler in observer.handlers:
                for f in handler.filters or []:
                    yield f"{where} {handler.callback.__name__}", f


def _threaded(router: Router) -> list[str]:
    return [f"{where}: {f.callback!r}" for where, f in _filters(router) if not f.awaitable]


def test_router_filters_are_coroutines() -> None:
    assert _threaded(setup_routers()) == []


async def test_dispatcher_filters_are_coroutines() -> None:
    settings = Settings(bot_token="1:x", scheduler_enabled=False)
    services = build_services(settings, cast(asyncpg.Pool, None))  # no query is made
    try:
        dp: Dispatcher = create_dispatcher(services)
        assert _threaded(dp) == []
    finally:
        await services.aclose()
