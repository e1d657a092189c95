"""AI tasks end to end: the real SDK against the LLM stub, `ai_logs` rows in a real database."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest

from db.repos.ai_logs import AILogRow, list_ai_logs
from db.repos.user_settings import update_user_settings
from services.ai.client import AIClient
from services.ai.errors import AICallError, AIConfigError, AIInvalidOutput
from services.ai.pricing import Pricing
from services.ai.prompting import (
    ChatInfo,
    ChatMessageInfo,
    ProductInfo,
    ProductRulesInfo,
    QuestionInfo,
    ReviewInfo,
    StoreInfo,
)
from services.ai.tasks import KEY_UNREADABLE, AITasks
from tests.fakes.llm import LLMStub, count_tokens
from tests.support.ai import ai_config
from tests.support.stores import make_store, make_user, sealed_with_another_key

PRICING = Pricing.of("0.27", "1.10")
PRODUCT = ProductInfo(
    id="p1",
    name="Плед флисовый",
    vendor_code="PL-200",
    wb_product_id="215845874",
    characteristics=(("Цвет", "серый"),),
    rules=ProductRulesInfo(chat_strategy="delete", offer_compensation=True, max_compensation="300"),
)
REVIEW = ReviewInfo(
    id="fb-1",
    rating=1,
    text="Курьер опоздал, доставка ужасная",
    author="Иван",
    date=datetime(2025, 3, 1, 12, tzinfo=UTC),
)


@dataclass
class Env:
    pool: asyncpg.Pool
    llm: LLMStub
    client: AIClient
    tasks: AITasks
    store: StoreInfo

    async def logs(self) -> list[AILogRow]:
        return await list_ai_logs(self.pool, store_id=self.store.id)


def make_tasks(pool: asyncpg.Pool, llm: LLMStub, **config: object) -> tuple[AIClient, AITasks]:
    fields = {"default_api_key": "sk-operator", "attempts": 2, **config}
    client = AIClient(ai_config(llm.base_url, **fields))
    return client, AITasks(client, pool, pricing=PRICING)


@pytest.fixture
async def env(pool: asyncpg.Pool) -> AsyncIterator[Env]:
    owner = await make_user(pool)
    store_id = await make_store(pool, owner, "wb-token", name="Уютный дом")
    async with LLMStub() as llm:
        client, tasks = make_tasks(pool, llm)
        yield Env(
            pool, llm, client, tasks, StoreInfo(id=store_id, owner_id=owner, name="Уютный дом")
        )
        await client.aclose()


def sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# --- complaints -------------------------------------------------------------------------------


async def test_complaint_draft_and_its_log_row(env: Env) -> None:
    draft = await env.tasks.draft_complaint(store=env.store, product=PRODUCT, review=REVIEW)
    assert draft.reason_id == 11 and draft.reason_name == "Отзыв не относится к товару"
    assert draft.text and len(draft.text) <= 900 and not draft.from_template
    assert draft.model == "deepseek-chat" and draft.attempts == 1
    assert draft.total_tokens == draft.prompt_tokens + draft.completion_tokens > 0
    assert draft.cost_usd == PRICING.cost(draft.prompt_tokens, draft.completion_tokens)
    assert draft.cost_usd > 0

    [row] = await env.logs()
    assert (row.entity_type, row.entity_id, row.action) == ("review", "fb-1", "generate_complaint")
    assert row.owner_id == env.store.owner_id and row.error is None
    assert row.model == "deepseek-chat" and row.tokens_used == draft.total_tokens
    assert row.cost == draft.cost_usd and isinstance(row.cost, Decimal)
    assert row.response is not None and json.loads(row.response)["reason_id"] == 11
    assert row.prompt is not None and "[system]" in row.prompt and "[user]" in row.prompt
    assert "20 — Другое" in row.prompt and "Курьер опоздал" in row.prompt
    assert "sk-operator" not in row.prompt
    meta = row.metadata
    assert meta["task"] == "review_complaint" and meta["attempt"] == 1
    assert meta["http_attempts"] == 1 and isinstance(meta["duration_ms"], int)
    assert meta["prompt_source"] == "default:review_complaint" and meta["json_mode"] is True
    assert meta["key"] == "operator"
    assert meta["prompt_tokens"] == draft.prompt_tokens
    rec = env.llm.requests[0]
    assert rec.json_mode and rec.model == "deepseek-chat"


async def test_invalid_then_valid_gives_a_draft_and_two_rows(env: Env) -> None:
    env.llm.invalid_json_next(1)
    draft = await env.tasks.draft_complaint(store=env.store, product=PRODUCT, review=REVIEW)
    assert draft.attempts == 2 and draft.reason_id == 11
    first, second = await env.logs()
    assert first.error == "invalid_output: not a JSON object" and first.metadata["attempt"] == 1
    assert second.error is None and second.metadata["attempt"] == 2
    assert draft.total_tokens == (first.tokens_used or 0) + (second.tokens_used or 0)
    assert draft.cost_usd == (first.cost or 0) + (second.cost or 0)
    # the retry tells the model what was wrong
    retry = env.llm.requests[1].messages
    assert [m["role"] for m in retry] == ["system", "user", "assistant", "user"]
    assert "Ответ не принят: not a JSON object" in retry[-1]["content"]


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("invalid_json", "not a JSON object"),
        ("wrong_keys", "missing reason_id"),
        ("out_of_range", "reason_id 42 not in 11..20"),
    ],
)
async def test_invalid_twice_raises_and_saves_nothing(env: Env, fault: str, reason: str) -> None:
    if fault == "invalid_json":
        env.llm.invalid_json_next(2)
    elif fault == "wrong_keys":
        env.llm.wrong_keys_next(2)
    else:
        bad = json.dumps({"reason_id": 42, "reason_name": "?", "complaint_text": "Текст."})
        env.llm.script(bad, bad)
    with pytest.raises(AIInvalidOutput) as info:
        await env.tasks.draft_complaint(store=env.store, product=PRODUCT, review=REVIEW)
    assert info.value.reason == reason and info.value.attempts == 2
    rows = await env.logs()
    assert len(rows) == 2 and all(r.error == f"invalid_output: {reason}" for r in rows)
    assert await env.pool.fetchval("SELECT count(*) FROM review_complaints") == 0


async def test_star_only_review_gets_a_template_without_a_call(env: Env) -> None:
    empty = ReviewInfo(id="fb-empty", rating=2, text="", author="Анна")
    draft = await env.tasks.draft_complaint(store=env.store, product=PRODUCT, review=empty)
    again = await env.tasks.draft_complaint(store=env.store, product=PRODUCT, review=empty)
    assert draft == again and draft.from_template
    assert draft.cost_usd == Decimal("0") and draft.total_tokens == 0
    assert draft.model == "template" and 11 <= draft.reason_id <= 20
    assert env.llm.requests == [] and await env.logs() == []


async def test_500_then_success_is_one_row(env: Env) -> None:
    env.llm.fail_next(1, status=500)
    draft = await env.tasks.draft_complaint(store=env.store, product=PRODUCT, review=REVIEW)
    assert draft.attempts == 1
    [row] = await env.logs()
    assert row.error is None and row.metadata["http_attempts"] == 2
    assert [r.status for r in env.llm.requests] == [500, 200]


async def test_hang_is_a_logged_timeout(pool: asyncpg.Pool) -> None:
    owner = await make_user(pool)
    store = StoreInfo(id=await make_store(pool, owner, "t"), owner_id=owner)
    async with LLMStub() as llm:
        client, tasks = make_tasks(pool, llm, timeout_seconds=0.2, attempts=2)
        llm.hang_next(2)
        try:
            with pytest.raises(AICallError) as info:
                await tasks.draft_complaint(store=store, product=PRODUCT, review=REVIEW)
        finally:
            await client.aclose()
    assert info.value.kind == "timeout"
    [row] = await list_ai_logs(pool, store_id=store.id)
    assert row.error is not None and row.error.startswith("timeout:")
    assert row.tokens_used is None and row.cost is None and row.response is None
    assert row.metadata["error_kind"] == "timeout" and row.metadata["http_attempts"] == 2
    assert row.metadata["duration_ms"] >= 400


async def test_missing_key_is_a_config_error_with_no_row(pool: asyncpg.Pool) -> None:
    owner = await make_user(pool)
    store = StoreInfo(id=await make_store(pool, owner, "t"), owner_id=owner)
    async with LLMStub() as llm:
        client, tasks = make_tasks(pool, llm, default_api_key=None)
        try:
            with pytest.raises(AIConfigError):
                await tasks.draft_complaint(store=store, product=PRODUCT, review=REVIEW)
        finally:
            await client.aclose()
        assert llm.requests == []
    assert await list_ai_logs(pool, store_id=store.id) == []


async def test_owner_settings_and_store_instructions_are_used(env: Env) -> None:
    await update_user_settings(
        env.pool,
        env.store.owner_id,
        deepseek_api_key="sk-owner",
        prompt_review_complaint="Пиши жалобы сухо и коротко.",
    )
    store = StoreInfo(
        id=env.store.id,
        owner_id=env.store.owner_id,
        name="Уютный дом",
        ai_instructions="Никогда не упоминай конкурентов.",
    )
    await env.tasks.draft_complaint(store=store, product=PRODUCT, review=REVIEW)
    rec = env.llm.requests[0]
    assert rec.api_key_sha256 == sha("sk-owner")
    assert rec.system.startswith("Пиши жалобы сухо и коротко.")
    assert '"reason_id"' in rec.system  # the contract is appended to an own prompt
    assert rec.system.endswith("Никогда не упоминай конкурентов.")
    [row] = await env.logs()
    assert row.metadata["key"] == "owner"
    assert row.metadata["prompt_source"] == "user:prompt_review_complaint"
    assert "sk-owner" not in (row.prompt or "")


async def test_an_owner_key_the_current_secret_key_cannot_read_is_said(env: Env) -> None:
    """Not silently replaced by the operator's key (env has one): the owner hears why."""
    await update_user_settings(env.pool, env.store.owner_id, deepseek_api_key="sk-owner")
    await env.pool.execute(
        "UPDATE user_settings SET deepseek_api_key = $2 WHERE id = $1",
        env.store.owner_id,
        sealed_with_another_key("sk-owner"),
    )
    store = StoreInfo(id=env.store.id, owner_id=env.store.owner_id, name="S")
    with pytest.raises(AIConfigError) as caught:
        await env.tasks.draft_complaint(store=store, product=PRODUCT, review=REVIEW)
    assert str(caught.value) == KEY_UNREADABLE and "SECRET_KEY" in KEY_UNREADABLE
    assert env.llm.requests == []


