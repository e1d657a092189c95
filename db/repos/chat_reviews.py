"""The chat ↔ review link (docs/decisions.md, "Chat ↔ review"), defined once.

WB's chat names the product (`goodCard.nmID`) and the buyer's first name, never a review. A
chat's review is the newest review of the same store whose product has that nmId, whose
author equals the chat's `client_name` (trimmed, case-insensitive) and which is dated no later
than the chat's last message. `LINKED_REVIEW` is that rule as a subquery over a chat aliased
`c` (use it in `LEFT JOIN LATERAL (...) rv ON true`); the chat card, the stops of follow-ups
on resolved reviews and the sender's check of a due step (`rv.resolved`) all read it, so they
can never disagree.
"""

from __future__ import annotations

from collections.abc import Collection

from db.pool import Conn
from db.repos.reviews import RESOLVED

LINKED_REVIEW = f"""
SELECT r.id, r.rating, r.text, r.author, r.date, r.pros, r.cons, {RESOLVED} AS resolved
  FROM reviews r
  JOIN products p ON p.id = r.product_id
 WHERE r.store_id = c.store_id AND p.store_id = c.store_id
   AND p.wb_product_id = c.product_nm_id
   AND c.client_name <> ''
   AND lower(btrim(r.author)) = lower(btrim(c.client_name))
   AND r.date <= COALESCE(c.last_message_date, c.created_at)
 ORDER BY r.date DESC, r.id
 LIMIT 1
"""


async def stop_sequences_of_reviews(conn: Conn, review_ids: Collection[str], reason: str) -> int:
    """Stop, in one statement, the running sequences of the chats linked to these reviews.

    Starts from the running sequences of the reviews' stores (few: one per chat at most) and
    asks each its chat's linked review, so a chat whose newest matching review is another one
    is left alone."""
    if not review_ids:
        return 0
    status = await conn.execute(
        f"""
        UPDATE chat_auto_sequences s
           SET status = 'stopped', stop_reason = $2, updated_at = now()
          FROM chats c
          CROSS JOIN LATERAL ({LINKED_REVIEW}) rv
         WHERE s.status = 'active' AND c.id = s.chat_id
           AND s.store_id IN (SELECT DISTINCT store_id FROM reviews WHERE id = ANY($1::text[]))
           AND rv.id = ANY($1::text[])
        """,
        list(review_ids),
        reason,
    )
    return int(status.split()[-1])
