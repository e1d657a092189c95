"""`ai_leases`: one row per object an LLM is working on, with its holder and expiry.

A claim is one conditional statement (insert, or take over an expired row) committed before
the outside call, so no connection or lock is held while the call runs.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from db.pool import Conn


class LeaseKind(StrEnum):
    """What is being worked on; the object id is a review's id for both."""

    COMPLAINT_DRAFT = "complaint_draft"
    REPLY_DRAFT = "reply_draft"
    QUESTION_DRAFT = "question_draft"  # the object id is a question's id
    CHAT_DRAFT = "chat_draft"


async def claim_lease(
    db: Conn, kind: LeaseKind, object_id: str, holder: str, *, ttl: timedelta
) -> bool:
    """True when `holder` now holds the lease (it was free or expired); PostgreSQL's clock
    decides expiry, so instances with drifting clocks agree."""
    row = await db.fetchval(
        """
        INSERT INTO ai_leases AS l (kind, object_id, holder, expires_at)
        VALUES ($1, $2, $3, now() + $4::interval)
        ON CONFLICT (kind, object_id) DO UPDATE
           SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
         WHERE l.expires_at <= now()
        RETURNING l.holder
        """,
        kind.value,
        object_id,
        holder,
        ttl,
    )
    return row is not None


async def release_lease(db: Conn, kind: LeaseKind, object_id: str, holder: str) -> None:
    """Give the lease back; a lease another holder took over after ours expired stays."""
    await db.execute(
        "DELETE FROM ai_leases WHERE kind = $1 AND object_id = $2 AND holder = $3",
        kind.value,
        object_id,
        holder,
    )
