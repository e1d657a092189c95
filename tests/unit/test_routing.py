"""Routers are built by factories: each Dispatcher gets fresh feature routers, so a second
one in the same process (tests, a restart in place) needs no reset of aiogram's state."""

from __future__ import annotations

from aiogram import Dispatcher

from bot.routers import setup_routers


def handler_count(router: object) -> int:
    from aiogram import Router

    assert isinstance(router, Router)
    own = len(router.message.handlers) + len(router.callback_query.handlers)
    return own + sum(handler_count(child) for child in router.sub_routers)


def test_two_dispatchers_each_get_their_own_routers() -> None:
    first, second = Dispatcher(), Dispatcher()
    first.include_router(setup_routers())
    second.include_router(setup_routers())
    one, two = first.sub_routers[0], second.sub_routers[0]
    assert {id(r) for r in one.sub_routers}.isdisjoint({id(r) for r in two.sub_routers})
    assert handler_count(one) == handler_count(two) > 50
    assert [r.name for r in one.sub_routers] == [r.name for r in two.sub_routers]
