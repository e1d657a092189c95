"""Keyset pages of a store's reviews (and complaints) for people (never OFFSET, never a whole
store).

Pages are ordered newest first by `(date, id)`; the caller passes the last row's pair to get
the next page. The default filter is the schema's own (`idx_reviews_default_filter`):
rating <= 3, active product, complaint `not_sent` or `draft`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from asyncpg import Record

from db.models import ComplaintRow, ReviewRow
from db.pool import Conn

_REVIEW = ReviewRow.columns("r")


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

# The `complaint_status` enum's values: a filter's statuses are written into the SQL as
# literals (only these), so the planner can prove a partial index's predicate
# (idx_reviews_default_filter) under any plan.
_COMPLAINT_STATUSES = frozenset({"not_sent", "draft", "sent", "approved", "rejected", "pending"})


def _where(store_id: str, f: ReviewFilter, t: str = "r") -> tuple[str, list[object]]:
    """The filter's conditions, only those in use (`$1` is the store): one SQL text per filter
    shape, so no cached generic plan of a catch-all `$n IS NULL OR ...` can fall into a scan of
    the store (issue 17)."""
    conds = [f"{t}.store_id = $1"]
    args: list[object] = [store_id]

    def arg(value: object) -> str:
        args.append(value)
        return f"${len(args)}"

    if f.ratings:
        conds.append(f"{t}.rating IN ({', '.join(str(int(x)) for x in sorted(set(f.ratings)))})")
    if f.answered is not None:
        conds.append(f"{t}.has_answer = {arg(f.answered)}")
    if f.complaint_statuses:
        unknown = set(f.complaint_statuses) - _COMPLAINT_STATUSES
        if unknown:
            raise ValueError(f"unknown complaint statuses {sorted(unknown)!r}")
        listed = ", ".join(f"'{x}'" for x in sorted(set(f.complaint_statuses)))
        conds.append(f"{t}.complaint_status IN ({listed})")
    if f.product_id is not None:
        conds.append(f"{t}.product_id = {arg(f.product_id)}")
    if f.active_products_only:
        conds.append(f"{t}.is_product_active = TRUE")
    if f.date_from is not None:
        conds.append(f"{t}.date >= {arg(f.date_from)}")
    if f.date_to is not None:
        conds.append(f"{t}.date < {arg(f.date_to)}")
    return " AND ".join(conds), args


def _keyset(
    where: str, args: list[object], after: tuple[datetime, str] | None, limit: int
) -> tuple[str, list[object]]:
    """`where` continued after the cursor, with the LIMIT placeholder last."""
    args = list(args)
    if after is not None:
        args += [after[0], after[1]]
        where += f" AND (r.date, r.id) < (${len(args) - 1}, ${len(args)})"
    args.append(limit)
    return where + f" ORDER BY r.date DESC, r.id DESC LIMIT ${len(args)}", args


async def page(
    conn: Conn,
    store_id: str,
    f: ReviewFilter = DEFAULT_FILTER,
    *,
    after: tuple[datetime, str] | None = None,
    limit: int = 10,
) -> list[ReviewRow]:
    where, args = _keyset(*_where(store_id, f), after, limit)
    rows = await conn.fetch(f"SELECT {_REVIEW} FROM reviews r WHERE {where}", *args)
    return [ReviewRow.from_record(r) for r in rows]


def _counted(f: ReviewFilter) -> bool:
    """Whether `review_counts` (migration 0032) holds this filter's count: every condition is
    on one of its key columns."""
    return f.product_id is None and f.date_from is None and f.date_to is None


async def count(conn: Conn, store_id: str, f: ReviewFilter = DEFAULT_FILTER) -> int:
    """How many reviews the filter selects. Filters on rating, answer, complaint status and
    active products sum the store's maintained buckets (a few dozen rows whatever the store's
    size); a product or date filter counts its own rows (bounded by the product or period)."""
    if not _counted(f):
        return await scanned_count(conn, store_id, f)
    where, args = _where(store_id, f, "c")
    sql = f"SELECT COALESCE(sum(c.n), 0) FROM review_counts c WHERE {where}"
    return int(await conn.fetchval(sql, *args))


async def scanned_count(conn: Conn, store_id: str, f: ReviewFilter = DEFAULT_FILTER) -> int:
    """The filter's count from the rows themselves (tests check the maintained one by it)."""
    where, args = _where(store_id, f)
    return int(await conn.fetchval(f"SELECT count(*) FROM reviews r WHERE {where}", *args))


