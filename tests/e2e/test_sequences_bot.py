"""Follow-ups from the phone: set a message set (guard on save, reorder, stop message), turn
auto-start on in the store card, start a sequence on a chat, see its step arrive in the WB
emulator under the controlled clock, the buyer replies, the sequence stops."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import asyncpg

from bot.callbacks import ChatAct, ChatCb, encode_chat_id
from services import access
from services.sequences import MessageSet
from services.stores import set_paused
from tests.e2e.harness import BotEnv
from tests.fakes.telegram import FakeUser
from tests.fakes.telegram.models import ChatMessage
from tests.fakes.wb import WBEmulator
from tests.support.sequences import Clock, deliver, load_chats, msk
from tests.support.stores import make_product, make_review, make_store

DAY0 = msk(datetime(2026, 12, 1, tzinfo=UTC), 0, 0)
FIRST = "Здравствуйте! Мы всё ещё рядом, если нужна помощь с товаром."
SECOND = "Добрый день! Напишите, пожалуйста, удалось ли решить вопрос."
STOP = "Спасибо за время! Если что-то понадобится, мы на связи."


async def test_message_set_then_a_sequence_runs_and_stops(bot_env: BotEnv) -> None:
    pool, wb = bot_env.pool, bot_env.wb
    reg = await access.add_user(pool, "seq@example.com", telegram_id=951, approve=True)
    store_id = await make_store(pool, reg.user.id, wb.token(), name="Лавка")
    seller = bot_env.user(951)

    await seller.send("/settings")
    await seller.wait_message("Настройки")
    await seller.press("🔁 Серии сообщений")
    await seller.wait_message("Серии сообщений")
    await seller.press("Набор 1 (1-3★)")
    await seller.wait_message("Сообщений пока нет")
    await seller.press("➕ Добавить сообщение")
    await seller.wait_message("Пришлите текст сообщения 1")
    await seller.send("Здравствуйте! Удалите отзыв, пожалуйста, и мы вернём деньги.")
    refused = await seller.wait_message("нельзя отправить покупателю")
    assert "удалить" in refused.text  # the guard's reason, in words
    await seller.send(SECOND)  # still in the step: nothing lost, try again
    await seller.wait_message("Сохранено")
    await seller.wait_message("1.")
    await seller.press("➕ Добавить сообщение")
    await seller.wait_message("Пришлите текст сообщения 2")
    await seller.send(FIRST)
    await seller.wait_message("Сохранено")
    screen = await seller.wait_message("2.")
    assert "⬆️ 2" in screen.labels
    await seller.press("⬆️ 2")
    await seller.wait_answer()
    await seller.press("✏️ 2")
    await seller.wait_message("Пришлите текст сообщения 2")
    await seller.send(SECOND)  # edited in place (same text is fine)
    await seller.wait_message("Сохранено")
    await seller.wait_message("Набор 1")
    await seller.press("➕ Добавить сообщение")
    await seller.wait_message("Пришлите текст сообщения 3")
    await seller.send("Здравствуйте! Это лишнее сообщение. Его удалим.")
    await seller.wait_message("Сохранено")
    await seller.wait_message("3.")
    await seller.press("🗑 3")
    assert (await seller.wait_answer()).text == "Удалено"
    await seller.press("Стоп-сообщение")
    await seller.wait_message("Пришлите стоп-сообщение")
    await seller.send(STOP)
    await seller.wait_message("Сохранено")
    row = await pool.fetchrow(
        "SELECT no_reply_messages::text AS m, no_reply_stop_message AS s FROM user_settings "
        "WHERE id = $1",
        reg.user.id,
    )
    assert row is not None
    assert json.loads(row["m"]) == [FIRST, SECOND] and row["s"] == STOP

    # The store card: auto follow-ups on.
    await seller.send("/menu")
    await seller.wait_message("WB")
    await seller.press("Магазины")
    await seller.wait_message("Магазин")
    await seller.press("Лавка")
    await seller.wait_message("Синхронизация")
    await seller.press("🔁 Автосерии: выкл")
    assert "включены" in ((await seller.wait_answer()).text or "")
    assert await pool.fetchval(
        "SELECT is_auto_no_reply_enabled FROM stores WHERE id = $1", store_id
    )

    # A chat: a sequence started from it (the chat card's button calls this service method).
    clock = Clock(msk(DAY0, 0, 12))
    wb.config.now = clock
    chats = await load_chats(pool, wb, store_id)
    sequences = bot_env.services.sequences
    plan = await sequences.plan(reg.user.id, now=clock.now, stars=2)
    assert (plan.set_no, plan.steps, plan.with_stop_message) == (MessageSet.FIRST, 2, True)
    assert await sequences.may_act(reg.user.id, chats[0])
    await sequences.start(chats[0], now=clock.now, stars=2)
    assert await pool.fetchval("SELECT status FROM chats WHERE id = $1", chats[0]) == (
        "awaiting_reply"
    )
    before = len(wb.stats.messages_sent)
    clock.now = msk(DAY0, 0, 16)
    await sequences.run_due(now=clock.now)  # not before tomorrow
    clock.now = msk(DAY0, 1, 10, 5)
    report = await sequences.run_due(now=clock.now)
    assert report.sent == 1
    assert [t for _s, c, t in wb.stats.messages_sent[before:] if c == chats[0]] == [FIRST]

    reply = wb.state.client_message(chats[0], "Всё хорошо", at_ms=int(clock.now.timestamp() * 1000))
    await deliver(pool, store_id, reply)
    seq = await pool.fetchrow("SELECT status, stop_reason FROM chat_auto_sequences")
    assert seq is not None
    assert (seq["status"], seq["stop_reason"]) == ("stopped", "client_replied")
    clock.now = msk(DAY0, 2, 10)
    await sequences.run_due(now=clock.now)
    assert [t for _s, c, t in wb.stats.messages_sent[before:] if c == chats[0]] == [FIRST]
    assert not seller.unanswered_queries


# --- the chat card's follow-ups (the chats and sequences features wired together) ------------


async def _follow_up_seller(
    bot_env: BotEnv, tg_id: int, messages: list[str]
) -> tuple[FakeUser, str, str, Clock]:
    """An approved seller whose set 1 is typed from the phone, a store, the clock at day 0."""
    pool, wb = bot_env.pool, bot_env.wb
    reg = await access.add_user(pool, f"f{tg_id}@example.com", telegram_id=tg_id, approve=True)
    store_id = await make_store(pool, reg.user.id, wb.token(), name="Лавка")
    user = bot_env.user(tg_id)
    await user.send("/followups")
    await user.wait_message("Серии сообщений")
    await user.press("Набор 1 (1-3★)")
    await user.wait_message("Набор 1")
    for n, text in enumerate(messages, 1):
        await user.press("➕ Добавить сообщение")
        await user.wait_message(f"Пришлите текст сообщения {n}")
        await user.send(text)
        await user.wait_message("Сохранено")
        await user.wait_message(f"{n}.")
    clock = Clock(msk(DAY0, 0, 12))
    wb.config.now = clock
    bot_env.services.sequences.clock = clock
    return user, reg.user.id, store_id, clock


async def _link_review(pool: asyncpg.Pool, store_id: str, chat_id: str, rating: int) -> str:
    """A review the chat links to (same store and nmId, author = the buyer's name, older)."""
    chat = await pool.fetchrow(
        "SELECT client_name, product_nm_id, last_message_date FROM chats WHERE id = $1", chat_id
    )
    assert chat is not None and chat["product_nm_id"] and chat["client_name"]
    product = await make_product(pool, store_id, nm_id=chat["product_nm_id"])
    review = await make_review(
        pool, product, rating=rating, date=chat["last_message_date"] - timedelta(days=2)
    )
    await pool.execute("UPDATE reviews SET author = $2 WHERE id = $1", review, chat["client_name"])
    return review


async def _open_card(user: FakeUser, chat_id: str) -> ChatMessage:
    await user.send("/menu")
    menu = await user.wait_message("WB")
    await user.press_data(ChatCb(act=ChatAct.OPEN, chat=encode_chat_id(chat_id)).pack(), menu)
    return await user.wait_message("Колонка")


def _sent_to(wb: WBEmulator, chat_id: str) -> list[str]:
    return [t for _s, c, t in wb.stats.messages_sent if c == chat_id]


async def test_follow_ups_from_the_chat_card_run_and_stop_when_the_buyer_replies(
    bot_env: BotEnv,
) -> None:
    pool, wb = bot_env.pool, bot_env.wb
    user, _, store_id, clock = await _follow_up_seller(bot_env, 961, [FIRST, SECOND])
    chat_id = (await load_chats(pool, wb, store_id))[0]
    await _link_review(pool, store_id, chat_id, rating=2)

    card = await _open_card(user, chat_id)
    assert "Отзыв: ★★☆☆☆" in card.text and "🔁 Запустить серию" in card.labels
    await user.press("🔁 Запустить серию")
    screen = await user.wait_message("Серия напоминаний")
    assert "по связанному отзыву ★★☆☆☆" in screen.text
    assert "1 сообщение в день с завтрашнего дня, 10:00-17:00 МСК, до 2" in screen.text
    assert screen.labels[0] == "▶️ Запустить"
    await user.press("▶️ Запустить")
    card = await user.wait_message("Серия запущена")
    assert "шаг 0 из 2" in card.text and "⏹ Остановить серию" in card.labels
    assert "Колонка: <b>Ждём ответа</b>" in card.text or "Колонка: Ждём ответа" in card.text
    seq = await pool.fetchrow("SELECT sequence_type, next_send_at FROM chat_auto_sequences")
    assert seq is not None and seq["sequence_type"] == "no_reply_followup"
    assert seq["next_send_at"] == msk(DAY0, 1, 10)

    clock.now = msk(DAY0, 1, 10, 5)
    assert (await bot_env.services.sequences.run_due(now=clock.now)).sent == 1
    assert _sent_to(wb, chat_id) == [FIRST]
    reply = wb.state.client_message(chat_id, "Всё хорошо", at_ms=int(clock.now.timestamp() * 1000))
    await deliver(pool, store_id, reply)
    card = await _open_card(user, chat_id)
    assert "Серия остановлена: покупатель ответил" in card.text
    assert "🔁 Запустить серию" in card.labels and "⏹ Остановить серию" not in card.labels
    clock.now = msk(DAY0, 2, 10, 5)
    await bot_env.services.sequences.run_due(now=clock.now)
    assert _sent_to(wb, chat_id) == [FIRST]
    assert not user.unanswered_queries


async def test_no_linked_review_asks_the_set_and_a_manual_move_stops_it(bot_env: BotEnv) -> None:
    pool, wb = bot_env.pool, bot_env.wb
    user, _, store_id, clock = await _follow_up_seller(bot_env, 962, [FIRST])
    chat_id = (await load_chats(pool, wb, store_id))[0]

    await _open_card(user, chat_id)
    await user.press("🔁 Запустить серию")
    screen = await user.wait_message("выберите набор")
    assert "Набор 1 (1-3★): 1 сообщение в день" in screen.text
    assert "В наборе ещё нет сообщений" in screen.text  # set 2 is empty: no button for it
    assert "▶️ Набор 1 (1-3★)" in screen.labels and "▶️ Набор 2 (4★)" not in screen.labels
    await user.press("▶️ Набор 1 (1-3★)")
    card = await user.wait_message("Серия запущена")
    # An old Start button pressed again: the service's refusal, in words; one sequence.
    query = await user.press_data(
        ChatCb(act=ChatAct.FOLLOW_START, chat=encode_chat_id(chat_id), arg="1").pack(), card
    )
    refused = await user.wait_answer(query)
    assert refused.text == "В этом чате серия уже идёт."
    assert await pool.fetchval("SELECT count(*) FROM chat_auto_sequences") == 1

    # A move by hand stops it (`manual`), even out of a column other than `awaiting_reply`.
    await pool.execute("UPDATE chats SET status = 'inbox' WHERE id = $1", chat_id)
    await user.press("↔️ Переместить")
    await user.wait_message("Куда переместить")
    await user.press("В работе")
    card = await user.wait_message("Перемещено")
    assert "Серия остановлена: вручную" in card.text
    seq = await pool.fetchrow("SELECT status, stop_reason FROM chat_auto_sequences")
    assert seq is not None and (seq["status"], seq["stop_reason"]) == ("stopped", "manual")

    # Started again, then stopped from the card.
    await user.press("🔁 Запустить серию")
    await user.wait_message("выберите набор")
    await user.press("▶️ Набор 1 (1-3★)")
    await user.wait_message("Серия запущена")
    await user.press("⏹ Остановить серию")
    card = await user.wait_message("Серия остановлена")
    assert "🔁 Запустить серию" in card.labels
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM chat_auto_sequences WHERE status = 'stopped' AND stop_reason = 'manual'"
        )
        == 2
    )
    clock.now = msk(DAY0, 1, 10, 5)
    await bot_env.services.sequences.run_due(now=clock.now)
    assert _sent_to(wb, chat_id) == []


