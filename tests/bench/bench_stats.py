"""Benchmark: each stats chart of a store with 1,000,000 reviews builds in under 1 s.

Seeds 200 products, 1,000,000 reviews over two years (about 12% negatives, some answered,
some excluded) and 20,000 complaints of the last 90 days with `generate_series`, vacuums (so
the aggregates are index-only scans), then builds each chart (queries + PNG) and prints the
time. Run with `make bench`, or
`pytest -s -o python_files='bench_*.py' -o addopts='' tests/bench/bench_stats.py`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import asyncpg
import pytest

from services.stats import Chart, StatsService
from tests.support.stores import make_products, make_store, make_user

REVIEWS = 1_000_000
PRODUCTS = 200
COMPLAINTS = 20_000
TARGET_SECONDS = 1.0
SEED_TIMEOUT = 1200.0


async def seed_million(pool: asyncpg.Pool) -> str:
    owner = await make_user(pool)
    store = await make_store(pool, owner, "tok", name="Миллион")
    await make_products(pool, store, owner, PRODUCTS)
    await pool.execute(
        """INSERT INTO reviews (id, product_id, store_id, owner_id, rating, text, author, date,
                                has_answer, review_status_wb)
           SELECT 'r' || g, 'p' || (1 + (g::bigint * 7919) % $4), $1, $2,
                  CASE WHEN g % 100 < 5 THEN 1 WHEN g % 100 < 8 THEN 2 WHEN g % 100 < 12 THEN 3
                       WHEN g % 100 < 30 THEN 4 ELSE 5 END,
                  'Отзыв', 'Покупатель', $5::timestamptz - (g % 730) * interval '1 day'
                                       - (g % 1440) * interval '1 minute',
                  g % 3 = 0,
                  (CASE WHEN g % 97 = 0 THEN 'excluded' ELSE 'visible' END)::review_status_wb
             FROM generate_series(1, $3) g""",
        store,
        owner,
        REVIEWS,
        PRODUCTS,
        datetime.now(UTC),
        timeout=SEED_TIMEOUT,
    )
    await pool.execute(
        """INSERT INTO review_complaints (review_id, store_id, owner_id, product_id,
               complaint_text, reason_id, reason_name, status, generated_at, sent_at,
               moderated_at, review_rating, review_text, review_date)
           SELECT r.id, r.store_id, r.owner_id, r.product_id, 'Жалоба', 11 + (n % 10),
                  'Причина ' || (11 + n % 10),
                  (ARRAY['draft','sent','approved','rejected','pending'])[1 + n % 5],
                  now() - (n % 85) * interval '1 day',
                  CASE WHEN n % 5 <> 0 THEN now() - (n % 85) * interval '1 day' + interval '3 hours' END,
                  CASE WHEN n % 5 IN (2, 3) THEN now() - (n % 85) * interval '1 day' + interval '30 hours' END,
                  r.rating, r.text, r.date
             FROM (SELECT id, store_id, owner_id, product_id, rating, text, date,
                          row_number() OVER () AS n
                     FROM reviews WHERE store_id = $1 AND rating <= 3 LIMIT $2) r""",
        store,
        COMPLAINTS,
        timeout=SEED_TIMEOUT,
    )
    await pool.execute(
        """UPDATE reviews r SET has_complaint = TRUE, complaint_status = 'sent'
             FROM review_complaints c WHERE c.review_id = r.id""",
        timeout=SEED_TIMEOUT,
    )
    await pool.execute("VACUUM ANALYZE reviews", timeout=SEED_TIMEOUT)
    await pool.execute("VACUUM ANALYZE review_complaints")
    await pool.execute("VACUUM ANALYZE products")
    return store


@pytest.mark.bench
async def test_bench_stats_charts_on_a_million_reviews(pool: asyncpg.Pool) -> None:
    started = time.perf_counter()
    store = await seed_million(pool)
    print(f"\nseeded {REVIEWS} reviews in {time.perf_counter() - started:.1f} s")
    stats = StatsService(pool)
    timings: dict[str, float] = {}
    for chart in Chart:
        await stats.chart(store, chart)  # warm the cache, as a second press would
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            png = await stats.chart(store, chart)
            best = min(best, time.perf_counter() - t0)
        timings[chart.value] = best
        print(f"chart {chart.value:<9} {best * 1000:7.0f} ms  {len(png) // 1024} KiB")
    slow = {k: v for k, v in timings.items() if v >= TARGET_SECONDS}
    assert not slow, slow
