"""Screen and batch queries of complaints: the context a draft is written in, and the SQL
mirror of `services.complaints.auto_gate` that counts and pages a whole store without loading it."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import asyncpg

from db.pool import Conn

_CONTEXT_SQL = """
SELECT row_to_json(r.*)::jsonb AS review, row_to_json(p.*)::jsonb AS product,
       CASE WHEN pr.id IS NULL THEN NULL ELSE row_to_json(pr.*)::jsonb END AS rules,
       jsonb_build_object('id', s.id, 'owner_id', s.owner_id, 'name', s.name,
                          'status', s.status, 'ai_instructions', s.ai_instructions) AS store,
       EXISTS (SELECT 1 FROM review_complaints c WHERE c.review_id = r.id) AS has_complaint_row
  FROM reviews r
  JOIN products p ON p.id = r.product_id
  JOIN stores s ON s.id = r.store_id
  LEFT JOIN product_rules pr ON pr.product_id = p.id
 WHERE r.id = $1
"""

# SQL mirror of `auto_gate`, used to count a whole store without loading it.
_GATE_CASE = """
CASE
  WHEN s.status IS DISTINCT FROM 'active' THEN 'store_paused'
  WHEN r.rating NOT BETWEEN 1 AND 4 THEN 'rating'
  WHEN r.date < $2 THEN 'too_old'
  WHEN r.review_status_wb NOT IN ('visible', 'unknown') THEN 'wb_status'
  WHEN r.vanished_at IS NOT NULL THEN 'vanished'
  WHEN r.complaint_status <> 'not_sent'
       OR EXISTS (SELECT 1 FROM review_complaints c WHERE c.review_id = r.id)
    THEN 'complaint_exists'
  WHEN NOT COALESCE(p.is_active, TRUE) THEN 'product_inactive'
  WHEN p.work_status IS DISTINCT FROM 'active' THEN 'product_not_worked'
  WHEN NOT COALESCE(pr.submit_complaints, FALSE) THEN 'rules_off'
  WHEN NOT COALESCE(CASE r.rating WHEN 1 THEN pr.complaint_rating_1
                                  WHEN 2 THEN pr.complaint_rating_2
                                  WHEN 3 THEN pr.complaint_rating_3
                                  WHEN 4 THEN pr.complaint_rating_4 END, FALSE)
    THEN 'rating_off'
  ELSE 'eligible'
END
"""

# Blank as Python's str.strip() sees it (`needs_template`): every character str.isspace()
# calls white space, spelled out so that no database locale can disagree.
_BLANK = r"^[\s\u001c-\u001f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"

_FROM = """
  FROM reviews r
  JOIN products p ON p.id = r.product_id
  JOIN stores s ON s.id = r.store_id
  LEFT JOIN product_rules pr ON pr.product_id = p.id
"""


async def complaint_context(conn: Conn, review_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(_CONTEXT_SQL, review_id)


async def gate_counts(conn: Conn, store_id: str, floor: datetime) -> Counter[str]:
    """Reviews of a store per first failing gate ('eligible' for the rest)."""
    rows = await conn.fetch(
        f"SELECT {_GATE_CASE} AS gate, count(*) AS n {_FROM} WHERE r.store_id = $1 GROUP BY 1",
        store_id,
        floor,
    )
    return Counter({r["gate"]: int(r["n"]) for r in rows})


async def count_templated(conn: Conn, store_id: str, floor: datetime) -> int:
    """Eligible reviews rated 1-3 whose text, pros and cons are all blank."""
    return int(
        await conn.fetchval(
            f"""SELECT count(*) {_FROM}
                 WHERE r.store_id = $1 AND {_GATE_CASE} = 'eligible' AND r.rating <= 3
                   AND COALESCE(r.text, '') ~ $3 AND COALESCE(r.pros, '') ~ $3
                   AND COALESCE(r.cons, '') ~ $3""",
            store_id,
            floor,
            _BLANK,
        )
    )


async def eligible_page(
    conn: Conn, store_id: str, floor: datetime, after: tuple[datetime, str] | None, size: int
) -> list[asyncpg.Record]:
    """The next page of eligible reviews, newest first (keyset on date, id)."""
    return await conn.fetch(
        f"""
        SELECT r.id, r.date {_FROM}
         WHERE r.store_id = $1 AND r.complaint_status = 'not_sent'
           AND r.rating BETWEEN 1 AND 4
           AND ($3::timestamptz IS NULL OR (r.date, r.id) < ($3, $4))
           AND {_GATE_CASE} = 'eligible'
         ORDER BY r.date DESC, r.id DESC
         LIMIT $5
        """,
        store_id,
        floor,
        after[0] if after else None,
        after[1] if after else None,
        size,
    )


async def store_owner(conn: Conn, store_id: str) -> str | None:
    owner: str | None = await conn.fetchval("SELECT owner_id FROM stores WHERE id = $1", store_id)
    return owner
