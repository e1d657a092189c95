"""Navigation a seller does not have to think about: the store card leads straight to that
store's reviews, complaint queue and products (no store picker in between)."""

from __future__ import annotations

from services.access import add_user
from services.wb.tokens import BOT_CATEGORIES
from tests.e2e.harness import BotEnv, add_store_until_token
from tests.fakes.telegram import FakeUser
from tests.fakes.telegram.models import ChatMessage
from tests.support.stores import make_product, make_review, make_store


async def open_card(user: FakeUser, name: str) -> ChatMessage:
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Магазины")
    await user.wait_message("Магазин")
    await user.press(name)
    return await user.wait_message("Синхронизация")


async def test_the_store_card_opens_that_stores_reviews_queue_and_products(
    bot_env: BotEnv,
) -> None:
    reg = await add_user(bot_env.pool, "two@example.com", telegram_id=501, approve=True)
    user = bot_env.user(501)
    for name in ("Пледы", "Шторы"):  # two stores: the sections' own entry asks which one
        store = await make_store(bot_env.pool, reg.user.id, bot_env.wb.token(), name=name)
        product = await make_product(bot_env.pool, store)
        await make_review(bot_env.pool, product, rating=1, text=f"плохо {name}")

    card = await open_card(user, "Шторы")
    assert {"⭐ Отзывы", "📝 Жалобы", "📦 Товары"} <= set(card.labels)
    await user.press("Отзывы")
    reviews = await user.wait_message("Отзывы · Шторы")
    assert "плохо Шторы" in reviews.text and "плохо Пледы" not in reviews.text

    await open_card(user, "Шторы")
    await user.press("Жалобы")
    queue = await user.wait_message("Жалобы · Шторы")
    assert "Выберите магазин" not in queue.text

    await open_card(user, "Шторы")
    await user.press("Товары")
    await user.wait_message("Товары · Шторы")
    await user.wait_answer()  # answered after the handler returned (CallbackAnswerMiddleware)
    assert not user.unanswered_queries


async def test_a_prompt_for_text_says_how_to_cancel_and_has_a_cancel_button(
    bot_env: BotEnv,
) -> None:
    reg = await add_user(bot_env.pool, "p@example.com", telegram_id=502, approve=True)
    user = bot_env.user(502)
    store = await make_store(bot_env.pool, reg.user.id, bot_env.wb.token(), name="Пледы")
    await make_product(bot_env.pool, store)
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Товары")
    await user.wait_message("Товары · Пледы")
    await user.press("Поиск")
    prompt = await user.wait_message("nmId")
    assert "/cancel" in prompt.text and "✖ Отмена" in prompt.labels
    await user.press("Отмена")
    await user.wait_message("WB Репутация")
    await user.send("плед")  # the form was left: text is not taken as a search any more
    reply = await user.wait_message()
    assert "Поиск" not in reply.text


async def test_a_complaint_card_goes_back_where_it_was_opened_from(bot_env: BotEnv) -> None:
    reg = await add_user(bot_env.pool, "c@example.com", telegram_id=503, approve=True)
    user = bot_env.user(503)
    store = await make_store(bot_env.pool, reg.user.id, bot_env.wb.token(), name="Пледы")
    product = await make_product(bot_env.pool, store)
    await make_review(bot_env.pool, product, rating=1, text="Пришёл брак, ужас")
    # The queue first, so a queue list exists for the person.
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Жалобы")
    await user.wait_message("Черновиков нет")
    # From a review: the complaint card goes back to that review (and from there its list).
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Отзывы")
    await user.wait_message("Найден 1 отзыв")
    await user.press("1")
    await user.wait_message("📦")
    await user.press("Составить жалобу")
    card = await user.wait_message("Черновик жалобы готов")
    assert "⭐ Отзыв" in card.labels and "« К очереди" not in card.labels
    await user.press("🔄 Заново")  # an action redraws the card: still the review's way back
    again = await user.wait_message("Новый вариант готов")
    assert "« К очереди" not in again.labels
    await user.press("⭐ Отзыв")
    review = await user.wait_message("📦")
    assert "« К списку" in " ".join(review.labels) or "К отзывам" in " ".join(review.labels)
    # From the queue: the card goes back to the queue.
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Жалобы")
    await user.wait_message("1 черновик")
    await user.press("1")
    queued = await user.wait_message("Жалоба · черновик")
    assert "« К очереди" in queued.labels
    await user.press("« К очереди")
    await user.wait_message("1 черновик")


