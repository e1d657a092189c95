"""Benchmark: 100 complaint drafts through `ComplaintService.batch_draft`, stub latency
200 ms, owner concurrency 5.

The batch is the real path (issue 17): eligible pages, the per-review drafting lease, the
context query, the LLM call with no pooled connection held, the draft's insert and its AI log
row. The ideal is 100 / 5 x 0.2 s = 4 s; the target is at most 1.3x that. Run with
`make bench` (or `pytest -s -o python_files='bench_*.py' tests/bench/bench_ai.py`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from db.repos.ai_logs import list_ai_logs
from db.repos.user_settings import update_user_settings
from services.ai.client import AIClient, AIConfig
from services.ai.tasks import AITasks
from services.complaints import ComplaintService
from tests.fakes.llm import LLMStub
from tests.support.stores import make_product, make_review, make_store, make_user

DRAFTS = 100
LATENCY = 0.2
CONCURRENCY = 5
TARGET_RATIO = 1.3
RULES = {
    "submit_complaints": True,
    "complaint_rating_1": True,
    "complaint_rating_2": True,
    "complaint_rating_3": True,
}


@pytest.mark.bench
async def test_bench_complaint_batch(pool: asyncpg.Pool) -> None:
    owner = await make_user(pool)
    store = await make_store(pool, owner, "t")
    await update_user_settings(pool, owner, ai_concurrency=CONCURRENCY)
    product = await make_product(pool, store, rules=RULES)
    now = datetime.now(UTC)
    for i in range(DRAFTS):
        await make_review(
            pool,
            product,
            rating=1 + i % 3,
            text=f"Курьер опоздал на {i} дней, товар пришёл мятый",
            date=now - timedelta(hours=1 + i),
        )
    async with LLMStub(latency=LATENCY) as llm:
        client = AIClient(
            AIConfig(base_url=llm.base_url, default_api_key="sk-bench", timeout_seconds=10.0)
        )
        service = ComplaintService(pool, AITasks(client, pool))
        try:
            # One warm-up call outside the clock (SDK client creation, first connection).
            await client.complete([{"role": "user", "content": "warm"}], owner_id="warm-up")
            llm.reset()
            started = time.perf_counter()
            report = await service.batch_draft(store)
            elapsed = time.perf_counter() - started
        finally:
            await client.aclose()
        max_in_flight = llm.max_in_flight

    ideal = DRAFTS / CONCURRENCY * LATENCY
    ratio = elapsed / ideal
    rows = await list_ai_logs(pool, store_id=store, limit=1000)
    drafts = await pool.fetchval(
        "SELECT count(*) FROM review_complaints WHERE store_id = $1 AND status = 'draft'", store
    )
    print(
        f"\nbench_ai: ComplaintService batch of {DRAFTS} complaint drafts, latency "
        f"{LATENCY * 1000:.0f} ms, concurrency {CONCURRENCY}: {elapsed:.2f} s (ideal "
        f"{ideal:.2f} s, ratio {ratio:.2f}x, target <= {TARGET_RATIO}x); max in flight "
        f"{max_in_flight}; drafted {report.drafted}, failed {report.failed}, ai_logs rows "
        f"{len(rows)}"
    )
    assert report.drafted == DRAFTS and report.failed == 0 and report.from_template == 0
    assert drafts == DRAFTS and len(rows) == DRAFTS
    assert max_in_flight == CONCURRENCY
    assert ratio <= TARGET_RATIO
