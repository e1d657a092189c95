"""Store statistics: aggregates for the charts and the weekly digest (issue 16).

Every query is bounded by `store_id` and answered from an index: the weekly rating and the
distribution from `idx_reviews_store_rating` / `idx_reviews_store_date`, per-product figures
from `idx_reviews_stats_product` (index-only), complaints from `idx_complaints_store_generated`.
Ratings WB counts are those not unpublished or excluded (domain rules, "Stats").
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from db.pool import Conn

Executor = Conn

COUNTED = "review_status_wb NOT IN ('unpublished', 'excluded')"


async def weekly_ratings(db: Executor, store_id: str, since: datetime) -> list[asyncpg.Record]:
    """(week, avg, total, negatives) per MSK week since `since`."""
    return await db.fetch(
        """SELECT date_trunc('week', date AT TIME ZONE 'Europe/Moscow')::date AS week,
                  avg(rating)::float8 AS avg, count(*) AS total,
                  count(*) FILTER (WHERE rating <= 3) AS negatives
             FROM reviews WHERE store_id = $1 AND date >= $2
            GROUP BY 1 ORDER BY 1""",
        store_id,
        since,
    )


async def distribution(db: Executor, store_id: str) -> dict[int, int]:
    """Reviews per star, each star counted from the index (five short range scans)."""
    rows = await db.fetch(
        """SELECT s AS rating,
                  (SELECT count(*) FROM reviews WHERE store_id = $1 AND rating = s) AS n
             FROM generate_series(1, 5) AS s""",
        store_id,
    )
    return {int(r["rating"]): int(r["n"]) for r in rows}


async def product_figures(db: Executor, store_id: str) -> list[asyncpg.Record]:
    """Per product: counted reviews, their sum of stars, negatives and the handled negatives."""
    return await db.fetch(
        f"""SELECT s.product_id, p.name, p.wb_product_id, s.total, s.stars, s.negatives,
                   s.handled
              FROM (SELECT product_id,
                           count(*) FILTER (WHERE {COUNTED}) AS total,
                           coalesce(sum(rating) FILTER (WHERE {COUNTED}), 0) AS stars,
                           count(*) FILTER (WHERE rating <= 3) AS negatives,
                           count(*) FILTER (WHERE rating <= 3 AND (has_answer OR has_complaint
                                            OR complaint_status <> 'not_sent')) AS handled
                      FROM reviews WHERE store_id = $1 GROUP BY product_id) AS s
              JOIN products p ON p.id = s.product_id
             ORDER BY s.negatives DESC, p.name""",
        store_id,
    )


async def open_negatives(
    db: Executor, store_id: str, product_ids: list[str], per_product: int
) -> list[asyncpg.Record]:
    """Open negatives (counted, 1-3 stars, nothing filed) of the given products, lowest first."""
    return await db.fetch(
        f"""SELECT p.pid AS product_id, x.id, x.rating, x.date
              FROM unnest($2::text[]) AS p(pid)
              CROSS JOIN LATERAL (
                SELECT id, rating, date FROM reviews
                 WHERE store_id = $1 AND product_id = p.pid AND rating <= 3 AND {COUNTED}
                   AND complaint_status = 'not_sent' AND NOT has_complaint
                 ORDER BY rating, date DESC LIMIT $3) AS x""",
        store_id,
        product_ids,
        per_product,
    )


async def complaint_rows(db: Executor, store_id: str, since: datetime) -> list[asyncpg.Record]:
    """Complaints drafted or filed since `since`: status, reason, product and the review's
    stars (the funnel counts drafts by `generated_at`, approval by `sent_at`)."""
    return await db.fetch(
        """SELECT c.status, c.reason_id, c.reason_name, c.review_rating, c.product_id,
                  p.name AS product_name, p.wb_product_id, c.generated_at, c.sent_at, c.moderated_at
             FROM review_complaints c JOIN products p ON p.id = c.product_id
            WHERE c.store_id = $1 AND (c.generated_at >= $2 OR c.sent_at >= $2)""",
        store_id,
        since,
    )


async def reply_share(db: Executor, store_id: str, since: datetime) -> asyncpg.Record:
    """Reviews since `since` and how many of them have an answer."""
    row = await db.fetchrow(
        """SELECT count(*) AS total, count(*) FILTER (WHERE has_answer) AS answered,
                  count(*) FILTER (WHERE rating <= 3) AS negatives,
                  count(*) FILTER (WHERE rating <= 3 AND has_answer) AS negatives_answered
             FROM reviews WHERE store_id = $1 AND date >= $2""",
        store_id,
        since,
    )
    assert row is not None
    return row
