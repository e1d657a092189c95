"""Review replies: the context a reply is drafted in, the stored draft, and the publish claim
in `review_publishes` that keeps two presses from answering one review twice
(`db/repos/publish_claims.py`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import asyncpg

from db.pool import Conn
from db.repos.publish_claims import PublishClaims

_CONTEXT_SQL = """
SELECT row_to_json(r.*)::jsonb AS review, row_to_json(p.*)::jsonb AS product,
       CASE WHEN pr.id IS NULL THEN NULL ELSE row_to_json(pr.*)::jsonb END AS rules,
       r.date AS review_date
  FROM reviews r
  JOIN products p ON p.id = r.product_id
  LEFT JOIN product_rules pr ON pr.product_id = p.id
 WHERE r.id = $1
"""

CLAIMS: Final = PublishClaims("review_publishes", "review_id", ("text",))
"""The review's publish claim (claim, blocker, release, mark_unknown)."""


async def reply_context(conn: Conn, review_id: str) -> asyncpg.Record | None:
    """The review, its product and the product's rules as JSON objects."""
    return await conn.fetchrow(_CONTEXT_SQL, review_id)


async def set_draft(conn: Conn, review_id: str, text: str) -> None:
    await conn.execute(
        "UPDATE reviews SET draft_reply = $2 WHERE id = $1 AND has_answer IS NOT TRUE",
        review_id,
        text,
    )


async def pending_publish(conn: Conn, review_id: str, stale: timedelta) -> str | None:
    state: str | None = await conn.fetchval(
        "SELECT CASE WHEN p.state = 'publishing' AND p.started_at < now() - $2::interval"
        " THEN 'unknown' ELSE p.state END"
        " FROM review_publishes p JOIN reviews r ON r.id = p.review_id"
        " WHERE p.review_id = $1 AND r.has_answer IS NOT TRUE",
        review_id,
        stale,
    )
    return state


async def answer_and_draft(conn: Conn, review_id: str) -> asyncpg.Record | None:
    """`has_answer` and `draft_reply` of the review."""
    return await conn.fetchrow(
        "SELECT has_answer, draft_reply FROM reviews WHERE id = $1", review_id
    )


async def record_answer(conn: Conn, review_id: str, text: str) -> None:
    """The review is answered with `text`; its draft is cleared."""
    await conn.execute(
        """
        UPDATE reviews
           SET answer = jsonb_build_object('text', $2::text, 'state', 'wbRu',
                                           'editable', TRUE),
               has_answer = TRUE, draft_reply = NULL
         WHERE id = $1
        """,
        review_id,
        text,
    )
