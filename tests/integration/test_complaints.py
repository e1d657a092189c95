"""The complaint workflow: gates, lifecycle, concurrency, batch drafting (LLM stub, real DB)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from db.pool import create_pool
from db.repos.leases import LeaseKind, claim_lease
from db.repos.user_settings import update_user_settings
from services.ai.client import AIClient
from services.ai.errors import AIError
from services.ai.pricing import Pricing
from services.ai.tasks import AITasks
from services.complaints import ComplaintError, ComplaintService, complaint_fingerprint
from tests.fakes.llm import LLMStub
from tests.support.ai import ai_config
from tests.support.processes import wbrep
from tests.support.stores import make_product, make_review, make_store, make_user

ALL_ON = {
    "submit_complaints": True,
    "complaint_rating_1": True,
    "complaint_rating_2": True,
    "complaint_rating_3": True,
}


@dataclass
class Env:
    pool: asyncpg.Pool
    llm: LLMStub
    service: ComplaintService
    owner: str
    store: str
    product: str


@pytest.fixture
async def env(pool: asyncpg.Pool) -> AsyncIterator[Env]:
    owner = await make_user(pool)
    store = await make_store(pool, owner, "wb-token")
    product = await make_product(pool, store, rules=ALL_ON)
    async with LLMStub() as llm:
        client = AIClient(ai_config(llm.base_url, attempts=2))
        tasks = AITasks(client, pool, pricing=Pricing.of("0.27", "1.10"))
        yield Env(pool, llm, ComplaintService(pool, tasks), owner, store, product)
        await client.aclose()


async def review_state(pool: asyncpg.Pool, review_id: str) -> asyncpg.Record:
    row = await pool.fetchrow(
        "SELECT complaint_status, complaint_text, has_complaint, has_complaint_draft, "
        "complaint_sent_date FROM reviews WHERE id = $1",
        review_id,
    )
    assert row is not None
    return row


async def test_draft_regenerate_edit_file_and_outcome(env: Env) -> None:
    review = await make_review(env.pool, env.product, rating=2)
    draft = await env.service.draft(review)
    assert draft.status == "draft" and 11 <= draft.reason_id <= 20
    assert len(draft.complaint_text) <= 900 and draft.review_rating == 2
    assert draft.product_vendor_code == "PL-200" and draft.ai_cost_usd and draft.ai_cost_usd > 0
    state = await review_state(env.pool, review)
    assert state["complaint_status"] == "draft" and state["has_complaint_draft"]
    assert state["complaint_text"] == draft.complaint_text

    again = await env.service.regenerate(draft.id)
    assert again.regenerated_count == 1 and again.last_regenerated_at is not None
    assert again.ai_cost_usd and again.ai_cost_usd > draft.ai_cost_usd, "costs add up"

    edited = await env.service.edit(draft.id, "  Отзыв не о товаре, а о доставке.  ")
    assert edited.complaint_text == "Отзыв не о товаре, а о доставке."
    assert (await review_state(env.pool, review))["complaint_text"] == edited.complaint_text

    shown = complaint_fingerprint(edited.reason_name, edited.complaint_text)
    sent = await env.service.mark_sent(draft.id, env.owner, shown=shown)
    assert sent.status == "sent" and sent.sent_by_user_id == env.owner and sent.sent_at
    state = await review_state(env.pool, review)
    assert state["complaint_status"] == "sent" and state["has_complaint"]
    assert state["complaint_sent_date"] is not None

    for action in (
        env.service.regenerate(draft.id),
        env.service.edit(draft.id, "другой текст"),
        env.service.discard(draft.id),
    ):
        with pytest.raises(ComplaintError, match="not_a_draft"):
            await action
    assert (await env.service.mark_outcome(draft.id, "pending")).status == "pending"
    approved = await env.service.mark_outcome(draft.id, "approved")
    assert approved.status == "approved" and approved.moderated_at is not None
    assert (await review_state(env.pool, review))["complaint_status"] == "approved"
    with pytest.raises(ComplaintError, match="same_outcome"):
        await env.service.mark_outcome(draft.id, "approved")
    # The seller may correct a verdict, and the text stays frozen.
    assert (await env.service.mark_outcome(draft.id, "rejected")).complaint_text == (
        edited.complaint_text
    )


async def test_regenerating_a_draft_passes_the_review_gates_first(env: Env) -> None:
    review = await make_review(env.pool, env.product, rating=2)
    draft = await env.service.draft(review)
    calls = await env.pool.fetchval("SELECT count(*) FROM ai_logs")
    await env.pool.execute("UPDATE stores SET status = 'inactive' WHERE id = $1", env.store)
    with pytest.raises(ComplaintError) as caught:
        await env.service.regenerate(draft.id)
    assert caught.value.code == "store_paused"
    await env.pool.execute("UPDATE stores SET status = 'active' WHERE id = $1", env.store)
    await env.pool.execute("UPDATE reviews SET vanished_at = NOW() WHERE id = $1", review)
    with pytest.raises(ComplaintError) as caught:
        await env.service.regenerate(draft.id)
    assert caught.value.code == "vanished"
    assert await env.pool.fetchval("SELECT count(*) FROM ai_logs") == calls, "no paid call"


async def test_discard_returns_review_to_not_sent(env: Env) -> None:
    review = await make_review(env.pool, env.product)
    draft = await env.service.draft(review)
    assert await env.service.discard(draft.id) == review
    state = await review_state(env.pool, review)
    assert state["complaint_status"] == "not_sent" and state["complaint_text"] is None
    assert not state["has_complaint_draft"]
    assert (await env.service.draft(review)).status == "draft", "a discarded draft can be redone"


@pytest.mark.parametrize(
    ("review_fields", "store_status", "gate"),
    [
        ({"rating": 5}, "active", "rating"),
        ({"date": datetime(2023, 9, 30, 12, tzinfo=UTC)}, "active", "too_old"),
        ({"review_status_wb": "excluded"}, "active", "wb_status"),
        ({"review_status_wb": "unpublished"}, "active", "wb_status"),
        ({"complaint_status": "rejected"}, "active", "complaint_exists"),
        ({"vanished_at": datetime(2026, 1, 1, tzinfo=UTC)}, "active", "vanished"),
        ({}, "inactive", "store_paused"),
    ],
)
async def test_manual_gates_say_which_failed(
    env: Env, review_fields: dict[str, object], store_status: str, gate: str
) -> None:
    await env.pool.execute("UPDATE stores SET status = $2 WHERE id = $1", env.store, store_status)
    review = await make_review(env.pool, env.product, **review_fields)  # type: ignore[arg-type]
    with pytest.raises(ComplaintError) as info:
        await env.service.draft(review)
    assert info.value.code == gate
    assert env.llm.requests == [], "a refused draft costs nothing"
    assert await env.pool.fetchval("SELECT count(*) FROM review_complaints") == 0


async def test_manual_drafting_ignores_product_rules_but_auto_does_not(env: Env) -> None:
    plain = await make_product(env.pool, env.store, work_status="not_working")
    review = await make_review(env.pool, plain, rating=4)
    with pytest.raises(ComplaintError, match="product_not_worked"):
        await env.service.draft(review, automatic=True)
    assert (await env.service.draft(review)).status == "draft"


async def test_empty_low_review_gets_a_template_without_llm(env: Env) -> None:
    review = await make_review(env.pool, env.product, rating=1, text="")
    draft = await env.service.draft(review)
    assert draft.status == "draft" and draft.complaint_text
    assert draft.ai_cost_usd == 0
    assert env.llm.requests == []


async def test_llm_failure_leaves_no_draft(env: Env) -> None:
    review = await make_review(env.pool, env.product)
    env.llm.invalid_json_next(2)
    with pytest.raises(Exception) as info:
        await env.service.draft(review)
    assert "Invalid" in type(info.value).__name__
    assert await env.pool.fetchval("SELECT count(*) FROM review_complaints") == 0
    assert (await review_state(env.pool, review))["complaint_status"] == "not_sent"


async def test_concurrent_presses_never_break_the_state(env: Env) -> None:
    review = await make_review(env.pool, env.product)
    results = await asyncio.gather(
        *(env.service.draft(review) for _ in range(4)), return_exceptions=True
    )
    drafts = [r for r in results if not isinstance(r, BaseException)]
    assert len(drafts) == 1, results
    assert all(
        isinstance(r, ComplaintError) and r.code in ("complaint_exists", "in_progress")
        for r in results
        if isinstance(r, BaseException)
    )
    assert len(env.llm.requests) == 1, "the LLM is paid for once, whoever presses"
    complaint = drafts[0].id
    shown = complaint_fingerprint(drafts[0].reason_name, drafts[0].complaint_text)
    outcome = await asyncio.gather(
        env.service.mark_sent(complaint, env.owner, shown=shown),
        env.service.discard(complaint),
        env.service.mark_sent(complaint, env.owner, shown=shown),
        env.service.edit(complaint, "новый текст"),
        return_exceptions=True,
    )
    row = await env.pool.fetchrow(
        "SELECT c.status, r.complaint_status FROM reviews r "
        "LEFT JOIN review_complaints c ON c.review_id = r.id WHERE r.id = $1",
        review,
    )
    assert row is not None
    if row["status"] is None:  # discard won
        assert row["complaint_status"] == "not_sent"
    else:
        assert row["status"] == "sent" and row["complaint_status"] == "sent"
    assert sum(1 for o in outcome if not isinstance(o, BaseException)) <= 2


async def test_batch_drafts_eligible_newest_first_and_counts_gates(env: Env) -> None:
    eligible = [await make_review(env.pool, env.product, rating=r) for r in (1, 2, 3, 1, 2)]
    await make_review(env.pool, env.product, rating=5)
    await make_review(env.pool, env.product, rating=4)  # complaint_rating_4 is off
    off = await make_product(env.pool, env.store, rules={"submit_complaints": False})
    await make_review(env.pool, off, rating=1, text="")  # star-only, but not eligible
    star_only = await make_review(env.pool, env.product, rating=2, text="\u00a0\n", pros="")
    eligible.append(star_only)
    assert await env.service.count_templated(env.store) == 1, "only it is free"
    seen: list[int] = []
    report = await env.service.batch_draft(
        env.store, limit=3, progress=lambda r: seen.append(r.drafted)
    )
    assert report.eligible == 6 and report.drafted == 3 and report.failed == 0
    assert report.skipped_by_gate == {"rating": 1, "rating_off": 1, "rules_off": 1}
    assert seen[-1] == 3
    rest = await env.service.batch_draft(env.store)
    assert rest.eligible == 3 and rest.drafted == 3
    assert rest.skipped_by_gate["complaint_exists"] == 3
    drafted = await env.pool.fetchval("SELECT count(*) FROM review_complaints")
    assert drafted == len(eligible)


def draft_env(env: Env, db_url: str) -> dict[str, str]:
    """`wbrep complaints draft` on the test's database and the LLM stub."""
    return {
        "DATABASE_URL": db_url,
        "DEEPSEEK_BASE_URL": env.llm.base_url,
        "DEEPSEEK_API_KEY": "sk-test",
    }


