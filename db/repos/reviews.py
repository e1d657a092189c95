"""Reviews: bulk upsert for sync, keyset pages for people.

Sync writes a page at a time: COPY into a temporary staging table, create the products it
names that we have not seen, then one INSERT ... ON CONFLICT that only touches rows whose WB
fields changed (`IS DISTINCT FROM`), so a re-sync of unchanged data writes almost nothing.
Workflow fields (complaint status, drafts, extension statuses) are never overwritten, with
one rule from domain-rules.md: WB showing a complaint (`supplierFeedbackValuation`) on a
review whose complaint is `not_sent` or only a bot draft marks it `sent` (WB takes one
complaint per review, so the draft must not be filed again).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.pool import Connection
from db.repos import alerts as alerts_repo

# Staging columns, in the order of the tuples sync hands us.
STAGE_COLUMNS = (
    "id",
    "nm_id",
    "product_name",
    "vendor_code",
    "rating",
    "text",
    "pros",
    "cons",
    "author",
    "date",
    "answer",
    "photo_links",
    "video",
    "sfv",
    "spv",
    "has_answer",
)
StageRow = tuple[
    str,
    str,
    str,
    str,
    int,
    str,
    str,
    str,
    str,
    datetime,
    str | None,
    str | None,
    str | None,
    int | None,
    int | None,
    bool,
]


RESOLVED = """(r.complaint_status = 'approved' OR r.review_status_wb IN ('excluded', 'unpublished')
 OR r.vanished_at IS NOT NULL)"""
"""A resolved review (domain-rules.md, one definition everywhere) over a review aliased `r`:
its complaint approved, WB excluded or unpublished it, or it vanished from WB."""


@dataclass(frozen=True, slots=True)
class UpsertedReview:
    id: str
    rating: int
    date: datetime
    inserted: bool


async def prepare_stage(conn: Connection) -> None:
    """Create the session's staging tables (idempotent; they live as long as `conn`, a pooled
    connection, so every write that uses them calls this first)."""
    await conn.execute(
        """
        CREATE TEMP TABLE IF NOT EXISTS stage_reviews (
          id TEXT, nm_id TEXT, product_name TEXT, vendor_code TEXT, rating INT, text TEXT,
          pros TEXT, cons TEXT, author TEXT, date TIMESTAMPTZ, answer TEXT, photo_links TEXT,
          video TEXT, sfv INT, spv INT, has_answer BOOLEAN
        );
        CREATE TEMP TABLE IF NOT EXISTS seen_reviews (id TEXT PRIMARY KEY);
        """
    )


# The staged page holds each id once (`unique_by_id`): sorting wide rows to drop repeats in
# SQL spilled every page to disk.
_UPSERT = """
INSERT INTO reviews AS r (
  id, product_id, store_id, owner_id, rating, text, pros, cons, author, date, answer,
  photo_links, video, supplier_feedback_valuation, supplier_product_valuation, has_answer,
  is_product_active, complaint_status
)
SELECT s.id, p.id, $1, $2, s.rating, s.text, s.pros, s.cons, s.author, s.date, s.answer::jsonb,
       s.photo_links::jsonb, s.video::jsonb, s.sfv, s.spv, s.has_answer,
       COALESCE(p.is_active, TRUE),
       CASE WHEN s.sfv IS NOT NULL THEN 'sent' ELSE 'not_sent' END::complaint_status
  FROM stage_reviews s JOIN products p ON p.store_id = $1 AND p.wb_product_id = s.nm_id
ON CONFLICT (id) DO UPDATE SET
  product_id = EXCLUDED.product_id,
  rating = EXCLUDED.rating,
  text = EXCLUDED.text,
  pros = EXCLUDED.pros,
  cons = EXCLUDED.cons,
  author = EXCLUDED.author,
  date = EXCLUDED.date,
  answer = EXCLUDED.answer,
  photo_links = EXCLUDED.photo_links,
  video = EXCLUDED.video,
  supplier_feedback_valuation = EXCLUDED.supplier_feedback_valuation,
  supplier_product_valuation = EXCLUDED.supplier_product_valuation,
  has_answer = EXCLUDED.has_answer,
  is_product_active = EXCLUDED.is_product_active,
  vanished_at = NULL,
  complaint_status = CASE
    WHEN EXCLUDED.supplier_feedback_valuation IS NOT NULL
         AND r.complaint_status IN ('not_sent', 'draft')
    THEN 'sent'::complaint_status ELSE r.complaint_status END
