"""AI settings service: the key checked with one call and stored sealed, prompts set / reset /
previewed on a real review, the audit (never the key), the monthly cap and the month's spend."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest

from db.repos.ai_settings import audit_rows, insert_audit
from db.repos.user_settings import get_user_settings
from services.ai.client import AIClient
from services.ai.errors import AIBudgetExceeded, AIErrorCode
from services.ai.pricing import Pricing
from services.ai.prompting import ProductInfo, ReviewInfo, StoreInfo
from services.ai.tasks import AITasks
from services.ai_settings import (
    AISettingsError,
    AISettingsErrorCode,
    AISettingsService,
    PromptKind,
    default_prompt,
)
from services.complaints import ComplaintService
from tests.fakes.llm import LLMStub
from tests.support.ai import ai_config
from tests.support.stores import make_product, make_review, make_store, make_user

KEY = "sk-h12userkey0123456789abcdef"


@dataclass
class Env:
    pool: asyncpg.Pool
    llm: LLMStub
    ai: AITasks
    service: AISettingsService
    owner: str
    store: str


@pytest.fixture
async def env(pool: asyncpg.Pool) -> AsyncIterator[Env]:
    owner = await make_user(pool)
    store = await make_store(pool, owner, "wb-token", name="Уютный дом")
    async with LLMStub() as llm:
        client = AIClient(ai_config(llm.base_url, default_api_key="sk-operator"))
        ai = AITasks(client, pool, pricing=Pricing.of("0.27", "1.10"))
        service = AISettingsService(pool, client, ai, ComplaintService(pool, ai))
        yield Env(pool, llm, ai, service, owner, store)
        await client.aclose()


async def test_key_checked_with_one_call_stored_sealed_masked_and_audited_without_it(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    masked = await env.service.set_key(env.owner, f"  {KEY}\n")
    assert masked == "sk-h…cdef"
    assert len(env.llm.requests) == 1
    assert env.llm.requests[0].api_key_sha256 == hashlib.sha256(KEY.encode()).hexdigest()
    assert env.llm.requests[0].body["max_tokens"] == 1
    stored = await env.pool.fetchval(
        "SELECT deepseek_api_key FROM user_settings WHERE id = $1", env.owner
    )
    assert KEY not in stored  # sealed at rest
    row = await get_user_settings(env.pool, env.owner)
    assert row is not None and row.deepseek_api_key == KEY
    assert (await env.service.overview(env.owner)).masked_key == "sk-h…cdef"

    await env.service.remove_key(env.owner)
    row = await get_user_settings(env.pool, env.owner)
    assert row is not None and row.deepseek_api_key is None
    audit = await audit_rows(env.pool, env.owner)
    assert [(a.field, a.action) for a in audit] == [
        ("deepseek_api_key", "removed"),
        ("deepseek_api_key", "set"),
    ]
    dump = await env.pool.fetchval("SELECT string_agg(t::text, ' ') FROM ai_settings_audit t")
    assert KEY not in dump
    assert KEY not in caplog.text


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, AISettingsErrorCode.KEY_REJECTED),
        (402, AISettingsErrorCode.KEY_NO_BALANCE),
        (500, AISettingsErrorCode.KEY_UNREACHABLE),
    ],
)
async def test_a_key_the_provider_refuses_is_not_stored(
    env: Env, status: int, code: AISettingsErrorCode
) -> None:
    env.llm.fail_next(1, status=status)
    with pytest.raises(AISettingsError) as err:
        await env.service.set_key(env.owner, KEY)
    assert err.value.code is code
    assert KEY not in str(err.value)
    row = await get_user_settings(env.pool, env.owner)
    assert row is None or row.deepseek_api_key is None
    assert await audit_rows(env.pool, env.owner) == []


async def test_bad_key_format_makes_no_call(env: Env) -> None:
    for bad in ("", "short", "sk-with spaces inside the key 123", "ключ-кириллицей-12345678"):
        with pytest.raises(AISettingsError) as err:
            await env.service.set_key(env.owner, bad)
        assert err.value.code is AISettingsErrorCode.KEY_FORMAT
    assert env.llm.requests == []


async def test_concurrency_is_clamped_and_audited(env: Env) -> None:
    assert await env.service.set_concurrency(env.owner, 500) == 50
    assert await env.service.set_concurrency(env.owner, 0) == 1
    audit = await audit_rows(env.pool, env.owner)
    assert [(a.old_value, a.new_value) for a in audit] == [("50", "1"), ("5", "50")]


async def test_prompt_set_preview_reset(env: Env) -> None:
    product = await make_product(env.pool, env.store)
    await make_review(env.pool, product, rating=2, text="Плед линяет после стирки")
    kind = PromptKind.REVIEW_REPLY
    view = await env.service.prompt(env.owner, kind)
    assert not view.custom and view.text == default_prompt(kind)

    mine = "Отвечай очень коротко и по-доброму. МАРКЕР-ПРЕВЬЮ"
    preview = await env.service.preview(env.owner, kind, mine)
    assert "Плед линяет" in preview.sample
    assert preview.output
    assert "МАРКЕР-ПРЕВЬЮ" in env.llm.requests[-1].system
    # A preview saves nothing.
    assert not (await env.service.prompt(env.owner, kind)).custom

    saved = await env.service.set_prompt(env.owner, kind, mine + "\x00")
    assert saved.custom and saved.text == mine
    assert (await env.service.overview(env.owner)).custom_prompts == (kind,)
    reset = await env.service.reset_prompt(env.owner, kind)
    assert not reset.custom
    audit = await audit_rows(env.pool, env.owner)
    assert [(a.field, a.action, a.old_value, a.new_value) for a in audit] == [
        ("prompt_review_reply", "reset", mine, None),
        ("prompt_review_reply", "set", None, mine),
    ]


async def test_preview_without_a_sample_says_so(env: Env) -> None:
    with pytest.raises(AISettingsError) as err:
        await env.service.preview(env.owner, PromptKind.CHAT_REPLY, "Пиши вежливо")
    assert err.value.code is AISettingsErrorCode.NO_SAMPLE
    with pytest.raises(AISettingsError) as err:
        await env.service.set_prompt(env.owner, PromptKind.CHAT_REPLY, " \n ")
    assert err.value.code is AISettingsErrorCode.PROMPT_EMPTY


async def test_store_instructions_audited_with_store(env: Env) -> None:
    assert await env.service.set_instructions(env.owner, env.store, "Всегда на «вы»") == (
        "Всегда на «вы»"
    )
    assert await env.service.instructions(env.store) == "Всегда на «вы»"
    (row,) = await audit_rows(env.pool, env.owner)
    assert (row.store_id, row.field, row.new_value) == (
        env.store,
        "ai_instructions",
        "Всегда на «вы»",
    )


async def _log_cost(env: Env, cost: str, task: str = "review_reply") -> None:
    await env.pool.execute(
        """INSERT INTO ai_logs (store_id, owner_id, entity_type, entity_id, action, cost,
                                metadata)
           VALUES ($1, $2, 'review', 'x', 'generate_reply', $3, jsonb_build_object('task', $4::text))""",
        env.store,
        env.owner,
        Decimal(cost),
        task,
    )


async def test_cap_stops_paid_drafting_but_not_templates(env: Env) -> None:
    store = StoreInfo(id=env.store, owner_id=env.owner, name="Уютный дом")
    product = ProductInfo(name="Плед")
    review = ReviewInfo(
        id="r1", rating=1, text="Плохо", author="Иван", date=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert await env.service.set_cap(env.owner, "0,50") == Decimal("0.50")
    await _log_cost(env, "0.30")
    await env.ai.draft_review_reply(store=store, product=product, review=review)  # under the cap
    await _log_cost(env, "0.30")
    calls = len(env.llm.requests)
    with pytest.raises(AIBudgetExceeded) as err:
        await env.ai.draft_review_reply(store=store, product=product, review=review)
    assert err.value.code is AIErrorCode.BUDGET_REACHED
    assert "лимит" in str(err.value)
    assert len(env.llm.requests) == calls  # no paid call
    star_only = ReviewInfo(
        id="r2", rating=1, text="", author="Иван", date=datetime(2026, 1, 1, tzinfo=UTC)
    )
    draft = await env.ai.draft_complaint(store=store, product=product, review=star_only)
    assert draft.total_tokens == 0  # the template still works
    # Removing the cap lets drafting go on.
    assert await env.service.set_cap(env.owner, "нет") is None
    await env.ai.draft_review_reply(store=store, product=product, review=review)
    with pytest.raises(AISettingsError):
        await env.service.set_cap(env.owner, "-3")


async def test_spend_by_task_and_store_this_month(env: Env) -> None:
    other = await make_store(env.pool, env.owner, "t2", name="Второй")
    await _log_cost(env, "0.10")
    await _log_cost(env, "0.15")
    await _log_cost(env, "0.05", task="review_complaint")
    await env.pool.execute(
        """INSERT INTO ai_logs (store_id, owner_id, entity_type, entity_id, action, cost,
                                metadata, created_at)
           VALUES ($1, $2, 'review', 'x', 'generate_reply', 9, '{"task":"review_reply"}',
                   now() - interval '40 days')""",
        other,
        env.owner,
    )
    await insert_audit(env.pool, env.owner, "ai_monthly_cap_usd", "set", new="1.00")
    spend = await env.service.spend(env.owner)
    assert spend.total == Decimal("0.30") and spend.calls == 3
    assert [(x.task, x.store, x.calls, x.cost) for x in spend.lines] == [
        ("review_reply", "Уютный дом", 2, Decimal("0.25")),
        ("review_complaint", "Уютный дом", 1, Decimal("0.05")),
    ]


async def test_preview_respects_the_cap(env: Env) -> None:
    product = await make_product(env.pool, env.store)
    await make_review(env.pool, product, rating=2, text="Плед линяет после стирки")
    await env.service.set_cap(env.owner, "0")
    with pytest.raises(AISettingsError) as err:
        await env.service.preview(env.owner, PromptKind.REVIEW_REPLY, "Пиши коротко")
    assert err.value.code is AISettingsErrorCode.CAP_REACHED
    assert env.llm.requests == []
