"""Forms that wait for text, end to end: a token never becomes form data, and any other action
(a button, a command) leaves the form, so a later message never lands on the wrong object."""

from __future__ import annotations

from bot.callbacks import MenuCb, MenuSection
from tests.e2e.harness import BotEnv, open_review
from tests.e2e.test_stores import approved, never_echoed, open_card, open_list, store_of
from tests.support.stores import make_product, make_review

OWNER_TG = 601


async def test_a_token_at_the_name_step_is_deleted_and_never_becomes_a_name(
    bot_env: BotEnv,
) -> None:
    seller, _ = await approved(bot_env, OWNER_TG, "forms@example.com")
    await open_list(seller)
    await seller.press("Добавить магазин")
    await seller.wait_message("Как назвать")
    token = bot_env.wb.token()
    sent = await seller.send(token)
    await seller.wait_message("Похоже, это токен")
    assert seller.message(sent.message_id).deleted
    never_echoed(seller, token)
    assert await bot_env.pool.fetchval("SELECT count(*) FROM stores") == 0
    # Still at the name step: the form goes on as usual.
    await seller.send("Пледы")
    await seller.wait_message("токен WB API")
    await seller.send(token)
    await seller.wait_message("добавлен")
    assert await bot_env.pool.fetchval("SELECT name FROM stores") == "Пледы"


async def test_a_token_inside_a_reply_draft_is_deleted_and_not_saved(bot_env: BotEnv) -> None:
    seller, owner_id = await approved(bot_env, OWNER_TG, "forms@example.com")
    store = await store_of(bot_env, owner_id)
    await bot_env.services.sync.sync_all(store, kinds=("products", "reviews"))
    review_id = await bot_env.pool.fetchval(
        """SELECT id FROM reviews WHERE store_id = $1 AND NOT has_answer AND rating <= 3
             AND is_product_active ORDER BY date DESC LIMIT 1""",
        store,
    )
    await open_review(seller, review_id)
    await seller.press("Ответ (ИИ)")
    await seller.wait_message("Черновик ответа")
    draft = await bot_env.pool.fetchval("SELECT draft_reply FROM reviews WHERE id = $1", review_id)
    await seller.press("✏️ Изменить")
    await seller.wait_message("Отправьте текст ответа")
    token = bot_env.wb.token()
    sent = await seller.send(f"Спасибо! Вот мой токен: {token} — проверьте")
    await seller.wait_message("Похоже, это токен")
    assert seller.message(sent.message_id).deleted
    never_echoed(seller, token)
    after = await bot_env.pool.fetchval("SELECT draft_reply FROM reviews WHERE id = $1", review_id)
    assert after == draft


async def test_a_token_from_someone_not_registered_is_deleted(bot_env: BotEnv) -> None:
    stranger = bot_env.user(777)
    token = bot_env.wb.token()
    sent = await stranger.send(token)
    told = await stranger.wait_message("Похоже, это токен")
    assert stranger.message(sent.message_id).deleted
    assert not told.labels  # no store buttons for someone without access
    never_echoed(stranger, token)


async def test_a_command_leaves_a_form_and_cancel_still_reports_it(bot_env: BotEnv) -> None:
    seller, _ = await approved(bot_env, OWNER_TG, "forms@example.com")
    await open_list(seller)
    await seller.press("Добавить магазин")
    await seller.wait_message("Как назвать")
    await seller.send("/help")
    await seller.wait_message("Как это работает")
    await seller.send("Пледы")
    await seller.wait_message("Не понимаю")
    assert await bot_env.pool.fetchval("SELECT count(*) FROM stores") == 0

    await open_list(seller)
    await seller.press("Добавить магазин")
    await seller.wait_message("Как назвать")
    await seller.send("/cancel")
    await seller.wait_message("Отменено")