async def test_cli_drafts_a_store_and_prints_a_summary(env: Env, db_url: str) -> None:
    for rating in (1, 2, 5):
        await make_review(env.pool, env.product, rating=rating)
    code, out, err = await wbrep(
        "complaints", "draft", env.store, env=draft_env(env, db_url), timeout=60
    )
    assert code == 0, err
    assert "drafted 2 " in out and "failed 0" in out
    assert "rating" in out  # the 5-star review, skipped by its gate
    assert "eligible reviews: 2" in err


# --- no pooled connection across the LLM call (issue 10, item 1) -----------------------------


def llm_client(llm: LLMStub) -> AIClient:
    return AIClient(ai_config(llm.base_url, timeout_seconds=5.0, attempts=2))


async def test_batch_of_30_with_a_pool_of_2_and_concurrency_10_finishes(
    env: Env, db_url: str
) -> None:
    """Each draft held a connection for its lock and waited for a second one: deadlock."""
    await update_user_settings(env.pool, env.owner, ai_concurrency=10)
    for i in range(30):
        await make_review(env.pool, env.product, rating=1 + i % 3, text=f"Плохо {i}")
    env.llm.set_latency(0.1)
    small = await create_pool(db_url, max_size=2)
    client = llm_client(env.llm)
    try:
        service = ComplaintService(small, AITasks(client, small))
        report = await asyncio.wait_for(service.batch_draft(env.store), 60)
    finally:
        await client.aclose()
        small.terminate()
    assert report.drafted == 30 and report.failed == 0
    assert len(env.llm.completed) == 30
    assert env.llm.max_in_flight > 2, "more LLM calls in flight than the pool has connections"
    assert await env.pool.fetchval("SELECT count(*) FROM ai_leases") == 0, "all released"


