"""Benchmark: 100 complaint drafts, stub latency 200 ms, owner concurrency 5.

The ideal is 100 / 5 x 0.2 s = 4 s; the target is at most 1.3x that. Run with `make bench`
(or `pytest -s -o python_files='bench_*.py' tests/bench/bench_ai.py`).
"""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from db.repos.ai_logs import list_ai_logs
from db.repos.user_settings import update_user_settings
from services.ai.client import AIClient, AIConfig
from services.ai.prompting import ProductInfo, ReviewInfo, StoreInfo
from services.ai.tasks import AITasks
from tests.fakes.llm import LLMStub
from tests.support.stores import make_store, make_user

DRAFTS = 100
LATENCY = 0.2
CONCURRENCY = 5
TARGET_RATIO = 1.3


@pytest.mark.bench
async def test_bench_complaint_drafts(pool: asyncpg.Pool) -> None:
    owner = await make_user(pool)
    store = StoreInfo(id=await make_store(pool, owner, "t"), owner_id=owner, name="Bench")
    settings = await update_user_settings(pool, owner, ai_concurrency=CONCURRENCY)
    product = ProductInfo(name="Плед флисовый", vendor_code="PL-200", wb_product_id="1")
    reviews = [
        ReviewInfo(
            id=f"fb-{i}", rating=1 + i % 3, text=f"Курьер опоздал на {i} дней", author="Покупатель"
        )
        for i in range(DRAFTS)
    ]
    async with LLMStub(latency=LATENCY) as llm:
        client = AIClient(
            AIConfig(base_url=llm.base_url, default_api_key="sk-bench", timeout_seconds=10.0)
        )
        tasks = AITasks(client, pool)
        try:
            # One warm-up call outside the clock (SDK client creation, first connection).
            await client.complete([{"role": "user", "content": "warm"}], owner_id="warm-up")
            llm.reset()
            started = time.perf_counter()
            drafts = await asyncio.gather(
                *(
                    tasks.draft_complaint(store=store, product=product, review=r, settings=settings)
                    for r in reviews
                )
            )
            elapsed = time.perf_counter() - started
        finally:
            await client.aclose()
        max_in_flight = llm.max_in_flight

    ideal = DRAFTS / CONCURRENCY * LATENCY
    ratio = elapsed / ideal
    rows = await list_ai_logs(pool, store_id=store.id, limit=1000)
    print(
        f"\nbench_ai: {DRAFTS} complaint drafts, latency {LATENCY * 1000:.0f} ms, concurrency "
        f"{CONCURRENCY}: {elapsed:.2f} s (ideal {ideal:.2f} s, ratio {ratio:.2f}x, target "
        f"<= {TARGET_RATIO}x); max in flight {max_in_flight}; ai_logs rows {len(rows)}"
    )
    assert len(drafts) == DRAFTS and all(not d.from_template for d in drafts)
    assert len(rows) == DRAFTS
    assert max_in_flight == CONCURRENCY
    assert ratio <= TARGET_RATIO
