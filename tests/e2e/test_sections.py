"""Store-scoped sections with several stores: the picker, then the chosen store's screen."""

from __future__ import annotations

import pytest

from bot.callbacks import ListCb, PickStoreCb
from services.access import add_user
from tests.e2e.harness import BotEnv
from tests.e2e.test_reviews import seller as reviews_seller
from tests.support.stores import make_product, make_review, make_store, make_user


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


async def test_forged_store_picks_and_pages_after_access_is_lost_are_refused(
    bot_env: BotEnv,
) -> None:
    """The store list of reviews and of the complaint queue checks the store on every press."""
    user, _, store = await reviews_seller(bot_env)
    other = await make_user(bot_env.pool)
    other_store = await make_store(bot_env.pool, other, "other-token", name="Чужой")
    product = await make_product(bot_env.pool, store)
    await make_review(bot_env.pool, product, rating=1, text="плохо")
    await user.send("/menu")
    menu = await user.wait_message("WB")
    for section in ("rv", "cq"):
        pressed = await user.press_data(
            PickStoreCb(section=section, store_id=other_store).pack(), menu.id
        )
        refused = await user.wait_answer(pressed)
        assert refused.show_alert and "недоступна" in (refused.text or ""), section
    await user.press("Отзывы")
    listing = await user.wait_message("Найден 1 отзыв")
    view = ListCb.unpack(
        next(data for row in listing.buttons for _, data in row if data.startswith("ls:"))
    ).view
    async with bot_env.changing_access():
        await bot_env.pool.execute("UPDATE stores SET owner_id = $1 WHERE id = $2", other, store)
    pressed = await user.press_data(ListCb(view=view, go="c").pack(), listing.id)
    refused = await user.wait_answer(pressed)
    assert refused.show_alert and "недоступна" in (refused.text or "")