async def test_two_processes_drafting_the_same_review_pay_once(env: Env, db_url: str) -> None:
    """Two instances (their own pools and LLM clients) press "draft" on one review at once."""
    review = await make_review(env.pool, env.product, rating=2)
    env.llm.set_latency(0.3)
    pools = [await create_pool(db_url, max_size=2) for _ in range(2)]
    clients = [llm_client(env.llm) for _ in range(2)]
    try:
        services = [ComplaintService(p, AITasks(c, p)) for p, c in zip(pools, clients, strict=True)]
        results = await asyncio.gather(*(s.draft(review) for s in services), return_exceptions=True)
        # The same review's reply draft is a lease of its own kind: not blocked by this one.
    finally:
        for c in clients:
            await c.aclose()
        for p in pools:
            p.terminate()
    refused = [r for r in results if isinstance(r, ComplaintError)]
    assert len(refused) == 1 and refused[0].code == "in_progress", results
    assert len(env.llm.requests) == 1, "the LLM is paid for once"
    assert await env.pool.fetchval("SELECT count(*) FROM review_complaints") == 1


async def test_a_lease_left_by_a_dead_process_expires(env: Env) -> None:
    review = await make_review(env.pool, env.product, rating=2)
    kind = LeaseKind.COMPLAINT_DRAFT
    assert await claim_lease(env.pool, kind, review, "dead", ttl=timedelta(minutes=10))
    with pytest.raises(ComplaintError) as caught:
        await env.service.draft(review)
    assert caught.value.code == "in_progress" and env.llm.requests == []
    await env.pool.execute(
        "UPDATE ai_leases SET expires_at = now() - interval '1 second' WHERE holder = 'dead'"
    )
    assert (await env.service.draft(review)).status == "draft", "taken over once expired"
    assert await env.pool.fetchval("SELECT count(*) FROM ai_leases") == 0


