"""Follow-ups from the phone: set a message set (guard on save, reorder, stop message), turn
auto-start on in the store card, start a sequence on a chat, see its step arrive in the WB
emulator under the controlled clock, the buyer replies, the sequence stops."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from services import access
from services.sequences import MessageSet
from tests.e2e.harness import BotEnv
from tests.support.sequences import Clock, deliver, load_chats, msk
from tests.support.stores import make_store

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