async def test_an_approved_complaint_stops_the_linked_chats_follow_ups(bot_env: BotEnv) -> None:
    pool, wb = bot_env.pool, bot_env.wb
    user, _, store_id, clock = await _follow_up_seller(bot_env, 963, [FIRST])
    chat_ids = await load_chats(pool, wb, store_id)
    linked, other = chat_ids[0], chat_ids[1]
    review = await _link_review(pool, store_id, linked, rating=1)
    sequences = bot_env.services.sequences
    for chat_id in (linked, other):
        await sequences.start(chat_id, now=clock.now, set_no=MessageSet.FIRST)
    complaint = await pool.fetchval(
        """INSERT INTO review_complaints (review_id, store_id, owner_id, product_id,
           complaint_text, reason_id, reason_name, status, review_rating, review_text, review_date)
           SELECT id, store_id, owner_id, product_id, 'т', 20, 'Другое', 'sent', rating, text, date
             FROM reviews WHERE id = $1 RETURNING id""",
        review,
    )
    await pool.execute("UPDATE reviews SET complaint_status = 'sent' WHERE id = $1", review)
    await bot_env.services.complaints.mark_outcome(complaint, "approved")
    rows = {
        r["chat_id"]: (r["status"], r["stop_reason"])
        for r in await pool.fetch("SELECT chat_id, status, stop_reason FROM chat_auto_sequences")
    }
    assert rows == {linked: ("stopped", "review_resolved"), other: ("active", None)}
    card = await _open_card(user, linked)
    assert "Серия остановлена: отзыв решён" in card.text
    clock.now = msk(DAY0, 1, 10, 5)
    await sequences.run_due(now=clock.now)
    assert _sent_to(wb, linked) == [] and _sent_to(wb, other) == [FIRST]