WHERE r.store_id = EXCLUDED.store_id
  AND (
    (r.product_id, r.rating, r.text, r.pros, r.cons, r.author, r.date, r.answer, r.photo_links,
     r.video, r.supplier_feedback_valuation, r.supplier_product_valuation, r.has_answer,
     r.is_product_active)
    IS DISTINCT FROM
    (EXCLUDED.product_id, EXCLUDED.rating, EXCLUDED.text, EXCLUDED.pros, EXCLUDED.cons,
     EXCLUDED.author, EXCLUDED.date, EXCLUDED.answer, EXCLUDED.photo_links, EXCLUDED.video,
     EXCLUDED.supplier_feedback_valuation, EXCLUDED.supplier_product_valuation,
     EXCLUDED.has_answer, EXCLUDED.is_product_active)
    OR r.vanished_at IS NOT NULL
    OR (EXCLUDED.supplier_feedback_valuation IS NOT NULL
        AND r.complaint_status IN ('not_sent', 'draft'))
  )
RETURNING r.id, r.rating, r.date, (r.xmax = 0) AS inserted
"""

VANISHED_RESPONSE = "review removed from WB"
"""`review_complaints.wb_response` of a complaint approved because its review vanished."""

# A review that vanished is in the page again: WB had not removed it after all, so an
# approval inferred from its vanishing is undone (the complaint is filed, its verdict open).
# Runs before the upsert, which clears `vanished_at`.
_CAME_BACK = """
WITH back AS (
  SELECT r.id FROM reviews r JOIN stage_reviews s ON s.id = r.id
   WHERE r.store_id = $1 AND r.vanished_at IS NOT NULL
), undone AS (
  UPDATE review_complaints c SET status = 'sent', moderated_at = NULL, wb_response = NULL
    FROM back
   WHERE c.review_id = back.id AND c.status = 'approved' AND c.wb_response = $2
  RETURNING c.review_id
)
UPDATE reviews r SET complaint_status = 'sent'
  FROM undone
 WHERE r.id = undone.review_id AND r.complaint_status = 'approved'
"""

# A bot draft whose review WB now shows a complaint for was filed in the portal meanwhile.
_FILED_IN_PORTAL = """
UPDATE review_complaints c
   SET status = 'sent', sent_at = COALESCE(c.sent_at, NOW()),
       wb_response = 'complaint seen on WB (filed in the seller portal)'
  FROM stage_reviews s
 WHERE c.review_id = s.id AND s.sfv IS NOT NULL AND c.status = 'draft'
"""

_NEW_PRODUCTS = """
INSERT INTO products (id, store_id, owner_id, name, wb_product_id, vendor_code)
SELECT gen_random_uuid()::text, $1, $2, s.product_name, s.nm_id, s.vendor_code
  FROM (SELECT DISTINCT ON (nm_id) nm_id, product_name, vendor_code
          FROM stage_reviews ORDER BY nm_id) s
 WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.store_id = $1 AND p.wb_product_id = s.nm_id)
