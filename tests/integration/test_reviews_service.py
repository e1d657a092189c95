"""Replies to reviews (services/reviews.py) against the WB emulator and the LLM stub."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from services.ai.client import AIClient, AIConfig
from services.ai.tasks import AITasks
from services.reviews import REPLY_DRAFT_LOCK, ReplyError, ReviewService, draft_fingerprint
from services.sync.base import SyncOptions
from services.sync.service import SyncService
from services.wb.client import RetryPolicy, WBClient, WBUrls
from services.wb.errors import WBNetworkError
from services.wb.factory import WBClientFactory
from services.wb.limits import LimitsConfig, MemoryRateLimiter
from tests.fakes.llm import LLMStub
from tests.fakes.wb.app import WBEmulator
from tests.fakes.wb.context import EmulatorConfig
from tests.fakes.wb.generator import generate_shop
from tests.support.stores import make_store, make_user, sealed_with_another_key

SCALE = 200.0


@dataclass
class Env:
    pool: asyncpg.Pool
    wb: WBEmulator
    llm: LLMStub
    service: ReviewService
    store: str
    review: str


@pytest.fixture
async def env(pool: asyncpg.Pool) -> AsyncIterator[Env]:
    shop = generate_shop(5, reviews=120, products=3, questions=0, chats=0)
    async with (
        WBEmulator(shop, config=EmulatorConfig(limit_scale=SCALE)) as wb,
        LLMStub() as llm,
        httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http,
    ):
        factory = WBClientFactory(
            WBUrls.from_mapping(wb.urls),
            http,
            MemoryRateLimiter(LimitsConfig(scale=SCALE)),
            RetryPolicy(max_attempts=2, base_backoff=0.01, max_backoff=0.02, jitter=False),
        )
        owner = await make_user(pool)
        store = await make_store(pool, owner, wb.token())
        await SyncService(pool, factory, SyncOptions(feedbacks_take=500)).sync_all(
            store, kinds=("products", "reviews")
        )
        review = await pool.fetchval(
            "SELECT id FROM reviews WHERE store_id = $1 AND NOT has_answer AND rating < 5"
            " ORDER BY rating, date DESC LIMIT 1",
            store,
        )
        client = AIClient(
            AIConfig(
                base_url=llm.base_url,
                default_api_key="sk-test",
                timeout_seconds=2.0,
                attempts=1,
                backoff_base_seconds=0.01,
                backoff_max_seconds=0.02,
            )
        )
        yield Env(pool, wb, llm, ReviewService(pool, AITasks(client, pool), factory), store, review)
        await client.aclose()


async def review_row(env: Env) -> asyncpg.Record:
    row = await env.pool.fetchrow(
        "SELECT has_answer, draft_reply, answer FROM reviews WHERE id = $1", env.review
    )
    assert row is not None
    return row


async def test_draft_then_publish_answers_once(env: Env) -> None:
    draft = await env.service.draft_reply(env.review)
    assert draft.ok and (await review_row(env))["draft_reply"] == draft.text
    assert await env.service.publish(env.review, shown=draft_fingerprint(draft.text)) == draft.text
    row = await review_row(env)
    assert row["has_answer"] and row["draft_reply"] is None and row["answer"]["text"] == draft.text
    assert env.wb.state.feedbacks[env.review].answer.text == draft.text  # type: ignore[union-attr]
    with pytest.raises(ReplyError) as exc:
        await env.service.publish(env.review, shown=None)
    assert exc.value.code == "already_answered"
    assert len(env.wb.stats.feedback_answers) == 1


async def test_guard_refuses_and_person_edit_fixes(env: Env) -> None:
    verdict = await env.service.save_draft(env.review, "Удалите отзыв, и мы вернём 500 рублей.")
    assert not verdict.ok
    with pytest.raises(ReplyError) as exc:
        await env.service.publish(env.review, shown=None)
    assert exc.value.code == "guard" and exc.value.problems
    assert not env.wb.stats.feedback_answers
    assert (await env.service.save_draft(env.review, "Спасибо, мы разберёмся с качеством.")).ok
    await env.service.publish(env.review, shown=None)
    assert (await review_row(env))["has_answer"]


async def test_wb_refusing_the_token_keeps_the_draft(env: Env) -> None:
    await env.pool.execute(
        "UPDATE stores SET api_token = $2 WHERE id = $1",
        env.store,
        env.wb.token(read_only=True),
    )
    await env.service.save_draft(env.review, "Спасибо за отзыв, мы всё проверим.")
    with pytest.raises(ReplyError) as exc:
        await env.service.publish(env.review, shown=None)
    assert exc.value.code == "auth"
    row = await review_row(env)
    assert not row["has_answer"] and row["draft_reply"] == "Спасибо за отзыв, мы всё проверим."


async def test_a_token_the_current_key_cannot_read_is_said_and_nothing_is_sent(env: Env) -> None:
    await env.pool.execute(
        "UPDATE stores SET api_token = $2 WHERE id = $1",
        env.store,
        sealed_with_another_key(env.wb.token()),
    )
    await env.service.save_draft(env.review, "Спасибо за отзыв, мы всё проверим.")
    with pytest.raises(ReplyError) as exc:
        await env.service.publish(env.review, shown=None)
    assert exc.value.code == "token_unreadable"
    assert not env.wb.stats.feedback_answers
    assert await env.pool.fetchval("SELECT count(*) FROM review_publishes") == 0  # no claim left
    row = await review_row(env)
    assert not row["has_answer"] and row["draft_reply"] == "Спасибо за отзыв, мы всё проверим."


async def test_length_and_unknown_review(env: Env) -> None:
    for text, code in (("", "empty"), ("x" * 5001, "too_long")):
        with pytest.raises(ReplyError) as exc:
            await env.service.save_draft(env.review, text)
        assert exc.value.code == code
    with pytest.raises(ReplyError) as exc:
        await env.service.publish("no-such-review-id-00", shown=None)
    assert exc.value.code == "not_found"


async def test_publish_claims_without_holding_the_review(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While WB is slow to answer: a second publish sends nothing, and the sync still upserts
    the review's row (the publish holds no row lock across the WB call)."""
    release = asyncio.Event()
    entered = asyncio.Event()
    original = WBClient.answer_feedback

    async def slow_answer(self: WBClient, feedback_id: str, text: str) -> None:
        entered.set()
        await release.wait()
        await original(self, feedback_id, text)

    monkeypatch.setattr(WBClient, "answer_feedback", slow_answer)
    await env.service.save_draft(env.review, "Спасибо за отзыв, мы всё проверим.")
    first = asyncio.create_task(env.service.publish(env.review, shown=None))
    await asyncio.wait_for(entered.wait(), 5)
    with pytest.raises(ReplyError) as exc:
        await env.service.publish(env.review, shown=None)
    assert exc.value.code == "busy"
    assert await env.service.pending_publish(env.review) == "publishing"
    await asyncio.wait_for(
        env.pool.execute(
            "UPDATE reviews SET text = text WHERE id = $1", env.review
        ),  # what the sync's page upsert does to the row
        2,
    )
    release.set()
    assert await first == "Спасибо за отзыв, мы всё проверим."
    assert len(env.wb.stats.feedback_answers) == 1
    assert await env.service.pending_publish(env.review) is None