# --- cards and card pages (the bot's lists) --------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReviewCard:
    """A review with what its card shows: the product and the complaint row, if any."""

    review: ReviewRow
    product_name: str
    vendor_code: str
    nm_id: str | None
    complaint_id: str | None
    complaint_row_status: str | None

    @property
    def cursor(self) -> tuple[datetime, str]:
        return self.review.date, self.review.id


_CARD_SELECT = f"""
SELECT {_REVIEW}, p.name AS product_name, p.vendor_code, p.wb_product_id AS nm_id,
       c.id AS complaint_id, c.status AS complaint_row_status
  FROM reviews r
  JOIN products p ON p.id = r.product_id
  LEFT JOIN review_complaints c ON c.review_id = r.id
"""


def _card(row: Record) -> ReviewCard:
    return ReviewCard(
        review=ReviewRow.from_record(row),
        product_name=row["product_name"] or "",
        vendor_code=row["vendor_code"] or "",
        nm_id=row["nm_id"],
        complaint_id=row["complaint_id"],
        complaint_row_status=row["complaint_row_status"],
    )


async def card(conn: Conn, review_id: str) -> ReviewCard | None:
    row = await conn.fetchrow(f"{_CARD_SELECT} WHERE r.id = $1", review_id)
    return _card(row) if row else None


EXCERPT_CHARS = 400
"""How much of a review's text a list line reads: a line shows at most 120 characters of it
(`bot.views.reviews.render_review_line`), and a review, its pros and its cons can each run
to thousands (WB allows 5,000), read for every line of every page otherwise."""


@dataclass(frozen=True, slots=True)
class ReviewLine:
    """A review as a list line shows it: the start of its text (else its cons, else its
    pros), its marks and its product; never the whole texts."""

    id: str
    rating: int
    date: datetime
    excerpt: str
    has_answer: bool | None
    complaint_status: str | None
    photos: int
    product_name: str

    @property
    def cursor(self) -> tuple[datetime, str]:
        return self.date, self.id


async def titled_line_page(
    conn: Conn,
    store_id: str,
    f: ReviewFilter = DEFAULT_FILTER,
    *,
    after: tuple[datetime, str] | None = None,
    limit: int = 10,
) -> tuple[str, list[ReviewLine]]:
    """The store's name ("" for a store that is gone) and a keyset page of list lines, in one
    statement: the list screen's title and lines (one round trip a press, issue 17)."""
    where, args = _keyset(*_where(store_id, f), after, limit)
    rows = await conn.fetch(
        f"""
        WITH page AS (
        SELECT r.id, r.rating, r.date, r.has_answer, r.complaint_status,
               left(COALESCE(NULLIF(r.text, ''), NULLIF(r.cons, ''), NULLIF(r.pros, ''), ''),
                    {EXCERPT_CHARS}) AS excerpt,
               CASE WHEN jsonb_typeof(r.photo_links) = 'array'
                    THEN jsonb_array_length(r.photo_links) ELSE 0 END AS photos,
               COALESCE(p.name, '') AS product_name
          FROM reviews r
          JOIN products p ON p.id = r.product_id
         WHERE {where})
        SELECT s.name AS list_store_name, page.*
          FROM (SELECT $1::text AS id) wanted
          LEFT JOIN stores s ON s.id = wanted.id
          LEFT JOIN page ON TRUE
         ORDER BY page.date DESC, page.id DESC
        """,
        *args,
    )
    name = str(rows[0]["list_store_name"] or "") if rows else ""
    return name, [
        ReviewLine(
            r["id"],
            r["rating"],
            r["date"],
            r["excerpt"],
            r["has_answer"],
            r["complaint_status"],
            r["photos"],
            r["product_name"],
        )
        for r in rows
        if r["id"] is not None
    ]


