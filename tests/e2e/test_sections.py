"""Store-scoped sections with several stores: the picker, then the chosen store's screen."""

from __future__ import annotations

import pytest

from services.access import add_user
from tests.e2e.harness import BotEnv
from tests.support.stores import make_store


@pytest.mark.parametrize(
    ("button", "opened"),
    [("Отзывы", "⭐ Отзывы"), ("Жалобы", "Жалобы"), ("Товары", "Товары")],
)
async def test_several_stores_get_a_picker(bot_env: BotEnv, button: str, opened: str) -> None:
    reg = await add_user(bot_env.pool, "two@example.com", telegram_id=601, approve=True)
    await make_store(bot_env.pool, reg.user.id, "t1", name="Пледы <1>")
    await make_store(bot_env.pool, reg.user.id, "t2", name="Чашки & Ко")
    user = bot_env.user(601)
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press(button)
    picker = await user.wait_message()
    assert "Пледы <1>" in picker.labels and "Чашки & Ко" in picker.labels
    await user.press("Чашки & Ко")
    screen = await user.wait_message(opened)
    assert "Чашки & Ко" in screen.text


async def test_no_stores_says_so(bot_env: BotEnv) -> None:
    await add_user(bot_env.pool, "none@example.com", telegram_id=602, approve=True)
    user = bot_env.user(602)
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Отзывы")
    msg = await user.wait_message()
    assert "магазин" in msg.text.lower()
