"""Buyer chats in the bot, end to end against the fake Telegram, the WB emulator and the LLM
stub: a seller works a chat from inbox to closed; forged chat ids are refused; a send WB
refuses keeps the draft."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from bot.callbacks import (
    ChatAct,
    ChatBoardCb,
    ChatCb,
    ChatCol,
    ChatListAct,
    ChatListCb,
    StoreCb,
    encode_chat_id,
)
from bot.lifecycle import Lifecycle
from bot.scheduler import autoreply_job, build_digest, build_jobs, question_alerts
from tests.e2e.harness import BotEnv, running_bot
from tests.e2e.test_reviews import seller
from tests.fakes.wb.generator import generate_shop

REPLY = "Анна, здравствуйте! Жаль, что молния сломалась. Пришлём замену за наш счёт."


@pytest.fixture
async def chat_env(pool: asyncpg.Pool) -> AsyncIterator[BotEnv]:
    """The bot with a shop that has products but no chats yet: the buyers write in the tests."""
    async with running_bot(pool, shop=generate_shop(13, reviews=20, products=3, chats=0)) as env:
        yield env


def _now_ms() -> int:
    return int(time.time() * 1000)


async def _buyer_writes(env: BotEnv, store: str, name: str, text: str) -> str:
    chat, _ = env.wb.state.new_chat(name, text, at_ms=int(time.time() * 1000))
    await env.services.sync.sync_all(store, kinds=("products", "chats"))
    await env.services.chat_tagger.tag_store(store)
    return chat.chat_id


async def test_seller_works_a_chat_from_inbox_to_closed(chat_env: BotEnv) -> None:
    user, _, store = await seller(chat_env)
    chat_id = await _buyer_writes(chat_env, store, "Анна", "Пришёл брак, молния сломана")
    row = await chat_env.pool.fetchrow("SELECT status, tag FROM chats WHERE id = $1", chat_id)
    assert row is not None and (row["status"], row["tag"]) == ("inbox", "deletion_candidate")

    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("💬 Чаты")
    board = await user.wait_message("Чаты")
    inbox = [label for label in board.labels if label.startswith("Входящие")]
    assert inbox and inbox[0].endswith("· 1"), board.labels
    await user.press(inbox[0])
    listing = await user.wait_message("Анна")
    assert "кандидат на удаление" in listing.text and "молния" in listing.text
    await user.press("1")
    card = await user.wait_message("Связанный отзыв")
    assert "Пришёл брак" in card.text and "Входящие" in card.text

    await user.press("🤖 Черновик ответа")
    card = await user.wait_message("Черновик готов")
    assert "Черновик ответа" in card.text
    await user.press("✏️ Изменить")
    await user.wait_message("новый текст ответа")
    await user.send(REPLY)
    card = await user.wait_message("Черновик сохранён")
    assert "📤 Отправить" in card.labels
    await user.press("📤 Отправить")
    card = await user.wait_message("Отправлено покупателю")
    sent = [m for m in chat_env.wb.stats.messages_sent if m[1] == chat_id]
    assert [m[2] for m in sent] == [REPLY]
    assert card.text.count("Пришлём замену") == 1 and "В работе" in card.text

    await chat_env.services.sync.sync_all(store, kinds=("chats",))
    await user.press("↔️ Переместить")
    await user.wait_message("Куда переместить")
    await user.press("Решённые")
    card = await user.wait_message("Перемещено")
    assert card.text.count("Пришлём замену") == 1  # the events stream's copy is not a second one
    await user.press("✅ Закрыть")
    await user.wait_message("Причина обязательна")
    await user.press("Оценка повышена")
    await user.wait_message("Чат закрыт")
    row = await chat_env.pool.fetchrow(
        "SELECT status, completion_reason FROM chats WHERE id = $1", chat_id
    )
    assert row is not None and (row["status"], row["completion_reason"]) == (
        "closed",
        "review_upgraded",
    )
    assert len([m for m in chat_env.wb.stats.messages_sent if m[1] == chat_id]) == 1


async def test_forged_chat_ids_are_refused(chat_env: BotEnv) -> None:
    _, _, store = await seller(chat_env, 501)
    chat_id = await _buyer_writes(chat_env, store, "Олег", "Брак")
    other, _, _ = await seller(chat_env, 502)
    await other.send("/menu")
    menu = await other.wait_message("WB")
    for act, arg in ((ChatAct.OPEN, ""), (ChatAct.CLOSE, "0"), (ChatAct.SEND, "00000000")):
        query = await other.press_data(
            ChatCb(act=act, chat=encode_chat_id(chat_id), arg=arg).pack(), menu
        )
        reply = await other.wait_answer(query)
        assert reply.text is not None and "недоступен" in reply.text
    for data in (
        ChatBoardCb(store=store).pack(),
        ChatListCb(act=ChatListAct.OPEN, col=ChatCol.INBOX, arg=store).pack(),
        StoreCb(action="chats", store_id=store).pack(),
    ):
        query = await other.press_data(data, menu)
        reply = await other.wait_answer(query)
        assert reply.text is not None and "недоступен" in reply.text, data
    assert "Олег" not in " ".join(m.text for m in other.messages)
    row = await chat_env.pool.fetchrow("SELECT status FROM chats WHERE id = $1", chat_id)
    assert row is not None and row["status"] == "inbox"
    assert not chat_env.wb.stats.messages_sent


async def test_a_send_wb_refuses_keeps_the_draft(chat_env: BotEnv) -> None:
    user, _, store = await seller(chat_env)
    chat_id = await _buyer_writes(chat_env, store, "Анна", "Пришёл брак")
    await chat_env.pool.execute(
        "UPDATE chats SET draft_reply = $2, reply_sign = 'forged-sign' WHERE id = $1",
        chat_id,
        REPLY,
    )
    await user.send("/menu")
    menu = await user.wait_message("WB")
    await user.press_data(ChatCb(act=ChatAct.OPEN, chat=encode_chat_id(chat_id)).pack(), menu)
    await user.wait_message("Черновик ответа")
    query = await user.press("📤 Отправить")
    reply = await user.wait_answer(query)
    assert reply.text is not None and "Invalid signature" in reply.text
    draft = await chat_env.pool.fetchval("SELECT draft_reply FROM chats WHERE id = $1", chat_id)
    assert draft == REPLY
    assert not chat_env.wb.stats.messages_sent


async def test_buyer_messages_alert_once_with_buttons_to_the_chat(chat_env: BotEnv) -> None:
    user, _, store = await seller(chat_env)
    jobs = build_jobs(chat_env.services, chat_env.bot)
    now = datetime.now(UTC)
    await jobs.sync_store(store, "chats", now=now)  # the first sync only backfills
    chat, _ = chat_env.wb.state.new_chat("Вера", "Пришёл брак, верните деньги", at_ms=_now_ms())
    chat_env.wb.state.client_message(chat.chat_id, "Ответьте, пожалуйста", at_ms=_now_ms() + 1)
    await jobs.sync_store(store, "chats", now=now + timedelta(minutes=5))
    alert = await user.wait_message("новые сообщения покупателей (2)")
    assert "Вера" in alert.text and "Открыть чат: Вера" in alert.labels
    assert await chat_env.pool.fetchval("SELECT tag FROM chats WHERE id = $1", chat.chat_id) == (
        "refund_requested"
    )
    await user.press("Открыть чат: Вера", message=alert)
    card = await user.wait_message("Ответьте, пожалуйста")
    assert "Вера" in card.text
    shown = len(user.messages)
    await jobs.sync_store(store, "chats", now=now + timedelta(minutes=10))
    await jobs.deliver_alerts(now=now + timedelta(minutes=30))
    assert len(user.messages) == shown  # nothing new, nothing twice
    assert await chat_env.pool.fetchval("SELECT count(*) FROM chat_alerts") == 1


async def test_older_messages_are_paged_in_the_card(chat_env: BotEnv) -> None:
    user, _, store = await seller(chat_env)
    chat, _ = chat_env.wb.state.new_chat("Кира", "первое сообщение", at_ms=_now_ms())
    for i in range(1, 12):
        chat_env.wb.state.client_message(chat.chat_id, f"сообщение {i}", at_ms=_now_ms() + i)
    await chat_env.services.sync.sync_all(store, kinds=("chats",))
    await user.send("/menu")
    menu = await user.wait_message("WB")
    await user.press_data(ChatCb(act=ChatAct.OPEN, chat=encode_chat_id(chat.chat_id)).pack(), menu)
    card = await user.wait_message("сообщение 11")
    assert "первое сообщение" not in card.text
    await user.press("⏫ Ранее")
    older = await user.wait_message("первое сообщение")
    assert "сообщение 11" not in older.text
    await user.press("↩️ К чату")
    await user.wait_message("сообщение 11")


async def test_column_list_pages_and_filters(chat_env: BotEnv) -> None:
    user, _, store = await seller(chat_env)
    for i in range(9):
        chat_env.wb.state.new_chat(f"Покупатель{i}", f"вопрос {i}", at_ms=_now_ms() + i)
    await chat_env.services.sync.sync_all(store, kinds=("chats",))
    spam_id = await _buyer_writes(chat_env, store, "Спамер", "Заработок от 5000 t.me/x")
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("💬 Чаты")
    await user.wait_message("Чаты")
    await user.press("Входящие · 10")
    first = await user.wait_message("Спамер")
    assert "Покупатель1" not in first.text and "▶️" in first.labels
    await user.press("▶️")
    second = await user.wait_message("Покупатель0")
    assert "Спамер" not in second.text and "◀️" in second.labels
    await user.press("🏷 Тег")
    await user.wait_message("Выберите тег")
    await user.press("спам")
    only = await user.wait_message("Фильтры: спам")
    assert "Спамер" in only.text and "Покупатель" not in only.text
    await user.press("1")
    await user.wait_message("t.me/x")
    await user.press("↩️ К списку")
    back = await user.wait_message("Фильтры: спам")
    assert "Спамер" in back.text
    await user.press("✖️ Сбросить")
    await user.wait_message("без фильтров")
    assert spam_id


async def test_every_job_that_messages_people_stops_with_the_lifecycle(chat_env: BotEnv) -> None:
    """The scheduler's services share the lifecycle's `stopping`: at the end of the grace
    time each batch gives back what it did not send (services/delivery.py)."""
    lifecycle = Lifecycle()
    services, bot = chat_env.services, chat_env.bot
    jobs = build_jobs(services, bot, lifecycle)
    assert jobs.chat_alerts is not None and jobs.sequences is not None
    built: list[Any] = [
        jobs.alerts,
        jobs.chat_alerts,
        jobs.sequences,
        build_digest(services, jobs),
        autoreply_job(services, bot, lifecycle),
        question_alerts(services, bot, lifecycle),
    ]
    assert all(b.stopping is lifecycle.stopping for b in built)