async def filter_products(conn: Conn, store_id: str, *, limit: int = 8) -> list[Record]:
    """Products to pick for the product filter: the most negative reviews first."""
    return await conn.fetch(
        """
        SELECT p.id, p.name, p.vendor_code, count(r.id) AS negatives
          FROM products p
          LEFT JOIN reviews r ON r.product_id = p.id AND r.rating <= 3
         WHERE p.store_id = $1
         GROUP BY p.id
         ORDER BY count(r.id) DESC, p.name, p.id
         LIMIT $2
        """,
        store_id,
        limit,
    )


async def product_label(conn: Conn, product_id: str) -> str | None:
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT name || CASE WHEN vendor_code <> '' THEN ' · ' || vendor_code ELSE '' END"
        " FROM products WHERE id = $1",
        product_id,
    )


# --- complaints (the queue per store) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComplaintCard:
    """A complaint with what the seller needs to find its review in the WB portal."""

    complaint: ComplaintRow
    created_at: datetime
    author: str
    nm_id: str | None
    review_pros: str | None
    review_cons: str | None
    store_name: str

    @property
    def cursor(self) -> tuple[datetime, str]:
        return self.created_at, self.complaint.id


_C_COLS = ComplaintRow.columns("c")
_COMPLAINT_SELECT = f"""
SELECT {_C_COLS}, c.created_at, r.author, r.pros AS review_pros, r.cons AS review_cons,
       p.wb_product_id AS nm_id, s.name AS store_name
  FROM review_complaints c
  JOIN reviews r ON r.id = c.review_id
  JOIN products p ON p.id = c.product_id
  JOIN stores s ON s.id = c.store_id
"""


def _complaint_card(row: Record) -> ComplaintCard:
    return ComplaintCard(
        complaint=ComplaintRow.from_record(row),
        created_at=row["created_at"],
        author=row["author"] or "",
        nm_id=row["nm_id"],
        review_pros=row["review_pros"],
        review_cons=row["review_cons"],
        store_name=row["store_name"] or "",
    )


async def complaint_card(conn: Conn, complaint_id: str) -> ComplaintCard | None:
    row = await conn.fetchrow(f"{_COMPLAINT_SELECT} WHERE c.id = $1", complaint_id)
    return _complaint_card(row) if row else None


async def complaint_page(
    conn: Conn,
    store_id: str,
    statuses: tuple[str, ...],
    *,
    after: tuple[datetime, str] | None = None,
    limit: int = 10,
) -> list[ComplaintCard]:
    """Newest first by `(created_at, id)` (idx_complaints_store_status)."""
    rows = await conn.fetch(
        f"""
        {_COMPLAINT_SELECT}
         WHERE c.store_id = $1 AND c.status = ANY($2::text[])
           AND ($3::timestamptz IS NULL OR (c.created_at, c.id) < ($3, $4))
         ORDER BY c.created_at DESC, c.id DESC
         LIMIT $5
        """,
        store_id,
        list(statuses),
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [_complaint_card(r) for r in rows]


async def complaint_count(conn: Conn, store_id: str, statuses: tuple[str, ...]) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM review_complaints"
            " WHERE store_id = $1 AND status = ANY($2::text[])",
            store_id,
            list(statuses),
        )
    )


async def average_complaint_cost(conn: Conn, store_id: str) -> Decimal | None:
    """What an AI-drafted complaint of this store has cost so far (for batch estimates)."""
    value = await conn.fetchval(
        "SELECT avg(ai_cost_usd) FROM review_complaints WHERE store_id = $1 AND ai_cost_usd > 0",
        store_id,
    )
    return Decimal(value) if value is not None else None
