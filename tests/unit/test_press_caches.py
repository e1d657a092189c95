"""What a press no longer rebuilds (issue 17): the Bot API's response classes survive a full
garbage collection, and remembered texts are the texts Fluent formats."""

from __future__ import annotations

import gc
import weakref

from aiogram import Bot
from aiogram.methods import GetMe, Response
from aiogram.types import User

from bot.i18n import create_core, new_core
from bot.session import BotSession

ME = '{"ok": true, "result": {"id": 1, "is_bot": true, "first_name": "B"}}'


async def test_response_class_outlives_a_full_collection() -> None:
    session = BotSession()
    bot = Bot("1:x", session=session)
    try:
        first = session.check_response(bot, GetMe(), 200, ME)
        kind = weakref.ref(type(first))
        del first
        gc.collect()
        assert kind() is not None  # still alive, so pydantic's weak cache still has it
        assert Response[User] is kind()  # nothing rebuilt
        again = session.check_response(bot, GetMe(), 200, ME).result
        assert again is not None and again.id == 1
    finally:
        await session.close()


def test_remembered_texts_equal_fresh_ones() -> None:
    core, fresh = create_core(), new_core()
    cases: list[tuple[str, dict[str, object]]] = [
        ("btn-menu", {}),
        ("rv-page", {"page": 1, "pages": 3}),
        ("rv-page", {"page": 2, "pages": 3}),
        ("rv-list-found", {"count": 1}),
        ("rv-list-found", {"count": 12345}),
        ("rv-list-found", {"count": 2}),
    ]
    for language in ("ru", "en"):
        for _ in range(2):  # the second time from memory
            for key, args in cases:
                assert core.get(key, language, **args) == fresh.get(key, language, **args)
    assert core.get("rv-page", "ru", page=1, pages=3) != core.get("rv-page", "en", page=1, pages=3)
