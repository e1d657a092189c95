"""Buyer chats (services/chats) against the WB emulator and the LLM stub: tags after a sync,
board and card, moves, sends that WB records once and the card shows once, refusals keep the
draft, two processes pressing Send at once send once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from db.pool import create_pool
from db.repos import sequences as sequences_repo
from services.chats.service import (
    ChatError,
    ChatErrorCode,
    ChatService,
    ChatStatus,
    CompletionReason,
    text_fingerprint,
)
from services.chats.tagger import ChatTagger
from services.sync.service import SyncService
from tests.fakes.wb.generator import generate_shop
from tests.support.store_env import StoreEnv, store_env
from tests.support.stores import make_product, make_review, make_user


@dataclass
class Env(StoreEnv):
    sync: SyncService
    service: ChatService
    tagger: ChatTagger


@pytest.fixture
async def env(pool: asyncpg.Pool) -> AsyncIterator[Env]:
    shop = generate_shop(7, reviews=0, products=2, questions=0, chats=0)
    async with store_env(pool, shop) as w:
        sync = await w.sync_all("products", "chats")
        service, tagger = ChatService(pool, w.ai, w.factory), ChatTagger(pool, w.ai)
        yield Env.extend(w, sync=sync, service=service, tagger=tagger)


def _now_ms() -> int:
    return int(time.time() * 1000)


async def _buyer_chat(env: Env, name: str, text: str) -> str:
    chat, _ = env.wb.state.new_chat(name, text, at_ms=_now_ms())
    await env.sync.sync_all(env.store, kinds=("chats",))
    return chat.chat_id


async def test_buyer_chat_lands_in_inbox_tagged_and_counted(env: Env) -> None:
    chat_id = await _buyer_chat(env, "Анна", "Пришёл брак, молния сломана")
    report = await env.tagger.tag_store(env.store)
    assert report.tags[chat_id] == "deletion_candidate" and report.by_rules >= 1
    board = await env.service.board([env.store])
    assert board.counts[ChatStatus.INBOX] >= 1
    page = await env.service.column([env.store], ChatStatus.INBOX)
    assert chat_id in [line.id for line in page.lines]
    counts = await env.pool.fetchval("SELECT chat_tag_counts FROM stores WHERE id = $1", env.store)
    assert counts == {"deletion_candidate": 1}
    # a second run has nothing new to read
    assert (await env.tagger.tag_store(env.store)).tags == {}


async def test_unsure_chat_goes_to_the_llm_and_is_logged(env: Env) -> None:
    chat_id = await _buyer_chat(env, "Олег", "Когда придёт заказ?")
    report = await env.tagger.tag_store(env.store)
    assert report.by_llm == 1 and report.tags[chat_id] is not None
    n = await env.pool.fetchval(
        "SELECT count(*) FROM ai_logs WHERE entity_id = $1 AND action = 'classify_chat'", chat_id
    )
    assert n >= 1


async def test_draft_edit_send_once_and_shown_once_after_sync(env: Env) -> None:
    chat_id = await _buyer_chat(env, "Мария", "Здравствуйте, не подошёл размер")
    draft = await env.service.draft(chat_id)
    assert draft.text
    text = "Мария, здравствуйте! Жаль, что размер не подошёл. Подскажем, как оформить обмен."
    assert (await env.service.save_draft(chat_id, text)).ok
    with pytest.raises(ChatError) as stale:
        await env.service.send(chat_id, shown=text_fingerprint(draft.text))
    assert stale.value.code is ChatErrorCode.DRAFT_CHANGED
    sent = await env.service.send(chat_id, shown=text_fingerprint(text))
    assert sent == text
    assert [m for m in env.wb.stats.messages_sent if m[1] == chat_id] == [
        (env.wb.stats.messages_sent[-1][0], chat_id, text)
    ]
    card = await env.service.card(chat_id)
    assert card.status is ChatStatus.IN_PROGRESS and card.draft is None
    assert [m.text for m in card.messages].count(text) == 1
    await env.sync.sync_all(env.store, kinds=("chats",))
    card = await env.service.card(chat_id)
    assert [m.text for m in card.messages].count(text) == 1
    assert not any(m.id.startswith("sent:") for m in card.messages)


async def test_the_guarded_text_is_the_one_sent_to_the_buyer(env: Env) -> None:
    """A draft with a zero-width space inside a word and a bidi override: the guard reads it
    without them, and exactly that text is stored and reaches WB; a raw draft stored before
    the rule is sent clean too."""
    clean = "Ирина, здравствуйте! Разберёмся с браком и предложим замену."
    first = await _buyer_chat(env, "Ирина", "Брак")
    verdict = await env.service.save_draft(
        first, "Ирина, здрав\u200bствуйте! Разберёмся с\u202e браком и предложим замену."
    )
    assert verdict.ok and verdict.text == clean
    assert (await env.service.card(first)).draft == clean
    assert await env.service.send(first, shown=text_fingerprint(clean)) == clean

    second = await _buyer_chat(env, "Ирина", "Брак")
    raw = "Ирина, здравствуйте!\ufeff Разберёмся с бра\u200bком и предложим замену."
    await env.pool.execute("UPDATE chats SET draft_reply = $2 WHERE id = $1", second, raw)
    assert await env.service.send(second, shown=text_fingerprint(raw)) == clean
    sent = [m[2] for m in env.wb.stats.messages_sent if m[1] in (first, second)]
    assert sent == [clean, clean]


async def test_refused_send_keeps_the_draft(env: Env) -> None:
    chat_id = await _buyer_chat(env, "Пётр", "Брак")
    text = "Пётр, здравствуйте! Разберёмся с браком и предложим замену."
    await env.service.save_draft(chat_id, text)
    await env.pool.execute("UPDATE chats SET reply_sign = 'bogus' WHERE id = $1", chat_id)
    with pytest.raises(ChatError) as refused:
        await env.service.send(chat_id, shown=text_fingerprint(text))
    assert refused.value.code is ChatErrorCode.INVALID_SIGNATURE
    await env.pool.execute("UPDATE chats SET reply_sign = '' WHERE id = $1", chat_id)
    with pytest.raises(ChatError) as unsigned:
        await env.service.send(chat_id, shown=text_fingerprint(text))
    assert unsigned.value.code is ChatErrorCode.NO_SIGN
    card = await env.service.card(chat_id)
    assert card.draft == text and card.send_state is None
    assert not [m for m in env.wb.stats.messages_sent if m[1] == chat_id]


async def test_two_processes_pressing_send_send_once(env: Env, db_url: str) -> None:
    """Two services on their own pools (as two processes): one WB send, the other is told a
    send is in flight (or, once the first finished, that the draft it showed is gone)."""
    chat_id = await _buyer_chat(env, "Ира", "Здравствуйте, пришло не то")
    text = "Ира, здравствуйте! Проверим заказ и пришлём нужный товар."
    await env.service.save_draft(chat_id, text)
    second_pool = await create_pool(db_url, max_size=2)
    try:
        other = ChatService(second_pool, env.service.ai, env.factory)
        results = await asyncio.gather(
            env.service.send(chat_id, shown=text_fingerprint(text)),
            other.send(chat_id, shown=text_fingerprint(text)),
            return_exceptions=True,
        )
    finally:
        await second_pool.close()
    assert sum(1 for r in results if r == text) == 1
    refused = [r for r in results if isinstance(r, ChatError)]
    assert len(refused) == 1
    assert refused[0].code in (ChatErrorCode.BUSY, ChatErrorCode.DRAFT_CHANGED)
    assert [m for m in env.wb.stats.messages_sent if m[1] == chat_id] == [
        (env.wb.stats.messages_sent[-1][0], chat_id, text)
    ]


async def test_moves_close_needs_reason_reopen_and_manual_tag(env: Env) -> None:
    chat_id = await _buyer_chat(env, "Лена", "Спасибо")
    with pytest.raises(ChatError) as no_reason:
        await env.service.move(chat_id, ChatStatus.CLOSED)
    assert no_reason.value.code is ChatErrorCode.REASON_REQUIRED
    await env.service.move(chat_id, ChatStatus.CLOSED, CompletionReason.OTHER)
    card = await env.service.card(chat_id)
    assert card.status is ChatStatus.CLOSED and card.completion_reason == "other"
    assert await env.service.reopen(chat_id) is ChatStatus.INBOX
    await env.service.set_tag(chat_id, "deletion_agreed")
    await env.service.set_tag(chat_id, "deletion_candidate")  # by hand: backwards is allowed
    assert (await env.service.card(chat_id)).tag == "deletion_candidate"
    with pytest.raises(ChatError):
        await env.service.set_tag(chat_id, "nonsense")


async def test_tagger_moves_the_deletion_funnel_forward_only(env: Env) -> None:
    chat_id = await _buyer_chat(env, "Ольга", "Пришёл брак")
    await env.service.set_tag(chat_id, "deletion_agreed")
    env.wb.state.client_message(chat_id, "Пришёл брак опять", at_ms=_now_ms() + 1000)
    await env.sync.sync_all(env.store, kinds=("chats",))
    report = await env.tagger.tag_store(env.store)
    assert report.tags[chat_id] == "deletion_candidate"
    assert (await env.service.card(chat_id)).tag == "deletion_agreed"


async def test_access_only_to_own_stores(env: Env, pool: asyncpg.Pool) -> None:
    chat_id = await _buyer_chat(env, "Вера", "Брак")
    stranger = await make_user(pool)
    assert await env.service.store_of(env.owner, chat_id) == env.store
    assert await env.service.store_of(stranger, chat_id) is None
    assert await env.service.store_of(env.owner, "1:nope") is None


async def test_leaving_awaiting_reply_by_hand_stops_the_sequence(env: Env) -> None:
    chat_id = await _buyer_chat(env, "Нина", "Брак")
    await env.service.move(chat_id, ChatStatus.AWAITING_REPLY)
    started = await sequences_repo.start_sequence(
        env.pool,
        chat_id,
        messages=[{"day": 1, "text": "Напоминаем о себе"}],
        sequence_type="no_reply_followup",
        next_send_at=datetime.now(UTC) + timedelta(days=1),
    )
    assert started is not None
    assert (await env.service.card(chat_id)).sequence is not None
    await env.service.move(chat_id, ChatStatus.IN_PROGRESS)
    row = await env.pool.fetchrow(
        "SELECT status, stop_reason FROM chat_auto_sequences WHERE id = $1", started
    )
    assert row is not None and (row["status"], row["stop_reason"]) == ("stopped", "manual")
    assert (await env.service.card(chat_id)).sequence is None


async def test_tagging_is_bounded_per_run(env: Env) -> None:
    first = await _buyer_chat(env, "Аня", "Брак")
    second = await _buyer_chat(env, "Боря", "Верните деньги")
    report = await env.tagger.tag_store(env.store, limit=1)
    assert list(report.tags) == [first]
    report = await env.tagger.tag_store(env.store, limit=1)
    assert list(report.tags) == [second]
    assert (await env.tagger.tag_store(env.store, limit=1)).tags == {}


async def test_column_pages_and_filters(env: Env) -> None:
    ids = [await _buyer_chat(env, f"Покупатель {i}", "Когда придёт?") for i in range(5)]
    seen: list[str] = []
    page = await env.service.column([env.store], ChatStatus.INBOX, size=2)
    while True:
        seen += [line.id for line in page.lines]
        if page.next_after is None:
            break
        page = await env.service.column(
            [env.store], ChatStatus.INBOX, size=2, after=page.next_after
        )
    assert seen == list(reversed(ids))  # newest message first, each once
    await env.service.set_tag(ids[0], "spam")
    spam = await env.service.column([env.store], ChatStatus.INBOX, tag="spam")
    assert [line.id for line in spam.lines] == [ids[0]]
    env.wb.state.seller_message(ids[1], "Завтра", at_ms=_now_ms() + 10_000)
    await env.sync.sync_all(env.store, kinds=("chats",))
    waiting = await env.service.column([env.store], ChatStatus.INBOX, waiting=True)
    assert ids[1] not in [line.id for line in waiting.lines]


async def test_card_shows_last_ten_messages_and_pages_older(env: Env) -> None:
    chat, _ = env.wb.state.new_chat("Кира", "сообщение 0", at_ms=_now_ms())
    for i in range(1, 15):
        env.wb.state.client_message(chat.chat_id, f"сообщение {i}", at_ms=_now_ms() + i)
    await env.sync.sync_all(env.store, kinds=("chats",))
    card = await env.service.card(chat.chat_id)
    assert [m.text for m in card.messages] == [f"сообщение {i}" for i in range(5, 15)]
    assert card.older is not None and card.buyer_messages == 15
    older = await env.service.card(chat.chat_id, before=card.older)
    assert [m.text for m in older.messages] == [f"сообщение {i}" for i in range(5)]
    assert older.older is None


async def test_the_card_knows_its_review_is_resolved(env: Env) -> None:
    """The chat card's linked review says whether it is resolved (here WB excluded it), so
    a draft asks nothing about it (`prompting.rules_block`)."""
    chat_id = await _buyer_chat(env, "Ирина", "Пришёл не тот цвет")
    nm_id = await env.pool.fetchval("SELECT product_nm_id FROM chats WHERE id = $1", chat_id)
    product = await env.pool.fetchval(
        "SELECT id FROM products WHERE store_id = $1 AND wb_product_id = $2", env.store, nm_id
    ) or await make_product(env.pool, env.store, nm_id=nm_id)
    review = await make_review(env.pool, product, rating=2, date=datetime.now(UTC) - timedelta(2))
    await env.pool.execute("UPDATE reviews SET author = 'Ирина' WHERE id = $1", review)
    card = await env.service.card(chat_id)
    assert card.review is not None and card.review.id == review and not card.review.resolved
    await env.pool.execute("UPDATE reviews SET review_status_wb = 'excluded' WHERE id = $1", review)
    card = await env.service.card(chat_id)
    assert card.review is not None and card.review.resolved