async def test_an_llm_failure_releases_the_lease(env: Env) -> None:
    review = await make_review(env.pool, env.product)
    env.llm.fail_next(2, status=500)
    with pytest.raises(AIError):
        await env.service.draft(review)
    assert await env.pool.fetchval("SELECT count(*) FROM ai_leases") == 0
    assert (await env.service.draft(review)).status == "draft"


async def test_two_cli_processes_draft_a_store_once_with_their_pools_of_5(
    env: Env, db_url: str
) -> None:
    """`wbrep complaints draft` hung after "eligible reviews" on its pool of 5; two of them
    at once pay for each review once and print their progress."""
    for i in range(20):
        await make_review(env.pool, env.product, rating=1 + i % 3, text=f"Плохо {i}")
    env.llm.set_latency(0.2)
    pool_of_5 = {**draft_env(env, db_url), "DB_POOL_MAX": "5"}
    outputs = await asyncio.gather(
        *(wbrep("complaints", "draft", env.store, env=pool_of_5, timeout=90) for _ in range(2))
    )
    for code, out, err in outputs:
        assert code == 0, err
        assert "failed 0" in out
        assert re.search(r"drafting: (\d+)/\1$", err, re.M), "progress to the end"
    errs = [err for _, _, err in outputs]
    assert any("drafting: 20/20" in e for e in errs), errs
    assert await env.pool.fetchval("SELECT count(*) FROM review_complaints") == 20
    assert len(env.llm.completed) == 20, "each review paid for once across both processes"
