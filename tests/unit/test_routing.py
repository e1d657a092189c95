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


async def test_prefix_gate_passes_its_prefixes_only() -> None:
    from aiogram.types import CallbackQuery, User

    from bot.routing import Prefixes

    gate = Prefixes(frozenset({("m", ":"), ("rv", ":")}))

    def press(data: str) -> CallbackQuery:
        user = User(id=1, is_bot=False, first_name="P")
        return CallbackQuery(id="1", from_user=user, chat_instance="1", data=data)

    assert await gate(press("m:home"))
    assert await gate(press("rv:o:r1"))
    for data in ("mx:home", "m", "rvp:1", "", "x:m:rv"):
        assert not await gate(press(data)), data


def test_every_gated_handler_is_behind_its_routers_gate() -> None:
    """A router's prefix gate lets through every press one of its handlers takes."""
    from aiogram.filters.callback_data import CallbackQueryFilter
    from aiogram.filters.logic import _OrFilter

    from bot.routing import Prefixes

    gated = 0
    for router in setup_routers().sub_routers:
        gates = [
            f.callback
            for f in router.callback_query._handler.filters or []
            if isinstance(f.callback, Prefixes)
        ]
        if not gates:
            continue
        gated += 1
        for handler in router.callback_query.handlers:
            found = []
            for f in handler.filters or []:
                checks = f.callback.targets if isinstance(f.callback, _OrFilter) else [f]
                found += [c.callback for c in checks if isinstance(c.callback, CallbackQueryFilter)]
            assert found, f"{router.name}.{handler.callback.__name__} has no CallbackData filter"
            for cb in found:
                mark = (cb.callback_data.__prefix__, cb.callback_data.__separator__)
                assert mark in gates[0].marks, (router.name, mark)
    assert gated >= 10


async def test_feature_routes_enter_only_the_routers_a_press_may_reach() -> None:
    """The root skips a gated router that refuses the press; the same press through a plain
    root Router reaches the same handler."""
    from aiogram import Bot, Router
    from aiogram.filters.callback_data import CallbackData
    from aiogram.types import CallbackQuery, Update, User

    from bot.routing import FeatureRoutes, Handlers

    class ACb(CallbackData, prefix="a"):
        n: int

    class BCb(CallbackData, prefix="b"):
        n: int

    def build(root: Router) -> tuple[Dispatcher, list[str], list[str]]:
        taken: list[str] = []
        entered: list[str] = []
        for name, cb in (("a", ACb), ("b", BCb)):
            handlers = Handlers(name)

            @handlers.callback_query(cb.filter())
            async def take(query: CallbackQuery, name: str = name) -> None:
                taken.append(name)

            router = handlers.build()
            original = router.propagate_event

            async def spy(*args: object, name: str = name, original=original, **kw: object):  # type: ignore[no-untyped-def]
                entered.append(name)
                return await original(*args, **kw)

            router.propagate_event = spy  # type: ignore[method-assign]
            root.include_router(router)
        ungated = Router(name="any")

        @ungated.callback_query()
        async def anything(query: CallbackQuery) -> None:
            taken.append("any")

        root.include_router(ungated)
        dp = Dispatcher()
        dp.include_router(root)
        return dp, taken, entered

    bot = Bot("1:x")
    user = User(id=1, is_bot=False, first_name="P")

    def press(data: str) -> Update:
        query = CallbackQuery(id="1", from_user=user, chat_instance="1", data=data)
        return Update(update_id=1, callback_query=query)

    for root, entered_b in ((FeatureRoutes(), ["b"]), (Router(), ["a", "b"])):
        dp, taken, entered = build(root)
        await dp.feed_update(bot, press(BCb(n=2).pack()))
        await dp.feed_update(bot, press("zz:1"))
        assert taken == ["b", "any"]
        assert entered[: len(entered_b)] == entered_b
        assert entered[len(entered_b) :] == ([] if isinstance(root, FeatureRoutes) else ["a", "b"])
    await bot.session.close()


async def test_button_filter_matches_as_aiograms_and_parses_a_press_once() -> None:
    from aiogram import F
    from aiogram.filters.callback_data import CallbackData
    from aiogram.types import CallbackQuery, User

    from bot.routing import ButtonFilter, inline

    parses: list[str] = []

    class RCb(CallbackData, prefix="r"):
        action: str
        n: int

        @classmethod
        def unpack(cls, value: str) -> RCb:
            parses.append(value)
            return super().unpack(value)

    def press(data: str, query_id: str = "1") -> CallbackQuery:
        user = User(id=1, is_bot=False, first_name="P")
        return CallbackQuery(id=query_id, from_user=user, chat_instance="1", data=data)

    opened, drafted = RCb.filter(F.action == "open"), RCb.filter(F.action == "draft")
    ours = [inline(opened), inline(drafted)]
    assert all(isinstance(f, ButtonFilter) for f in ours)
    cases = ["r:open:1", "r:draft:2", "r:open:x", "r:open", "rx:open:1", "q:open:1", ""]
    for i, data in enumerate(cases):
        for aiograms, mine in zip((opened, drafted), ours, strict=True):
            expected = await aiograms(press(data, f"a{i}"))
            assert await mine(press(data, f"b{i}")) == expected, data
    parses.clear()
    one = press("r:draft:7", "c1")
    assert await ours[0](one) is False
    found = await ours[1](one)
    assert found and found["callback_data"] == RCb(action="draft", n=7)
    assert parses == ["r:draft:7"]  # tried on two handlers, parsed once
    await ours[0](press("q:x:1", "c2"))  # another prefix: not parsed at all
    assert parses == ["r:draft:7"]