async def test_a_paused_store_or_an_owner_not_approved_sends_nothing(bot_env: BotEnv) -> None:
    pool, wb = bot_env.pool, bot_env.wb
    _, owner, store_id, clock = await _follow_up_seller(bot_env, 964, [FIRST, SECOND])
    chat_id = (await load_chats(pool, wb, store_id))[0]
    sequences = bot_env.services.sequences
    await sequences.start(chat_id, now=clock.now, set_no=MessageSet.FIRST)

    await set_paused(pool, store_id, True)
    clock.now = msk(DAY0, 1, 10, 5)
    assert (await sequences.run_due(now=clock.now)).claimed == 0
    await set_paused(pool, store_id, False)
    await pool.execute("UPDATE users SET is_approved = FALSE WHERE id = $1", owner)
    clock.now = msk(DAY0, 1, 11)
    assert (await sequences.run_due(now=clock.now)).claimed == 0
    assert _sent_to(wb, chat_id) == []

    # Active and approved again: the waiting step goes (one, not a burst), then one a day.
    await pool.execute("UPDATE users SET is_approved = TRUE WHERE id = $1", owner)
    clock.now = msk(DAY0, 2, 10, 5)
    assert (await sequences.run_due(now=clock.now)).sent == 1
    await sequences.run_due(now=msk(DAY0, 2, 12))
    assert _sent_to(wb, chat_id) == [FIRST]
    await sequences.run_due(now=msk(DAY0, 3, 10, 5))
    assert _sent_to(wb, chat_id) == [FIRST, SECOND]


