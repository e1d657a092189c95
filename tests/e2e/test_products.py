"""Products and their rules end to end: list, search, paging, the card's toggles and choices,
"apply defaults", bulk actions, and refusal of another store's product."""

from __future__ import annotations

import uuid

import asyncpg

from bot.callbacks import ProductAction, ProductCb
from services.access import add_user
from tests.e2e.harness import BotEnv
from tests.fakes.telegram import FakeUser
from tests.support.stores import make_store, make_user

OWNER_TG = 601


async def product(pool: asyncpg.Pool, store_id: str, name: str, article: str, nm: str) -> str:
    pid = str(uuid.uuid4())
    await pool.execute(
        """INSERT INTO products (id, store_id, owner_id, name, wb_product_id, vendor_code)
           SELECT $1, $2, owner_id, $3, $4, $5 FROM stores WHERE id = $2""",
        pid,
        store_id,
        name,
        nm,
        article,
    )
    return pid


async def seller_with_products(env: BotEnv, count: int = 3) -> tuple[FakeUser, str, list[str]]:
    reg = await add_user(env.pool, "owner@example.com", telegram_id=OWNER_TG, approve=True)
    store = await make_store(env.pool, reg.user.id, "token", name="Пледы")
    ids = [
        await product(env.pool, store, f"Плед {i:02d}", f"PL-{i:02d}", str(100000 + i))
        for i in range(count)
    ]
    return env.user(OWNER_TG), store, ids


async def rules(pool: asyncpg.Pool, product_id: str) -> asyncpg.Record | None:
    return await pool.fetchrow("SELECT * FROM product_rules WHERE product_id = $1", product_id)


async def test_card_toggles_create_rules_and_defaults_apply(bot_env: BotEnv) -> None:
    seller, _, ids = await seller_with_products(bot_env)
    await seller.send("/products")
    listing = await seller.wait_message("Товары")
    assert "PL-00" in " ".join(listing.labels)
    await seller.press("PL-01")
    card = await seller.wait_message("Плед 01")
    assert "Правила не заданы" in card.text and "nm 100001" in card.text
    assert await rules(bot_env.pool, ids[1]) is None

    await seller.press("Подавать жалобы")
    await seller.wait_message("Жалобы: вкл")
    row = await rules(bot_env.pool, ids[1])
    assert row is not None and row["submit_complaints"] and not row["complaint_rating_1"]
    await seller.press("2★ ▫️")
    await seller.wait_message("2★")
    await seller.press("удаление")
    await seller.wait_message("стратегия: удаление")
    await seller.press("Предлагать компенсацию")
    await seller.wait_message("Компенсация: вкл")
    await seller.press("кешбэк")
    await seller.press("30%")
    await seller.wait_message("до 30%")
    await seller.press("пауза")
    await seller.wait_message("Работа: пауза")
    await seller.press("Товар активен")
    await seller.wait_message("товар неактивен")
    row = await rules(bot_env.pool, ids[1])
    assert row is not None
    assert (row["complaint_rating_2"], row["chat_strategy"]) == (True, "delete")
    assert (row["offer_compensation"], row["compensation_type"], row["max_compensation"]) == (
        True,
        "кешбэк",
        "30%",
    )
    p = await bot_env.pool.fetchrow(
        "SELECT work_status, is_active FROM products WHERE id = $1", ids[1]
    )
    assert p is not None and (p["work_status"], p["is_active"]) == ("paused", False)

    await seller.press("Применить по умолчанию")
    await seller.wait_message("Работа: работаем")
    row = await rules(bot_env.pool, ids[1])
    assert row is not None
    assert [row[f"complaint_rating_{n}"] for n in range(1, 5)] == [True, True, True, False]
    assert [row[f"chat_rating_{n}"] for n in range(1, 5)] == [True] * 4
    assert row["chat_strategy"] == "both" and row["compensation_type"] == "кешбэк"


async def test_search_paging_and_bulk_defaults(bot_env: BotEnv) -> None:
    seller, _, ids = await seller_with_products(bot_env, count=11)
    await seller.send("/products")
    first = await seller.wait_message("Товары")
    assert "PL-00" in " ".join(first.labels) and "PL-08" not in " ".join(first.labels)
    await seller.press("Далее")
    second = await seller.wait_message("Товары")
    assert "PL-08" in " ".join(second.labels) and "PL-00" not in " ".join(second.labels)
    await seller.press("Назад")
    await seller.wait_message("Товары")

    await seller.press("Поиск")
    await seller.wait_message("артикул")
    await seller.send("100007")
    found = await seller.wait_message("Поиск")
    assert [b for b in found.labels if "PL-" in b] == ["⏸ PL-07 · Плед 07"]
    await seller.press("Сбросить поиск")
    await seller.wait_message("Товары")

    await seller.press("Выбрать несколько")
    await seller.wait_message("Выбрано: 0")
    await seller.press("PL-02")
    await seller.wait_message("Выбрано: 1")
    await seller.press("PL-03")
    await seller.wait_message("Выбрано: 2")
    await seller.press("По умолчанию (2)")
    await seller.wait_message("Товары")
    done = {
        r["product_id"]
        for r in await bot_env.pool.fetch(
            "SELECT product_id FROM product_rules WHERE submit_complaints"
        )
    }
    assert done == {ids[2], ids[3]}
    active = await bot_env.pool.fetchval(
        "SELECT count(*) FROM products WHERE work_status = 'active'"
    )
    assert active == 2


async def test_another_stores_product_is_refused(bot_env: BotEnv) -> None:
    seller, _, _ = await seller_with_products(bot_env, count=1)
    stranger = await make_user(bot_env.pool)
    other_store = await make_store(bot_env.pool, stranger, "token2", name="Чужой")
    foreign = await product(bot_env.pool, other_store, "Чужой плед", "X-1", "999")
    await seller.send("/products")
    listing = await seller.wait_message("Товары")
    await seller.press_data(
        ProductCb(action=ProductAction.TOGGLE, product_id=foreign, arg="sc").pack(), listing
    )
    answer = await seller.wait_answer()
    assert answer.show_alert and "Нет доступа" in (answer.text or "")
    assert await rules(bot_env.pool, foreign) is None
