"""Complaints: `review_complaints` and the review's own complaint columns, always together.

Every change is one transaction and a conditional UPDATE on the current status, so two
people pressing buttons on the same complaint at once cannot produce an invalid state: the
second press changes nothing and the caller shows the state as it now is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from db.models import ComplaintRow
from db.pool import Conn, Connection

_COMPLAINT = ComplaintRow.columns()
_C_COLS = ComplaintRow.columns("c")


@dataclass(frozen=True, slots=True)
class NewDraft:
    text: str
    reason_id: int
    reason_name: str
    model: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None
    cost_usd: Decimal | None
    duration_ms: int | None


async def get_complaint(conn: Conn, complaint_id: str) -> ComplaintRow | None:
    row = await conn.fetchrow(
        f"SELECT {_COMPLAINT} FROM review_complaints WHERE id = $1", complaint_id
    )
    return ComplaintRow.from_record(row) if row else None


async def insert_draft(
    conn: Connection, review_id: str, draft: NewDraft, *, now: datetime
) -> ComplaintRow | None:
    """Create the draft if the review still has no complaint; None if someone was first."""
    async with conn.transaction():
        review = await conn.fetchrow(
            """
            SELECT r.id, r.store_id, r.owner_id, r.product_id, r.rating, r.text, r.date,
                   r.complaint_status, p.name AS product_name, p.vendor_code, p.is_active
              FROM reviews r JOIN products p ON p.id = r.product_id
             WHERE r.id = $1
               FOR UPDATE OF r
            """,
            review_id,
        )
        if review is None or review["complaint_status"] != "not_sent":
            return None
        row = await conn.fetchrow(
            f"""
            INSERT INTO review_complaints AS c (
              review_id, store_id, owner_id, product_id, complaint_text, reason_id, reason_name,
              status, generated_at, ai_model, ai_prompt_tokens, ai_completion_tokens,
              ai_total_tokens, ai_cost_usd, generation_duration_ms, review_rating, review_text,
              review_date, product_name, product_vendor_code, product_is_active)
            VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, COALESCE($9, 'deepseek-chat'),
                    $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, COALESCE($20, TRUE))
            ON CONFLICT (review_id) DO NOTHING
            RETURNING {_C_COLS}
            """,
            review_id,
            review["store_id"],
            review["owner_id"],
            review["product_id"],
            draft.text,
            draft.reason_id,
            draft.reason_name,
            now,
            draft.model,
            draft.prompt_tokens,
            draft.completion_tokens,
            draft.total_tokens,
            draft.cost_usd,
            draft.duration_ms,
            review["rating"],
            review["text"],
            review["date"],
            review["product_name"],
            review["vendor_code"],
            review["is_active"],
        )
        if row is None:
            return None
        await conn.execute(
            """
            UPDATE reviews SET complaint_status = 'draft', complaint_text = $2,
                   complaint_generated_at = $3, complaint_reason_id = $4, complaint_category = $5
             WHERE id = $1
            """,
            review_id,
            draft.text,
            now,
            draft.reason_id,
            draft.reason_name,
        )
    return ComplaintRow.from_record(row)


async def replace_draft(
    conn: Connection,
    complaint_id: str,
    draft: NewDraft,
    *,
    now: datetime,
    regenerated: bool,
) -> ComplaintRow | None:
    """Regenerate (new text and reason) or edit (new text) a draft; None if not a draft."""
    async with conn.transaction():
        row = await conn.fetchrow(
            f"""
            UPDATE review_complaints c
               SET complaint_text = $2, reason_id = $3, reason_name = $4,
                   regenerated_count = COALESCE(regenerated_count, 0) + CASE WHEN $5 THEN 1 ELSE 0 END,
                   last_regenerated_at = CASE WHEN $5 THEN $6 ELSE last_regenerated_at END,
                   ai_model = COALESCE($7, ai_model),
                   ai_prompt_tokens = COALESCE($8, ai_prompt_tokens),
                   ai_completion_tokens = COALESCE($9, ai_completion_tokens),
                   ai_total_tokens = COALESCE($10, ai_total_tokens),
                   ai_cost_usd = CASE WHEN $11::numeric IS NULL THEN ai_cost_usd
                                      ELSE COALESCE(ai_cost_usd, 0) + $11 END,
                   generation_duration_ms = COALESCE($12, generation_duration_ms)
             WHERE id = $1 AND status = 'draft'
            RETURNING {_C_COLS}
            """,
            complaint_id,
            draft.text,
            draft.reason_id,
            draft.reason_name,
            regenerated,
            now,
            draft.model,
            draft.prompt_tokens,
            draft.completion_tokens,
            draft.total_tokens,
            draft.cost_usd,
            draft.duration_ms,
        )
        if row is None:
            return None
        await conn.execute(
            """
            UPDATE reviews SET complaint_text = $2, complaint_reason_id = $3,
                   complaint_category = $4
             WHERE id = $1 AND complaint_status = 'draft'
            """,
            row["review_id"],
            draft.text,
            draft.reason_id,
            draft.reason_name,
        )
    return ComplaintRow.from_record(row)


async def discard_draft(conn: Connection, complaint_id: str) -> str | None:
    """Remove a draft, the review goes back to `not_sent`; the review id, or None."""
    async with conn.transaction():
        review_id = await conn.fetchval(
            "DELETE FROM review_complaints WHERE id = $1 AND status = 'draft' RETURNING review_id",
            complaint_id,
        )
        if review_id is None:
            return None
        await conn.execute(
            """
            UPDATE reviews SET complaint_status = 'not_sent', complaint_text = NULL,
                   complaint_generated_at = NULL, complaint_reason_id = NULL,
                   complaint_category = NULL
             WHERE id = $1 AND complaint_status = 'draft'
            """,
            review_id,
        )
    return str(review_id)


async def lock_complaint(conn: Connection, complaint_id: str) -> ComplaintRow | None:
    """The complaint, its row locked until the caller's transaction ends."""
    row = await conn.fetchrow(
        f"SELECT {_COMPLAINT} FROM review_complaints WHERE id = $1 FOR UPDATE", complaint_id
    )
    return ComplaintRow.from_record(row) if row else None


