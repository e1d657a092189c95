"""Keyset pages of a store's reviews for people (never OFFSET, never a whole store).

Pages are ordered newest first by `(date, id)`; the caller passes the last row's pair to get
the next page. The default filter is the schema's own (`idx_reviews_default_filter`):
rating <= 3, active product, complaint `not_sent` or `draft`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from db.models import ReviewRow
from db.pool import Conn

_REVIEW = ", ".join(f"r.{c.strip()}" for c in ReviewRow.columns().split(","))


@dataclass(frozen=True, slots=True)
class ReviewFilter:
    ratings: tuple[int, ...] | None = (1, 2, 3)
    answered: bool | None = None
    complaint_statuses: tuple[str, ...] | None = ("not_sent", "draft")
    product_id: str | None = None
    active_products_only: bool = True
    date_from: datetime | None = None
    date_to: datetime | None = None


DEFAULT_FILTER = ReviewFilter()

_WHERE = """
 r.store_id = $1
 AND ($2::int[] IS NULL OR r.rating = ANY($2::int[]))
 AND ($3::boolean IS NULL OR r.has_answer = $3)
 AND ($4::complaint_status[] IS NULL OR r.complaint_status = ANY($4::complaint_status[]))
 AND ($5::text IS NULL OR r.product_id = $5)
 AND (NOT $6::boolean OR r.is_product_active = TRUE)
 AND ($7::timestamptz IS NULL OR r.date >= $7)
 AND ($8::timestamptz IS NULL OR r.date < $8)
"""


def _args(store_id: str, f: ReviewFilter) -> list[object]:
    return [
        store_id,
        list(f.ratings) if f.ratings else None,
        f.answered,
        list(f.complaint_statuses) if f.complaint_statuses else None,
        f.product_id,
        f.active_products_only,
        f.date_from,
        f.date_to,
    ]


async def page(
    conn: Conn,
    store_id: str,
    f: ReviewFilter = DEFAULT_FILTER,
    *,
    after: tuple[datetime, str] | None = None,
    limit: int = 10,
) -> list[ReviewRow]:
    rows = await conn.fetch(
        f"""
        SELECT {_REVIEW} FROM reviews r
         WHERE {_WHERE}
           AND ($9::timestamptz IS NULL OR (r.date, r.id) < ($9, $10))
         ORDER BY r.date DESC, r.id DESC
         LIMIT $11
        """,
        *_args(store_id, f),
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [ReviewRow.from_record(r) for r in rows]


async def count(conn: Conn, store_id: str, f: ReviewFilter = DEFAULT_FILTER) -> int:
    """Count once per filter and reuse it: on a large store a count costs far more than a page."""
    return int(
        await conn.fetchval(f"SELECT count(*) FROM reviews r WHERE {_WHERE}", *_args(store_id, f))
    )