ON CONFLICT (store_id, wb_product_id) DO NOTHING
"""


def unique_by_id(rows: Sequence[StageRow]) -> Sequence[StageRow]:
    """The rows with each review id once, the last copy kept (WB may repeat one in a page)."""
    last = {r[0]: r for r in rows}
    return rows if len(last) == len(rows) else list(last.values())


async def upsert_page(
    conn: Connection,
    store_id: str,
    owner_id: str,
    rows: Sequence[StageRow],
    *,
    queue_new: tuple[datetime, datetime] | None = None,
) -> tuple[list[UpsertedReview], int]:
    """Write one page; return (inserted or changed reviews, products created).

    `queue_new = (dated_since, found_at)`: reviews this page inserts that are dated on or
    after `dated_since` go into the `new_reviews` queue in the same transaction, so a run
    that dies after this page still alerts and drafts them.
    """
    if not rows:
        return [], 0
    rows = unique_by_id(rows)
    async with conn.transaction():
        await prepare_stage(conn)
        await conn.execute("TRUNCATE stage_reviews")
        await conn.copy_records_to_table("stage_reviews", records=rows, columns=STAGE_COLUMNS)
        created = await conn.execute(_NEW_PRODUCTS, store_id, owner_id)
        await conn.execute(_CAME_BACK, store_id, VANISHED_RESPONSE)
        result = await conn.fetch(_UPSERT, store_id, owner_id)
        await conn.execute(_FILED_IN_PORTAL)
        if queue_new is not None:
            since, found_at = queue_new
            fresh = [r["id"] for r in result if r["inserted"] and r["date"] >= since]
            await alerts_repo.enqueue_new_reviews(conn, store_id, fresh, now=found_at)
        inserted = sum(1 for r in result if r["inserted"])
        if inserted:  # the store card counts a run's reviews as they arrive, not at its end
            await conn.execute(
                "UPDATE stores SET total_reviews = COALESCE(total_reviews, 0) + $2 WHERE id = $1",
                store_id,
                inserted,
            )
    changed = [UpsertedReview(r["id"], r["rating"], r["date"], r["inserted"]) for r in result]
    return changed, int(created.split()[-1])


@dataclass(frozen=True, slots=True)
class VanishReport:
    marked: int
    skipped_windows: int
    complaints_approved: int
    gone: tuple[str, ...] = ()
    """The ids marked vanished (resolved reviews: their chats' follow-ups stop)."""


_VANISH_WINDOWS = """
WITH ranked AS (  -- the newest reviews short of a whole window join the one before them
  SELECT r.id,
         LEAST((row_number() OVER (ORDER BY r.date, r.id) - 1) / $3::int,
               GREATEST(count(*) OVER () / $3::int - 1, 0)) AS win,
         NOT EXISTS (SELECT 1 FROM seen_reviews s WHERE s.id = r.id) AS missing
    FROM reviews r
   WHERE r.store_id = $1 AND r.vanished_at IS NULL AND r.date <= $2::timestamptz
),
judged AS (  -- each review with its window's size and losses (no join: see mark_vanished)
  SELECT id, win, missing,
         count(*) OVER (PARTITION BY win) AS total,
         count(*) FILTER (WHERE missing) OVER (PARTITION BY win) AS lost
    FROM ranked
)
"""


async def mark_vanished(
    conn: Connection,
    store_id: str,
    seen: Collection[str],
    *,
    now: datetime,
    until: datetime,
    max_share: float = 0.3,
    window: int = 100,
) -> VanishReport:
    """After a full sync: reviews not `seen` in it are gone, unless too many went at once.

    Known reviews dated up to `until` (where the run's walk ended: a review an incremental
    sync stored after that was not looked for) are cut into windows of `window` reviews in
    date order (the newest few short of a window join the last whole one, so the most recent
    reviews are judged among at least `window` of them). A window where `max_share` or more
    of them vanished at once is an API fault and is left alone (domain-rules.md: only fewer
    than 30% are marked gone). A vanished review with a complaint `sent` or `pending` becomes
    `approved`: WB removes reviews it upholds complaints against.

    Window sizes and losses are window functions over the reviews, not a join with a table of
    windows: right after a first sync the planner's row estimates for the store are stale,
    and a joined plan it picked on them took 16 s for 200,000 reviews.
    """
    async with conn.transaction():
        await conn.execute("SET LOCAL work_mem = '64MB'")  # sorts a store's reviews by date
        await prepare_stage(conn)
        await conn.execute("TRUNCATE seen_reviews")
        await conn.copy_records_to_table(
            "seen_reviews", records=((i,) for i in seen), columns=("id",)
        )
        await conn.execute("ANALYZE seen_reviews")
        skipped = await conn.fetchval(
            _VANISH_WINDOWS
            + "SELECT count(DISTINCT win) FROM judged WHERE lost > 0 AND lost >= $4::float8 * total",
            store_id,
            until,
            window,
            max_share,
        )
        gone = await conn.fetch(
            _VANISH_WINDOWS
            + """
            UPDATE reviews r SET vanished_at = $5
              FROM judged j
             WHERE r.id = j.id AND j.missing AND j.lost < $4::float8 * j.total
            RETURNING r.id, r.complaint_status
            """,
            store_id,
            until,
            window,
            max_share,
            now,
        )
        upheld = [g["id"] for g in gone if g["complaint_status"] in ("sent", "pending")]
        if upheld:
            await conn.execute(
                """
                UPDATE reviews SET complaint_status = 'approved'
                 WHERE id = ANY($1::text[]) AND complaint_status IN ('sent', 'pending')
                """,
                upheld,
            )
            await conn.execute(
                """
                UPDATE review_complaints SET status = 'approved', moderated_at = $2,
                       wb_response = $3
                 WHERE review_id = ANY($1::text[]) AND status IN ('sent', 'pending')
                """,
                upheld,
                now,
                VANISHED_RESPONSE,
            )
    return VanishReport(len(gone), skipped, len(upheld), tuple(g["id"] for g in gone))


def json_or_none(value: Any) -> str | None:
    """JSON text for a staging column (cast to jsonb in SQL), or NULL."""
    return None if value is None else json.dumps(value, ensure_ascii=False)
