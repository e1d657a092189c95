"""Follow-up sequences (`chat_auto_sequences`): start, stop, and claim due steps safely.

At most one active sequence per chat (unique partial index, migration 0004). Due steps are
claimed with `FOR UPDATE SKIP LOCKED` inside the caller's transaction, so several processes
running the same job never take the same step.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

from db.pool import Conn, Connection


async def start_sequence(
    conn: Conn,
    chat_id: str,
    *,
    messages: list[dict[str, Any]],
    sequence_type: str,
    next_send_at: datetime,
    max_steps: int = 14,
) -> str | None:
    """Start a sequence for a chat of its store; None if one is already running."""
    sequence_id = await conn.fetchval(
        """
        INSERT INTO chat_auto_sequences (chat_id, store_id, owner_id, sequence_type, messages,
                                         max_steps, next_send_at)
        SELECT c.id, c.store_id, c.owner_id, $2, $3::text::jsonb, $4, $5
          FROM chats c WHERE c.id = $1
        ON CONFLICT (chat_id) WHERE status = 'active' DO NOTHING
        RETURNING id
        """,
        chat_id,
        sequence_type,
        json.dumps(messages, ensure_ascii=False),
        max_steps,
        next_send_at,
    )
    return None if sequence_id is None else str(sequence_id)


async def stop_sequence(conn: Conn, chat_id: str, reason: str) -> bool:
    status = await conn.execute(
        """
        UPDATE chat_auto_sequences SET status = 'stopped', stop_reason = $2
         WHERE chat_id = $1 AND status = 'active'
        """,
        chat_id,
        reason,
    )
    return status != "UPDATE 0"


async def claim_due(conn: Connection, now: datetime, limit: int = 50) -> list[asyncpg.Record]:
    """Lock due active sequences for this transaction; others skip them."""
    return await conn.fetch(
        """
        SELECT * FROM chat_auto_sequences
         WHERE status = 'active' AND next_send_at <= $1
         ORDER BY next_send_at
         LIMIT $2
           FOR UPDATE SKIP LOCKED
        """,
        now,
        limit,
    )


async def active_sequence(conn: Conn, chat_id: str) -> asyncpg.Record | None:
    """The chat's running sequence (the chat card's "sequence state" line), if any."""
    return await conn.fetchrow(
        """SELECT id, sequence_type, current_step, max_steps, next_send_at, last_sent_at
             FROM chat_auto_sequences WHERE chat_id = $1 AND status = 'active'""",
        chat_id,
    )