async def mark_sent(
    conn: Connection, complaint_id: str, user_id: str, *, now: datetime
) -> ComplaintRow | None:
    """The seller filed it in the portal: draft -> sent; the text is frozen from now on."""
    async with conn.transaction():
        row = await conn.fetchrow(
            f"""
            UPDATE review_complaints c SET status = 'sent', sent_at = $3, sent_by_user_id = $2
             WHERE id = $1 AND status = 'draft'
            RETURNING {_C_COLS}
            """,
            complaint_id,
            user_id,
            now,
        )
        if row is None:
            return None
        await conn.execute(
            """
            UPDATE reviews SET complaint_status = 'sent', complaint_sent_date = $2
             WHERE id = $1
            """,
            row["review_id"],
            now,
        )
    return ComplaintRow.from_record(row)


OUTCOMES = ("pending", "approved", "rejected")


async def mark_outcome(
    conn: Connection, complaint_id: str, outcome: str, *, now: datetime
) -> ComplaintRow | None:
    """WB's verdict as the seller saw it; a filed complaint's outcome may be corrected."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    async with conn.transaction():
        row = await conn.fetchrow(
            f"""
            UPDATE review_complaints c
               SET status = $2,
                   moderated_at = CASE WHEN $2 = 'pending' THEN moderated_at ELSE $3 END
             WHERE id = $1 AND status IN ('sent', 'pending', 'approved', 'rejected')
               AND status <> $2
            RETURNING {_C_COLS}
            """,
            complaint_id,
            outcome,
            now,
        )
        if row is None:
            return None
        await conn.execute(
            "UPDATE reviews SET complaint_status = $2::complaint_status WHERE id = $1",
            row["review_id"],
            outcome,
        )
    return ComplaintRow.from_record(row)