async def test_help_at_a_text_step_is_answered_as_a_command(bot_env: BotEnv) -> None:
    await add_user(bot_env.pool, "h@example.com", telegram_id=504, approve=True)
    user = bot_env.user(504)
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Магазины")
    await user.wait_message("Магазин")
    await add_store_until_token(user, button="Добавить")
    await user.send("/help")  # at the token step: help, not a bad token
    await user.wait_message("Как это работает")


async def test_a_cut_text_counts_characters_as_telegram_does(bot_env: BotEnv) -> None:
    """A review full of `<` and `&`: each is one character on the screen (four or five in the
    escaped HTML), so a text that fits the card is shown whole, not cut to a quarter."""
    reg = await add_user(bot_env.pool, "x@example.com", telegram_id=505, approve=True)
    user = bot_env.user(505)
    store = await make_store(bot_env.pool, reg.user.id, bot_env.wb.token(), name="Пледы")
    product = await make_product(bot_env.pool, store)
    text = "a<b & c> " * 300  # 2700 characters as shown, about 5700 escaped
    await make_review(bot_env.pool, product, rating=1, text=text)
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Отзывы")
    await user.wait_message("Найден 1 отзыв")
    await user.press("1")
    card = await user.wait_message("📦")
    assert text.strip() in card.text


PORTAL_NAMES = {
    "feedbacks": "«Вопросы и отзывы»",
    "chat": "«Чат с покупателями»",
    "content": "«Контент»",
}


async def test_the_token_help_names_the_categories_the_check_wants(bot_env: BotEnv) -> None:
    """/help and the token step name every category `services/wb/tokens.py` checks for."""
    assert set(PORTAL_NAMES) == BOT_CATEGORIES
    await add_user(bot_env.pool, "t@example.com", telegram_id=506, approve=True)
    user = bot_env.user(506)
    await user.send("/help")
    help_text = await user.wait_message("Как это работает")
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Магазины")
    await user.wait_message("Магазин")
    prompt = await add_store_until_token(user, button="Добавить")
    for name in PORTAL_NAMES.values():
        assert name in help_text.text and name in prompt.text


async def test_the_product_filter_pages_through_all_products_and_searches(
    bot_env: BotEnv,
) -> None:
    reg = await add_user(bot_env.pool, "f@example.com", telegram_id=507, approve=True)
    user = bot_env.user(507)
    store = await make_store(bot_env.pool, reg.user.id, bot_env.wb.token(), name="Пледы")
    for n in range(1, 12):  # eleven with one bad review each, then one with none: 12 > 8
        product = await make_product(bot_env.pool, store)
        await bot_env.pool.execute(
            "UPDATE products SET name = $2, vendor_code = $3 WHERE id = $1",
            product,
            f"Товар {n:02d}",
            f"A-{n:02d}",
        )
        await make_review(bot_env.pool, product, rating=1, text=f"отзыв {n:02d}")
    quiet = await make_product(bot_env.pool, store)
    await bot_env.pool.execute(
        "UPDATE products SET name = 'Шторы блэкаут', vendor_code = 'SH-1' WHERE id = $1", quiet
    )
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Отзывы")
    await user.wait_message("Найдено 11")
    await user.press("Фильтр")
    await user.wait_message("Фильтр")
    await user.press("Товар")
    first = await user.wait_message("Выберите товар")
    assert "Товар 08 · A-08 (1)" in first.labels and "Товар 09 · A-09 (1)" not in first.labels
    await user.press("Далее")
    second = await user.wait_message("Выберите товар")
    assert "Шторы блэкаут · SH-1 (0)" in second.labels  # the last product is reachable
    await user.press("Товар 10")
    listing = await user.wait_message("Найден 1 отзыв")
    assert "отзыв 10" in listing.text and "отзыв 09" not in listing.text
    await user.press("Фильтр")
    await user.wait_message("Фильтр")
    await user.press("Товар")
    await user.wait_message("Выберите товар")
    await user.press("Поиск")
    await user.wait_message("nmId")
    await user.send("блэкаут")
    found = await user.wait_message("блэкаут")
    names = [label for label in found.labels if "·" in label]
    assert names == ["Шторы блэкаут · SH-1 (0)"]