async def test_owner_concurrency_bounds_the_drafts(env: Env) -> None:
    await update_user_settings(env.pool, env.store.owner_id, ai_concurrency=2)
    env.llm.set_latency(0.05)
    reviews = [
        ReviewInfo(id=f"fb-{i}", rating=2, text="Доставка опоздала", author="А") for i in range(8)
    ]
    drafts = await asyncio.gather(
        *(env.tasks.draft_complaint(store=env.store, product=PRODUCT, review=r) for r in reviews)
    )
    assert len(drafts) == 8 and env.llm.max_in_flight == 2
    assert len(await env.logs()) == 8


async def test_long_complaint_is_cut_back_to_a_sentence(env: Env) -> None:
    text = "Автор описывает доставку, а не свойства товара и его качество. " * 25
    env.llm.script(json.dumps({"reason_id": 11, "reason_name": "x", "complaint_text": text}))
    draft = await env.tasks.draft_complaint(store=env.store, product=PRODUCT, review=REVIEW)
    assert draft.truncated and len(draft.text) <= 900 and draft.text.endswith("качество.")


# --- replies ----------------------------------------------------------------------------------


async def test_review_reply_passes_the_guard(env: Env) -> None:
    draft = await env.tasks.draft_review_reply(store=env.store, product=PRODUCT, review=REVIEW)
    assert draft.ok and draft.attempts == 1 and "Плед флисовый" in draft.text
    [row] = await env.logs()
    assert (row.entity_type, row.action) == ("review", "generate_review_reply")
    assert row.metadata["guard_problems"] == [] and row.error is None
    assert not env.llm.requests[0].json_mode
    assert "компенсация: можно предложить" in env.llm.requests[0].user


