"""Buyer questions (services/questions.py) against the WB emulator and the LLM stub."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest

from services.questions import PublishAction, QuestionError, QuestionErrorCode, QuestionService
from services.reviews import draft_fingerprint
from tests.fakes.wb.generator import generate_shop
from tests.support.store_env import StoreEnv, store_env


@dataclass
class Env(StoreEnv):
    service: QuestionService
    question: str


@pytest.fixture
async def env(pool: asyncpg.Pool) -> AsyncIterator[Env]:
    shop = generate_shop(7, reviews=0, products=3, questions=40, chats=0)
    async with store_env(pool, shop) as w:
        await w.sync_all("products", "questions")
        question = await pool.fetchval(
            "SELECT id FROM questions WHERE store_id = $1 AND is_answered IS NOT TRUE"
            " ORDER BY created_date DESC LIMIT 1",
            w.store,
        )
        assert question is not None
        yield Env.extend(w, service=QuestionService(pool, w.ai, w.factory), question=question)


async def test_list_is_unanswered_first_and_keyset_paged(env: Env) -> None:
    seen: list[str] = []
    flags: list[bool] = []
    after = None
    while True:
        page = await env.service.page(env.store, after, limit=7)
        seen += [i.id for i in page.items]
        flags += [i.answered for i in page.items]
        if page.next_after is None:
            break
        after = page.next_after
    total = await env.pool.fetchval("SELECT count(*) FROM questions WHERE store_id = $1", env.store)
    assert len(seen) == len(set(seen)) == total
    assert flags == sorted(flags)  # all unanswered before any answered
    assert False in flags and page.unanswered == flags.count(False)


async def test_card_carries_the_product_facts(env: Env) -> None:
    card = await env.service.card(env.question)
    assert card.product.name and card.product.wb_product_id
    assert card.product.id is not None  # the synced product card was found by nmId
    assert not card.answered and card.draft is None


async def test_answered_end_to_end_and_recorded_once_by_wb(env: Env) -> None:
    draft = await env.service.draft(env.question)
    assert draft.ok
    prompt = env.llm.requests[-1].body["messages"][-1]["content"]
    card = await env.service.card(env.question)
    assert card.product.name in prompt and card.text[:20] in prompt
    shown = draft_fingerprint(draft.text)
    results = await asyncio.gather(
        *(env.service.publish(env.question, shown=shown) for _ in range(4)),
        return_exceptions=True,
    )
    assert sum(1 for r in results if r == draft.text) == 1
    assert all(
        isinstance(r, QuestionError)
        and r.code in (QuestionErrorCode.BUSY, QuestionErrorCode.ALREADY_ANSWERED)
        for r in results
        if r != draft.text
    )
    answers = [p for p in env.wb.stats.question_patches if p[1] == env.question]
    assert len(answers) == 1 and answers[0][2]["answer"]["text"] == draft.text
    assert env.wb.state.questions[env.question].answer.text == draft.text  # type: ignore[union-attr]
    card = await env.service.card(env.question)
    assert card.answered and card.answer_text == draft.text and card.draft is None


async def test_a_changed_draft_is_not_sent(env: Env) -> None:
    await env.service.save_draft(env.question, "Здравствуйте! Размер соответствует таблице.")
    with pytest.raises(QuestionError) as exc:
        await env.service.publish(env.question, shown=draft_fingerprint("другой текст"))
    assert exc.value.code is QuestionErrorCode.DRAFT_CHANGED
    assert not env.wb.stats.question_patches


async def test_the_answer_sent_is_the_text_the_guard_read(env: Env) -> None:
    """Zero-width and bidi marks in a person's answer, or in a draft stored raw before the
    rule, never reach WB: the guard reads the cleaned text and that text is sent."""
    clean = "Здравствуйте! Размер соответствует таблице."
    raw = "Здравствуйте! Раз\u200bмер соответствует\u202e таблице."
    verdict = await env.service.save_draft(env.question, raw)
    assert verdict.ok and verdict.text == clean
    assert (await env.service.card(env.question)).draft == clean
    await env.pool.execute("UPDATE questions SET draft_reply = $2 WHERE id = $1", env.question, raw)
    assert await env.service.publish(env.question, shown=draft_fingerprint(raw)) == clean
    answers = [p for p in env.wb.stats.question_patches if p[1] == env.question]
    assert [a[2]["answer"]["text"] for a in answers] == [clean]


async def test_guard_refuses_a_phone_number(env: Env) -> None:
    text = "Здравствуйте! Позвоните нам: +7 999 123-45-67."
    assert not (await env.service.save_draft(env.question, text)).ok
    with pytest.raises(QuestionError) as exc:
        await env.service.publish(env.question, shown=draft_fingerprint(text))
    assert exc.value.code is QuestionErrorCode.GUARD
    assert not env.wb.stats.question_patches


async def test_reject_and_viewed(env: Env) -> None:
    await env.service.mark_viewed(env.question)
    assert env.wb.stats.question_patches[-1][2] == {"id": env.question, "wasViewed": True}
    text = "Вопрос не относится к товару."
    await env.service.save_draft(env.question, text)
    await env.service.publish(
        env.question, shown=draft_fingerprint(text), action=PublishAction.REJECT
    )
    assert env.wb.stats.question_patches[-1][2]["state"] == "none"
    assert (await env.service.card(env.question)).answered


async def test_a_publish_in_flight_elsewhere_stops_a_second_one(env: Env) -> None:
    text = "Здравствуйте! Материал указан в карточке товара."
    await env.service.save_draft(env.question, text)
    shown = draft_fingerprint(text)
    # another process has claimed the publish and is waiting for WB
    await env.pool.execute(
        "INSERT INTO question_publishes (question_id, state, action, text)"
        " VALUES ($1, 'publishing', 'answer', $2)",
        env.question,
        text,
    )
    with pytest.raises(QuestionError) as exc:
        await env.service.publish(env.question, shown=shown)
    assert exc.value.code is QuestionErrorCode.BUSY
    assert (await env.service.card(env.question)).publish_state == "publishing"
    # it died: after STALE_CLAIM the outcome is unknown, and only a confirmed press sends
    await env.pool.execute(
        "UPDATE question_publishes SET started_at = now() - interval '11 minutes'"
    )
    assert (await env.service.card(env.question)).publish_state == "unknown"
    with pytest.raises(QuestionError) as exc:
        await env.service.publish(env.question, shown=shown)
    assert exc.value.code is QuestionErrorCode.OUTCOME_UNKNOWN
    assert not env.wb.stats.question_patches
    await env.service.publish(env.question, shown=shown, confirm=True)
    assert len(env.wb.stats.question_patches) == 1
