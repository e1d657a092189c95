"""One person's updates are handled in the order they came (issue 10, item 8): a command sent
right after a slow button waits for the button's handler instead of racing it over the FSM."""

from __future__ import annotations

import asyncio

from bot.callbacks import ReviewCb
from db.pool import Connection
from tests.e2e.harness import BotEnv
from tests.e2e.test_complaints_bot import ALL_ON
from tests.e2e.test_reviews import seller
from tests.support.stores import make_product, make_review

WAITING_ON_REVIEWS = """
SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
 WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND c.relname = 'reviews' AND NOT l.granted
"""


async def _until_blocked(conn: Connection) -> None:
    """Until some query waits for the lock the test holds on `reviews`."""
    for _ in range(200):
        if await conn.fetchval(WAITING_ON_REVIEWS):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("nothing waited for the lock on reviews")


async def test_start_after_a_slow_button_comes_after_it(bot_env: BotEnv) -> None:
    """The edit button of a review is slowed by a lock on `reviews` (a busy database); /start
    sent meanwhile must not overtake it. Before, /start ran first and the button then opened
    its form after the menu: the next text became the review's reply draft."""
    user, _, store = await seller(bot_env)
    product = await make_product(bot_env.pool, store)
    review_id = await make_review(bot_env.pool, product, rating=2, text="плохо")
    await user.send("/menu")
    menu = await user.wait_message("WB")
    async with bot_env.pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("LOCK TABLE reviews IN ACCESS EXCLUSIVE MODE")
        await user.press_data(ReviewCb(action="re", review_id=review_id).pack(), menu.id)
        await _until_blocked(conn)
        await user.send("/start")
        await asyncio.sleep(0.5)  # time enough for /start to be handled if it did not wait
        await tx.rollback()
    await user.wait_message("Отправьте текст ответа")
    await user.wait_message("WB")  # the menu comes after the form's prompt: /start left it
    await user.send("Спасибо, что написали нам, разберёмся")
    await user.wait_message("Не понимаю")
    draft = await bot_env.pool.fetchval("SELECT draft_reply FROM reviews WHERE id = $1", review_id)
    assert draft is None


async def test_a_batch_does_not_hold_the_persons_next_updates(bot_env: BotEnv) -> None:
    """Updates wait for the one before them, so a batch runs beside its handler, not in it:
    the person's menu press is answered while the (slow) batch goes on."""
    user, _, store = await seller(bot_env)
    product = await make_product(bot_env.pool, store, rules=ALL_ON)
    for i in range(3):
        await make_review(bot_env.pool, product, rating=1, text=f"Плохое качество {i}")
    bot_env.llm.set_latency(2.0)  # under the harness's AI timeout of 3 s
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Жалобы")
    await user.wait_message("Черновиков нет")
    await user.press("Жалобы на все подходящие")
    await user.wait_message("Примерная стоимость")
    await user.press("Да, составить")
    await user.wait_message("Составляю жалобы")
    await user.send("/menu")
    await user.wait_message("WB", timeout=1.5)
    assert not bot_env.llm.completed  # the batch is still at its first drafts
    done = await user.wait_message("Готово", timeout=15.0)
    assert "Составлено 3 черновика" in done.text
