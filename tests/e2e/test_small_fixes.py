"""Issue 10, item 11: small defects found from the outside, each end to end."""

from __future__ import annotations

import pytest

from services import access
from services.members import create_invite, remove_manager
from tests.e2e.harness import BotEnv, add_store_until_token
from tests.e2e.test_products import product
from tests.e2e.test_reviews import seller as reviews_seller
from tests.support.stores import make_product, make_review, make_store


async def _approved(env: BotEnv, telegram_id: int, email: str) -> str:
    reg = await access.add_user(env.pool, email, telegram_id=telegram_id, approve=True)
    return reg.user.id


async def test_a_removed_manager_reopening_their_invite_is_told_the_truth(
    bot_env: BotEnv,
) -> None:
    owner_id = await _approved(bot_env, 601, "owner@example.com")
    store_id = await make_store(bot_env.pool, owner_id, "tok", name="Пледы")
    token = await create_invite(bot_env.pool, store_id, owner_id)
    manager_id = await _approved(bot_env, 602, "mgr@example.com")
    manager = bot_env.user(602)
    await manager.send(f"/start inv_{token}")
    await manager.wait_message("Теперь вы менеджер")
    await manager.send(f"/start inv_{token}")
    await manager.wait_message("уже менеджер")  # still one: the link again is no news

    assert await remove_manager(bot_env.pool, store_id, manager_id)
    await manager.send(f"/start inv_{token}")
    told = await manager.wait_message("убрал вас из менеджеров")
    assert "уже менеджер" not in told.text
    members = "SELECT count(*) FROM store_members WHERE store_id = $1"
    assert await bot_env.pool.fetchval(members, store_id) == 0


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("50%", ["DS-1 · Скидка 50% на плед"]),  # "%" was dropped: "50" matched both
        ("a_b", ["CUP-A · Кружка a_b"]),  # "_" was a wildcard: aXb matched too
        ("\\", ["PATH-1 · Путь C:\\pledy"]),  # "\" was a broken escape: nothing
        ("100001", ["DS-2 · Плед 50 на 70"]),  # the exact nmId still finds its product
    ],
)
async def test_product_search_takes_percent_underscore_and_backslash_literally(
    bot_env: BotEnv, typed: str, expected: list[str]
) -> None:
    owner_id = await _approved(bot_env, 601, "owner@example.com")
    store = await make_store(bot_env.pool, owner_id, "token", name="Пледы")
    for name, article, nm in [
        ("Скидка 50% на плед", "DS-1", "100000"),
        ("Плед 50 на 70", "DS-2", "100001"),
        ("Кружка a_b", "CUP-A", "100002"),
        ("Кружка aXb", "CUP-X", "100003"),
        ("Путь C:\\pledy", "PATH-1", "100004"),
    ]:
        await product(bot_env.pool, store, name, article, nm)
    seller = bot_env.user(601)
    await seller.send("/products")
    await seller.wait_message("Товары")
    await seller.press("Поиск")
    await seller.wait_message("артикул")
    await seller.send(typed)
    found = await seller.wait_message("Поиск:")
    shown = [label.split(" ", 1)[1] for label in found.labels if " · " in label]
    assert shown == expected


async def test_an_html_error_page_from_wb_is_told_in_words(bot_env: BotEnv) -> None:
    """WB (a proxy in front of it) answered a page of HTML: the seller read escaped markup."""
    owner_id = await _approved(bot_env, 601, "owner@example.com")
    seller = bot_env.user(601)
    await seller.send("/menu")
    await seller.wait_message("WB")
    await seller.press("Магазины")
    await seller.wait_message("Магазин")
    await add_store_until_token(seller)
    bot_env.wb.faults.html_pages = 1  # the token check's ping gets nginx's 401 page
    await seller.send(bot_env.wb.token())
    refused = await seller.wait_message("ничего не сохранено")
    assert "WB ответил HTTP 401: токен не принят" in refused.text
    assert "html" not in refused.text.lower() and "nginx" not in refused.text

    store_id = await make_store(bot_env.pool, owner_id, bot_env.wb.token(), name="Кружки")
    bot_env.wb.faults.html_pages = 1
    bot_env.wb.faults.html_status = 403
    await bot_env.services.sync.sync(store_id, "products")
    await seller.send("/menu")
    await seller.wait_message("WB")
    await seller.press("Магазины")
    await seller.wait_message("Магазин")
    await seller.press("Кружки")
    card = await seller.wait_message("Синхронизация")
    assert "WB ответил HTTP 403: доступ запрещён" in card.text
    assert "html" not in card.text.lower() and "nginx" not in card.text


async def test_the_list_counts_again_after_an_action_changed_it(bot_env: BotEnv) -> None:
    """The default filter holds reviews with no complaint or a draft: filing one takes it out,
    and the list the person goes back to says so ("Найдено 2" with 1 left, before)."""
    user, _, store = await reviews_seller(bot_env)
    product_id = await make_product(bot_env.pool, store)
    for i in range(2):
        await make_review(bot_env.pool, product_id, rating=1, text=f"Брак {i}")
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Отзывы")
    await user.wait_message("Найдено 2 отзыва")
    await user.press("1")
    await user.wait_message("📦")
    await user.press("Составить жалобу")
    await user.wait_message("Черновик жалобы готов")
    await user.press("Подал(а) в WB")
    await user.wait_message("жалоба подана")
    await user.press("⭐ Отзыв")
    await user.wait_message("📦")
    await user.press("« К списку")
    listing = await user.wait_message("Отзывы")
    assert "Найден 1 отзыв" in listing.text, listing.text


async def test_the_complaint_queue_counts_again_after_a_draft_is_filed(bot_env: BotEnv) -> None:
    user, _, store = await reviews_seller(bot_env)
    product_id = await make_product(bot_env.pool, store)
    for i in range(2):
        review_id = await make_review(bot_env.pool, product_id, rating=1, text=f"Брак {i}")
        await bot_env.services.complaints.draft(review_id)
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Жалобы")
    await user.wait_message("2 черновика ждут")
    await user.press("1")
    await user.wait_message("Жалоба · черновик")
    await user.press("Подал(а) в WB")
    await user.wait_message("жалоба подана")
    await user.press("« К очереди")
    queue = await user.wait_message("Жалобы")
    assert "1 черновик ждёт" in queue.text, queue.text


async def test_start_keeps_open_lists_working(bot_env: BotEnv) -> None:
    """/start leaves a form but keeps the lists, as /cancel does: an old "Далее" still pages."""
    user, _, store = await reviews_seller(bot_env)
    product_id = await make_product(bot_env.pool, store)
    for i in range(7):
        await make_review(bot_env.pool, product_id, rating=2, text=f"плохо {i}")
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Отзывы")
    listing = await user.wait_message("Найдено 7 отзывов")
    await user.send("/start")
    await user.wait_message("WB")
    pressed = await user.press("Далее »", message=listing)
    answer = await user.wait_answer(pressed)
    assert "устарел" not in (answer.text or "")
    second = await user.wait_message("Найдено 7 отзывов")
    assert second.message_id == listing.message_id and "стр. 2 из 2" in second.labels