async def test_forged_follow_up_buttons_for_another_owners_chat_are_refused(
    bot_env: BotEnv,
) -> None:
    pool, wb = bot_env.pool, bot_env.wb
    _, _, store_id, clock = await _follow_up_seller(bot_env, 965, [FIRST])
    chat_ids = await load_chats(pool, wb, store_id)
    running, idle = chat_ids[0], chat_ids[1]
    await bot_env.services.sequences.start(running, now=clock.now, set_no=MessageSet.FIRST)
    reg = await access.add_user(pool, "intruder@example.com", telegram_id=966, approve=True)
    await make_store(pool, reg.user.id, wb.token(), name="Чужая")
    other = bot_env.user(966)
    await other.send("/menu")
    menu = await other.wait_message("WB")
    for act, chat_id, arg in (
        (ChatAct.FOLLOW_MENU, idle, ""),
        (ChatAct.FOLLOW_START, idle, "1"),
        (ChatAct.FOLLOW_STOP, running, ""),
    ):
        query = await other.press_data(
            ChatCb(act=act, chat=encode_chat_id(chat_id), arg=arg).pack(), menu
        )
        reply = await other.wait_answer(query)
        assert reply.text is not None and "недоступен" in reply.text, act
    rows = await pool.fetch("SELECT chat_id, status FROM chat_auto_sequences")
    assert [(r["chat_id"], r["status"]) for r in rows] == [(running, "active")]
    assert "1 сообщение в день" not in " ".join(m.text for m in other.messages)