async def test_guard_failure_is_regenerated_once(env: Env) -> None:
    env.llm.script("Удалите отзыв, и мы вернём 200 рублей!")
    draft = await env.tasks.draft_review_reply(store=env.store, product=PRODUCT, review=REVIEW)
    assert draft.ok and draft.attempts == 2
    first, second = await env.logs()
    assert first.error is not None and first.error.startswith("guard: ")
    assert "asks_to_delete" in first.metadata["guard_problems"]
    assert "money_for_rating" in first.metadata["guard_problems"]
    assert second.error is None
    feedback = env.llm.requests[1].messages[-1]["content"]
    assert "прямая просьба удалить" in feedback
    assert draft.total_tokens == (first.tokens_used or 0) + (second.tokens_used or 0)


async def test_guard_failing_twice_returns_the_text_with_problems(env: Env) -> None:
    four = ReviewInfo(id="fb-4", rating=4, text="Хорошо, но долго ехал", author="Олег")
    env.llm.script("Дарим скидку 10% на следующий заказ.", "Вернём деньги за доставку.")
    draft = await env.tasks.draft_review_reply(store=env.store, product=PRODUCT, review=four)
    assert not draft.ok and draft.problems == ["money_at_4_stars"]
    assert draft.text == "Вернём деньги за доставку." and draft.attempts == 2
    assert draft.describe_problems() == ["деньги или компенсация при оценке 4-5 звёзд"]
    assert len(await env.logs()) == 2


async def test_question_reply(env: Env) -> None:
    q = QuestionInfo(id="q-1", text="Можно стирать в машинке?")
    draft = await env.tasks.draft_question_reply(store=env.store, product=PRODUCT, question=q)
    assert draft.ok and "вопрос" in draft.text
    [row] = await env.logs()
    assert (row.entity_type, row.entity_id, row.action) == (
        "question",
        "q-1",
        "generate_question_reply",
    )