async def test_a_button_leaves_a_form(bot_env: BotEnv) -> None:
    seller, owner_id = await approved(bot_env, OWNER_TG, "forms@example.com")
    await store_of(bot_env, owner_id, name="Пледы")
    await open_card(seller, "Пледы")
    await seller.press("✏️ Переименовать")
    prompt = await seller.wait_message("Новое название")
    # Help is a button that opens no form of its own and leaves the state alone.
    await seller.press_data(MenuCb(section=MenuSection.HELP).pack(), prompt)
    await seller.wait_message("Как это работает")
    await seller.send("Подушки")
    await seller.wait_message("Не понимаю")
    assert await bot_env.pool.fetchval("SELECT name FROM stores") == "Пледы"


async def test_a_finished_form_keeps_the_open_lists(bot_env: BotEnv) -> None:
    seller, owner_id = await approved(bot_env, OWNER_TG, "forms@example.com")
    store = await store_of(bot_env, owner_id, name="Пледы")
    product = await make_product(bot_env.pool, store)
    for i in range(7):
        await make_review(bot_env.pool, product, rating=1, text=f"плохо {i}")
    await seller.send("/menu")
    await seller.wait_message("WB")
    await seller.press("Отзывы")
    listing = await seller.wait_message("Найдено 7 отзывов")
    await open_card(seller, "Пледы")
    await seller.press("✏️ Переименовать")
    await seller.wait_message("Новое название")
    await seller.send("Подушки")
    await seller.wait_message("переименован")
    await seller.press("Далее »", message=listing)
    page = await seller.wait_message("Отзывы · Подушки")
    assert "стр. 2 из 2" in page.labels


async def test_cancel_keeps_the_open_lists(bot_env: BotEnv) -> None:
    seller, owner_id = await approved(bot_env, OWNER_TG, "forms@example.com")
    store = await store_of(bot_env, owner_id, name="Пледы")
    product = await make_product(bot_env.pool, store)
    for i in range(7):
        await make_review(bot_env.pool, product, rating=1, text=f"плохо {i}")
    await seller.send("/menu")
    await seller.wait_message("WB")
    await seller.press("Отзывы")
    listing = await seller.wait_message("Найдено 7 отзывов")
    await seller.send("/cancel")
    await seller.wait_message("Нечего отменять")
    await seller.press("Далее »", message=listing)
    page = await seller.wait_message("Отзывы · Пледы")
    assert "стр. 2 из 2" in page.labels


async def test_typed_text_with_nul_gets_a_clear_message_and_the_form_waits(
    bot_env: BotEnv,
) -> None:
    """Issue 10, item 3: a NUL in typed text ended in "something went wrong"."""
    seller, owner_id = await approved(bot_env, OWNER_TG, "forms@example.com")
    store = await store_of(bot_env, owner_id)
    await open_card(seller, "Пледы")
    await seller.press("Переименовать")
    await seller.wait_message("Новое название")
    await seller.send("Пледы\x00 и\x07 ко")
    refused = await seller.wait_message("управляющие символы")
    assert "Что-то пошло не так" not in refused.text
    assert await bot_env.pool.fetchval("SELECT name FROM stores WHERE id = $1", store) == "Пледы"
    await seller.send("Пледы и ко")  # still at the rename step
    await seller.wait_message("переименован")
    assert (
        await bot_env.pool.fetchval("SELECT name FROM stores WHERE id = $1", store) == "Пледы и ко"
    )
    # A multi-line text with tabs is ordinary text.
    await seller.send("/menu")
    await seller.wait_message("WB")
    assert not [m for m in seller.messages if "Что-то пошло не так" in m.text]


async def test_button_data_with_nul_is_refused_clearly(bot_env: BotEnv) -> None:
    seller, owner_id = await approved(bot_env, OWNER_TG, "forms@example.com")
    store = await store_of(bot_env, owner_id)
    menu = await seller.send("/menu")
    await seller.wait_message("WB")
    for data in ("rv:o:\x00\x01", "menu:stores\x7f", f"st:open:{store}\x00"):
        query = await seller.press_data(data, menu.id + 1)
        alert = await seller.wait_answer(query)
        assert alert.show_alert and "недопустимые символы" in (alert.text or ""), alert
    assert not [m for m in seller.messages if "Что-то пошло не так" in m.text]
