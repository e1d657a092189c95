"""Complaints in the bot, end to end: draft from a review card, the card's lifecycle, stale
and repeated presses, gates, batch drafting with progress, forged buttons."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg

from bot.background import is_busy
from bot.callbacks import BatchCb, ComplaintCb, ReviewCb
from db.pool import create_pool
from db.repos.user_settings import update_user_settings
from tests.e2e.harness import BotEnv, running_bot
from tests.e2e.test_reviews import seller
from tests.support.stores import make_product, make_review, make_store, make_user

ALL_ON = {
    "submit_complaints": True,
    "complaint_rating_1": True,
    "complaint_rating_2": True,
    "complaint_rating_3": True,
}


async def status_of(env: BotEnv, review_id: str) -> tuple[str, str | None]:
    row = await env.pool.fetchrow(
        """SELECT r.complaint_status::text AS rs, c.status AS cs
             FROM reviews r LEFT JOIN review_complaints c ON c.review_id = r.id
            WHERE r.id = $1""",
        review_id,
    )
    assert row is not None
    return row["rs"], row["cs"]


async def test_complaint_lifecycle_from_review_card(bot_env: BotEnv) -> None:
    user, _, store = await seller(bot_env)
    product = await make_product(bot_env.pool, store)
    review_id = await make_review(bot_env.pool, product, rating=1, text="Пришёл брак, ужас")
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Отзывы")
    await user.wait_message("Найден 1 отзыв")
    await user.press("1")
    await user.wait_message("📦")
    await user.press("Составить жалобу")
    card = await user.wait_message("Черновик жалобы готов")
    assert "<pre>" in card.html and "PL-200" in card.text and "Иван" in card.text
    assert "Подал(а) в WB" in " ".join(card.labels)
    assert await status_of(bot_env, review_id) == ("draft", "draft")

    calls = len(bot_env.llm.requests)
    await user.press("🔄 Заново")
    await user.wait_message("Новый вариант готов")
    assert len(bot_env.llm.requests) > calls

    await user.press("✏️ Изменить")
    await user.wait_message("новый текст жалобы")
    await user.send("Отзыв описывает другой товар: на фото не наша кружка.")
    edited = await user.wait_message("Текст жалобы сохранён")
    assert "не наша кружка" in edited.text

    await user.press("Подал(а) в WB")
    sent = await user.wait_message("жалоба подана")
    assert "Одобрена" in " ".join(sent.labels) and "Подал(а)" not in " ".join(sent.labels)
    assert await status_of(bot_env, review_id) == ("sent", "sent")
    cid = await bot_env.pool.fetchval(
        "SELECT id FROM review_complaints WHERE review_id = $1", review_id
    )

    # The same button twice, and an old regenerate: the current state, no second action.
    calls = len(bot_env.llm.requests)
    query = await user.press_data(ComplaintCb(action="s", complaint_id=cid).pack(), sent.id)
    await user.wait_answer(query)
    again = await user.wait_message("уже")
    assert "подана" in again.text
    text_before = "SELECT complaint_text, regenerated_count FROM review_complaints WHERE id = $1"
    before = await bot_env.pool.fetchrow(text_before, cid)
    query = await user.press_data(ComplaintCb(action="g", complaint_id=cid).pack(), sent.id)
    await user.wait_answer(query)
    await user.press("👎 Отклонена")
    await user.wait_message("WB отклонил")
    # Only now is the old regenerate surely over: while it ran, the reject would be refused.
    assert len(bot_env.llm.requests) == calls, "a filed complaint is not drafted again"
    assert await bot_env.pool.fetchrow(text_before, cid) == before
    assert await status_of(bot_env, review_id) == ("rejected", "rejected")


async def test_discard_and_gates(bot_env: BotEnv) -> None:
    user, _, store = await seller(bot_env)
    product = await make_product(bot_env.pool, store)
    review_id = await make_review(bot_env.pool, product, rating=2)
    five = await make_review(bot_env.pool, product, rating=5, text="Отлично")
    old = await make_review(bot_env.pool, product, rating=1, date=datetime(2023, 5, 1, tzinfo=UTC))
    menu_msg = await user.send("/menu")
    await user.wait_message("WB")
    await user.press_data(ReviewCb(action="cd", review_id=review_id).pack(), menu_msg.id + 1)
    await user.wait_message("Черновик жалобы готов")
    await user.press("Удалить черновик")
    discarded = await user.wait_message("Черновик жалобы удалён")
    assert "Составить жалобу" in " ".join(discarded.labels)
    assert await status_of(bot_env, review_id) == ("not_sent", None)

    await user.press_data(ReviewCb(action="cd", review_id=five).pack(), discarded.id)
    assert "5 ★" in (await user.wait_message("Жалобу не составить")).text
    await user.press_data(ReviewCb(action="cd", review_id=old).pack(), discarded.id)
    await user.wait_message("1 октября 2023")


async def test_batch_draft_with_progress(bot_env: BotEnv) -> None:
    user, _, store = await seller(bot_env)
    product = await make_product(bot_env.pool, store, rules=ALL_ON)
    for i in range(4):
        await make_review(bot_env.pool, product, rating=1 + i % 3, text=f"Плохое качество {i}")
    await make_review(bot_env.pool, product, rating=5, text="Отлично")
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Жалобы")
    await user.wait_message("Черновиков нет")
    await user.press("Жалобы на все подходящие")
    ask = await user.wait_message("Примерная стоимость")
    assert "на 4 отзыва" in ask.text
    assert not bot_env.llm.requests  # nothing is spent before the person confirms
    await user.press("Да, составить")
    await user.wait_message("Составляю жалобы")
    done = await user.wait_message("Готово")
    assert "Составлено 4 черновика" in done.text
    assert (
        await bot_env.pool.fetchval(
            "SELECT count(*) FROM review_complaints WHERE store_id = $1 AND status = 'draft'", store
        )
        == 4
    )
    await user.press("К очереди")
    queue = await user.wait_message("4 черновика ждут")
    assert "стр. 1 из 1" in queue.labels


async def test_forged_complaint_buttons_are_refused(bot_env: BotEnv) -> None:
    user, _, _ = await seller(bot_env)
    other = await make_user(bot_env.pool)
    other_store = await make_store(bot_env.pool, other, "other-token")
    product = await make_product(bot_env.pool, other_store)
    review_id = await make_review(bot_env.pool, product, rating=1)
    row = await bot_env.services.complaints.draft(review_id)
    await user.send("/menu")
    menu = await user.wait_message("WB")
    for action in ("o", "s", "g", "e", "d", "m"):
        data = ComplaintCb(action=action, complaint_id=row.id, arg="approved").pack()
        answer = await user.wait_answer(await user.press_data(data, menu.id))
        assert answer.show_alert and "недоступна" in (answer.text or "")
    query = await user.press_data(BatchCb(action="go", store_id=other_store).pack(), menu.id)
    assert "недоступна" in ((await user.wait_answer(query)).text or "")
    assert await status_of(bot_env, review_id) == ("draft", "draft")


async def test_a_big_batch_against_a_slow_llm_leaves_the_bot_answering(db_url: str) -> None:
    """Issue 10, item 1: drafts held a pooled connection each across the LLM call, so a batch
    took every connection (here: deadlocked the pool of 4) and no other press was answered."""
    pool = await create_pool(db_url, max_size=4)
    try:
        async with running_bot(pool) as env:
            user, owner, store = await seller(env)
            other, _, _ = await seller(env, 502)
            await update_user_settings(pool, owner, ai_concurrency=10)
            product = await make_product(pool, store, rules=ALL_ON)
            for i in range(50):
                await make_review(pool, product, rating=1 + i % 3, text=f"Плохое качество {i}")
            await other.send("/menu")
            await other.wait_message("WB")
            await other.press("Помощь")
            await other.wait_message("Как это работает")

            env.llm.set_latency(2.0)
            await user.send("/menu")
            await user.wait_message("WB")
            await user.press("Жалобы")
            await user.wait_message("Черновиков нет")
            await user.press("Жалобы на все подходящие")
            await user.wait_message("на 50 отзывов")
            await user.press("Да, составить")
            await user.wait_message("Составляю жалобы")
            await asyncio.sleep(0.5)  # the first drafts are waiting for the LLM
            loop = asyncio.get_running_loop()
            started = loop.time()
            query = await other.press("Меню")
            await other.wait_answer(query, timeout=1.0)
            await other.wait_message("WB Репутация", timeout=1.0)
            assert loop.time() - started < 1.0
            started = loop.time()
            await user.send("/menu")  # the person who started it is not kept waiting either
            await user.wait_message("WB Репутация", timeout=1.0)
            assert loop.time() - started < 1.0
            assert env.llm.in_flight > 0, "measured while the batch was still drafting"
            assert env.llm.max_in_flight >= 5, "with many LLM calls in flight"

            done = await user.wait_message("Готово", timeout=60)
            assert "Составлено 50" in done.text
            assert env.llm.max_in_flight <= env.services.ai_client.config.max_in_flight
    finally:
        pool.terminate()


async def test_a_bot_stopped_mid_batch_ends_the_batch_and_frees_its_leases(
    pool: asyncpg.Pool,
) -> None:
    async with running_bot(pool) as env:
        user, _, store = await seller(env)
        product = await make_product(pool, store, rules=ALL_ON)
        for i in range(12):
            await make_review(pool, product, rating=1 + i % 3, text=f"Плохое качество {i}")
        env.llm.set_latency(2.0)
        await user.send("/menu")
        await user.wait_message("WB")
        await user.press("Жалобы")
        await user.wait_message("Черновиков нет")
        await user.press("Жалобы на все подходящие")
        await user.wait_message("на 12 отзывов")
        await user.press("Да, составить")
        await user.wait_message("Составляю жалобы")
        await asyncio.sleep(0.3)  # drafts hold their leases, waiting for the LLM
        assert await pool.fetchval("SELECT count(*) FROM ai_leases") > 0
    assert not is_busy(f"batch:{store}"), "the batch ended with the bot"
    assert await pool.fetchval("SELECT count(*) FROM ai_leases") == 0
    assert await pool.fetchval("SELECT count(*) FROM review_complaints") == 0
    assert await pool.fetchval("SELECT count(*) FROM ai_logs") == 0, "cancelled, not failed"
