"""Rejecting an owner end to end: their stores pause and their managers lose the store."""

from __future__ import annotations

from bot.callbacks import AdminCb, MenuCb, MenuSection, PublishCb, ReviewCb, StoreCb
from services import access, members
from services.reviews import draft_fingerprint
from tests.e2e.harness import BotEnv
from tests.fakes.telegram import FakeUser
from tests.support.stores import make_product, make_review, make_store


async def owner_with_manager(env: BotEnv) -> tuple[str, str, str]:
    """An approved owner (901) with a store and one review, and an approved manager (902)."""
    owner = await access.add_user(env.pool, "owner@example.com", telegram_id=901, approve=True)
    manager = await access.add_user(env.pool, "mgr@example.com", telegram_id=902, approve=True)
    store = await make_store(env.pool, owner.user.id, env.wb.token(), name="Пледы")
    invite = await members.create_invite(env.pool, store, owner.user.id)
    await members.accept_invite(env.pool, invite, manager.user.id)
    product = await make_product(env.pool, store)
    review = await make_review(env.pool, product, rating=1, text="Брак, нитки торчат")
    return owner.user.id, store, review


async def refused(person: FakeUser, data: str, message: int, words: str) -> None:
    answer = await person.wait_answer(await person.press_data(data, message))
    assert answer.show_alert and words in (answer.text or ""), answer.text


async def test_rejecting_an_owner_pauses_the_stores_and_locks_the_managers_out(
    bot_env: BotEnv,
) -> None:
    admin, pool = bot_env.admin, bot_env.pool
    owner_id, store, review = await owner_with_manager(bot_env)
    owner, manager = bot_env.user(901), bot_env.user(902)
    await manager.send("/menu")
    menu = await manager.wait_message("WB")
    await manager.press_data(ReviewCb(action="o", review_id=review).pack(), menu)
    card = await manager.wait_message("нитки торчат")  # the manager works the store

    await admin.send("/reject owner@example.com")
    said = await admin.wait_message("Отклонён(а): owner@example.com")
    assert "Приостановлено магазинов владельца: 1" in said.text
    assert await pool.fetchval("SELECT status FROM stores WHERE id = $1", store) == "inactive"

    # The card's own buttons and forged ones: refused, nothing drafted.
    presses = [ReviewCb(action=a, review_id=review).pack() for a in ("o", "rd", "cd")]
    presses.append(PublishCb(action="rp", review_id=review, fp=draft_fingerprint(None)).pack())
    for data in presses:
        await refused(manager, data, card.message_id, "недоступна")
    for action in ("open", "sync"):
        await refused(manager, StoreCb(action=action, store_id=store).pack(), card.message_id,
                      "нет к нему доступа")  # fmt: skip
    await manager.press_data(MenuCb(section=MenuSection.STORES).pack(), card.message_id)
    stores = await manager.wait_message("Магазины")
    assert "Пледы" not in stores.text + " ".join(stores.labels)
    assert not bot_env.llm.requests

    # Approving again restores access but resumes nothing: the owner is told to resume.
    await owner.wait_message("отклонил")
    await admin.send("/approve owner@example.com")
    await admin.wait_message("Одобрен(а): owner@example.com")
    told = await owner.wait_message("одобрена")
    assert "магазинов на паузе: 1" in told.text
    assert await pool.fetchval("SELECT status FROM stores WHERE id = $1", store) == "inactive"
    assert await members.store_role(pool, owner_id, store) == "owner"


async def test_the_reject_button_on_a_card_pauses_the_stores_too(bot_env: BotEnv) -> None:
    """A registration card's reject (here on an owner the operator added with a store)."""
    admin, pool = bot_env.admin, bot_env.pool
    reg = await access.add_user(pool, "late@example.com", telegram_id=903)
    store = await make_store(pool, reg.user.id, bot_env.wb.token())
    await admin.send("/pending")
    listed = await admin.wait_message("Ждут одобрения")
    query = await admin.press_data(AdminCb(action="lno", user_id=reg.user.id).pack(), listed)
    answer = await admin.wait_answer(query)
    assert "Отклонено" in (answer.text or "") and "Приостановлено" in (answer.text or "")
    assert await pool.fetchval("SELECT status FROM stores WHERE id = $1", store) == "inactive"