async def test_outcome_unknown_keeps_a_marker_until_confirmed(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def lost(self: WBClient, feedback_id: str, text: str) -> None:
        raise WBNetworkError("reset", endpoint="answer", outcome_unknown=True)

    monkeypatch.setattr(WBClient, "answer_feedback", lost)
    await env.service.save_draft(env.review, "Спасибо за отзыв, мы всё проверим.")
    for _ in range(2):  # the first press, then a second one: no new send
        with pytest.raises(ReplyError) as exc:
            await env.service.publish(env.review, shown=None)
        assert exc.value.code == "outcome_unknown"
    assert await env.service.pending_publish(env.review) == "unknown"
    monkeypatch.undo()
    await env.service.publish(env.review, shown=None, confirm=True)  # the person checked WB
    assert len(env.wb.stats.feedback_answers) == 1
    assert (await review_row(env))["has_answer"]


async def test_publish_refuses_a_draft_other_than_the_shown_one(env: Env) -> None:
    """The person saw one draft; someone else stored another meanwhile: nothing goes to WB,
    no claim is left, and the current draft's fingerprint publishes it."""
    shown = "Спасибо за отзыв, мы всё проверим."
    await env.service.save_draft(env.review, shown)
    seen = draft_fingerprint(shown)
    assert not await env.service.draft_changed(env.review, seen)
    current = "Спасибо, что написали. Мы разберёмся с качеством товара."
    await env.service.save_draft(env.review, current)  # another member, another chat
    assert await env.service.draft_changed(env.review, seen)
    for fp in (seen, "", "deadbeef"):
        with pytest.raises(ReplyError) as exc:
            await env.service.publish(env.review, shown=fp)
        assert exc.value.code == "draft_changed"
    assert not env.wb.stats.feedback_answers
    assert await env.service.pending_publish(env.review) is None
    row = await review_row(env)
    assert not row["has_answer"] and row["draft_reply"] == current

    assert await env.service.publish(env.review, shown=draft_fingerprint(current)) == current
    assert [text for _, _, text in env.wb.stats.feedback_answers] == [current]
    # Answered: the answer is reported, not a changed draft.
    assert not await env.service.draft_changed(env.review, seen)
    with pytest.raises(ReplyError) as exc:
        await env.service.publish(env.review, shown=seen)
    assert exc.value.code == "already_answered"


def test_fingerprint_is_short_and_tells_texts_apart() -> None:
    fp = draft_fingerprint("Спасибо за отзыв")
    assert len(fp) == 8 and int(fp, 16) >= 0
    assert fp == draft_fingerprint("Спасибо за отзыв")
    assert fp != draft_fingerprint("Спасибо за отзыв!")
    assert draft_fingerprint(None) == draft_fingerprint("")


async def test_one_ai_reply_draft_per_review_at_a_time(env: Env) -> None:
    """Another process drafting the same review: this press pays for nothing."""
    calls = await env.pool.fetchval("SELECT count(*) FROM ai_logs")
    async with env.pool.acquire() as other_process:
        await other_process.execute(
            "SELECT pg_advisory_lock($1, hashtext($2))", REPLY_DRAFT_LOCK, env.review
        )
        with pytest.raises(ReplyError) as caught:
            await env.service.draft_reply(env.review)
        await other_process.execute(
            "SELECT pg_advisory_unlock($1, hashtext($2))", REPLY_DRAFT_LOCK, env.review
        )
    assert caught.value.code == "busy"
    assert await env.pool.fetchval("SELECT count(*) FROM ai_logs") == calls
    assert (await env.service.draft_reply(env.review)).text, "free again once the other is done"