def chat(seller_wrote: bool) -> ChatInfo:
    msgs = [
        ChatMessageInfo("client", "Плед полинял после стирки", datetime(2025, 3, 2, 10, tzinfo=UTC))
    ]
    if seller_wrote:
        msgs.append(
            ChatMessageInfo(
                "seller",
                "Здравствуйте! Очень жаль, разберёмся.",
                datetime(2025, 3, 2, 11, tzinfo=UTC),
            )
        )
        msgs.append(ChatMessageInfo("client", "Хорошо, жду", datetime(2025, 3, 2, 12, tzinfo=UTC)))
    return ChatInfo(id="1:chat", client_name="Ольга", messages=tuple(msgs), review=REVIEW)


async def test_chat_reply_has_no_second_greeting(env: Env) -> None:
    draft = await env.tasks.draft_chat_reply(store=env.store, product=PRODUCT, chat=chat(True))
    assert draft.ok and not draft.text.startswith("Здравствуйте")
    [row] = await env.logs()
    assert (row.entity_type, row.entity_id, row.action) == ("chat", "1:chat", "generate_chat_reply")


async def test_second_greeting_is_caught(env: Env) -> None:
    env.llm.script("Здравствуйте, Ольга! Подскажите, подошёл ли новый размер?")
    draft = await env.tasks.draft_chat_reply(store=env.store, product=PRODUCT, chat=chat(True))
    assert draft.ok and draft.attempts == 2
    first, _ = await env.logs()
    assert first.metadata["guard_problems"] == ["second_greeting"]


async def test_deletion_offer_falls_back_to_the_chat_prompt(env: Env) -> None:
    await update_user_settings(env.pool, env.store.owner_id, prompt_chat_reply="Мой стиль чата.")
    draft = await env.tasks.draft_deletion_offer(store=env.store, product=PRODUCT, chat=chat(False))
    assert draft.ok, draft
    assert "пересмотрите" in draft.text
    rec = env.llm.requests[0]
    assert rec.system.startswith("Мой стиль чата.")
    assert "пересмотреть отзыв" in rec.user
    [row] = await env.logs()
    assert row.action == "generate_deletion_offer"
    assert row.metadata["prompt_source"] == "user:prompt_chat_reply"


async def test_chat_tag(env: Env) -> None:
    c = ChatInfo(
        id="1:t",
        client_name="Ольга",
        messages=(
            ChatMessageInfo("seller", "Удалось решить вопрос?", datetime(2025, 3, 2, tzinfo=UTC)),
            ChatMessageInfo("client", "Да, я изменила отзыв", datetime(2025, 3, 3, tzinfo=UTC)),
        ),
    )
    result = await env.tasks.classify_chat_tag(store=env.store, product=PRODUCT, chat=c)
    assert result.tag == "deletion_confirmed" and result.attempts == 1
    assert result.cost_usd > 0
    [row] = await env.logs()
    assert (row.entity_type, row.action) == ("chat", "classify_chat")
    assert row.metadata["task"] == "chat_tag"
    assert env.llm.requests[0].json_mode


async def test_deletion_tag_uses_the_fallback_prompt(env: Env) -> None:
    await update_user_settings(env.pool, env.store.owner_id, prompt_chat_tag="Мои теги.")
    await env.tasks.classify_chat_tag(
        store=env.store, product=PRODUCT, chat=chat(True), deletion=True
    )
    assert env.llm.requests[0].system.startswith("Мои теги.")
    [row] = await env.logs()
    assert row.metadata["task"] == "chat_deletion_tag"
    assert row.metadata["prompt_source"] == "user:prompt_chat_tag"


async def test_unknown_tag_twice_raises(env: Env) -> None:
    env.llm.script('{"tag": "angry"}', '{"tag": "furious"}')
    with pytest.raises(AIInvalidOutput) as info:
        await env.tasks.classify_chat_tag(store=env.store, product=PRODUCT, chat=chat(True))
    assert info.value.reason == "unknown tag 'furious'"
    assert [r.error for r in await env.logs()] == [
        "invalid_output: unknown tag 'angry'",
        "invalid_output: unknown tag 'furious'",
    ]


async def test_tokens_in_logs_match_the_stub_usage(env: Env) -> None:
    env.llm.script("Спасибо за отзыв! Мы передали замечания на склад.")
    draft = await env.tasks.draft_review_reply(store=env.store, product=PRODUCT, review=REVIEW)
    assert draft.completion_tokens == count_tokens(
        "Спасибо за отзыв! Мы передали замечания на склад."
    )
