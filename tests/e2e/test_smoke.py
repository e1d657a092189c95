"""The bot runs end to end: polling, commands, the menu for approved users, the gate."""

from __future__ import annotations

import pytest

from bot.routers import menu as menu_router
from tests.e2e.harness import BotEnv


async def test_unknown_person_is_sent_to_registration(bot_env: BotEnv) -> None:
    stranger = bot_env.user(777)
    await stranger.send("привет")
    msg = await stranger.wait_message()
    assert "/start" in msg.text


async def test_commands_are_registered_in_both_languages(bot_env: BotEnv) -> None:
    ru = bot_env.tg.commands(language_code="ru")
    en = bot_env.tg.commands(language_code="en")
    assert ru and en and [c for c, _ in ru] == [c for c, _ in en]
    assert {"start", "products", "settings", "help", "cancel"} <= {c for c, _ in ru}
    admin = bot_env.tg.commands(scope={"type": "chat", "chat_id": 1000})
    assert admin is not None and {"pending", "users"} <= {c for c, _ in admin}


async def test_approved_user_opens_menu(bot_env: BotEnv) -> None:
    from services.access import add_user

    await add_user(bot_env.pool, "seller@example.com", telegram_id=501, approve=True)
    seller = bot_env.user(501)
    await seller.send("/menu")
    msg = await seller.wait_message("WB")
    assert "Магазины" in " ".join(msg.labels) and "Товары" in " ".join(msg.labels)
    await seller.press("Помощь")
    assert "Как это работает" in (await seller.wait_message("работает")).text


async def test_an_unexpected_error_still_answers_the_button(
    bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.access import add_user

    await add_user(bot_env.pool, "err@example.com", telegram_id=502, approve=True)
    seller = bot_env.user(502)
    await seller.send("/menu")
    await seller.wait_message("WB")

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(menu_router, "show", broken)
    query = await seller.press("Помощь")
    answer = await seller.wait_answer(query)
    assert answer.show_alert and "не так" in (answer.text or "")
