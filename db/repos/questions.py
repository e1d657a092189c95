"""Questions from WB: sync upserts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.pool import Conn


@dataclass(frozen=True, slots=True)
class QuestionUpsert:
    id: str
    text: str
    created_date: datetime
    state: str
    was_viewed: bool
    is_answered: bool
    answer: Any
    product_nm_id: int
    product_name: str
    product_supplier_article: str | None
    product_brand_name: str | None


async def upsert_questions(
    conn: Conn, store_id: str, owner_id: str, items: Sequence[QuestionUpsert]
) -> tuple[int, int]:
    """(inserted, updated); the AI draft thread is the bot's and is kept."""
    if not items:
        return 0, 0
    rows = await conn.fetch(
        """
        INSERT INTO questions AS q (id, store_id, owner_id, text, created_date, state, was_viewed,
               is_answered, answer, product_nm_id, product_name, product_supplier_article,
               product_brand_name)
        SELECT x.id, $1, $2, x.text, x.created, x.state, x.viewed, x.answered, x.answer, x.nm,
               x.pname, x.article, x.brand
          FROM unnest($3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::bool[],
                      $8::bool[], $9::jsonb[], $10::int[], $11::text[], $12::text[], $13::text[])
               AS x(id, text, created, state, viewed, answered, answer, nm, pname, article, brand)
        ON CONFLICT (id) DO UPDATE
           SET text = EXCLUDED.text, created_date = EXCLUDED.created_date,
               state = EXCLUDED.state, was_viewed = EXCLUDED.was_viewed,
               is_answered = EXCLUDED.is_answered, answer = EXCLUDED.answer,
               product_nm_id = EXCLUDED.product_nm_id, product_name = EXCLUDED.product_name,
               product_supplier_article = EXCLUDED.product_supplier_article,
               product_brand_name = EXCLUDED.product_brand_name
         WHERE q.store_id = EXCLUDED.store_id
           AND (q.text, q.created_date, q.state, q.was_viewed, q.is_answered, q.answer,
                q.product_nm_id, q.product_name, q.product_supplier_article,
                q.product_brand_name)
               IS DISTINCT FROM
               (EXCLUDED.text, EXCLUDED.created_date, EXCLUDED.state, EXCLUDED.was_viewed,
                EXCLUDED.is_answered, EXCLUDED.answer, EXCLUDED.product_nm_id,
                EXCLUDED.product_name, EXCLUDED.product_supplier_article,
                EXCLUDED.product_brand_name)
        RETURNING (q.xmax = 0) AS inserted
        """,
        store_id,
        owner_id,
        [i.id for i in items],
        [i.text for i in items],
        [i.created_date for i in items],
        [i.state for i in items],
        [i.was_viewed for i in items],
        [i.is_answered for i in items],
        [i.answer for i in items],
        [i.product_nm_id for i in items],
        [i.product_name for i in items],
        [i.product_supplier_article for i in items],
        [i.product_brand_name for i in items],
    )
    inserted = sum(1 for r in rows if r["inserted"])
    return inserted, len(rows) - inserted
