"""Alerts for new buyer messages (`chat_alerts`, migration 0021): write a batch's rows, claim
stale and held ones, mark them sent or failed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg

from db.pool import Conn

_QUIET = """COALESCE((SELECT in_quiet_hours(p.quiet_start, p.quiet_end, {hour})
                        FROM user_preferences p WHERE p.user_id = a.user_id), FALSE)"""


async def write_batch(
    conn: Conn,
    store_id: str,
    batch: str,
    chat_ids: Sequence[str],
    messages: int,
    *,
    now: datetime,
    hour: int,
) -> list[asyncpg.Record]:
    """One row per person who works the store (owner, managers with alerts on; approved, not
    blocked): 'held' in their quiet hours, else 'claimed' for the send that follows. Returns
    the claimed rows; a batch already written writes nothing."""
    return await conn.fetch(
        """
        WITH people AS (
            SELECT s.owner_id AS user_id FROM stores s WHERE s.id = $1 AND s.status = 'active'
            UNION
            SELECT m.user_id FROM store_members m JOIN stores s ON s.id = m.store_id
             WHERE m.store_id = $1 AND m.alerts_enabled AND s.status = 'active'
        )
        INSERT INTO chat_alerts AS a (batch, user_id, store_id, chat_ids, messages, status,
                                      attempts, claimed_at)
        SELECT $2, pe.user_id, $1, $3::text[], $4,
               CASE WHEN in_quiet_hours(p.quiet_start, p.quiet_end, $6) THEN 'held'
                    ELSE 'claimed' END,
               CASE WHEN in_quiet_hours(p.quiet_start, p.quiet_end, $6) THEN 0 ELSE 1 END,
               $5
          FROM people pe
          JOIN users u ON u.id = pe.user_id AND u.is_approved
          JOIN telegram_accounts t ON t.user_id = u.id AND NOT t.is_blocked
          LEFT JOIN user_preferences p ON p.user_id = u.id
        ON CONFLICT (batch, user_id) DO NOTHING
        RETURNING a.id, a.user_id, a.store_id, a.chat_ids, a.messages, a.status, a.claimed_at
        """,
        store_id,
        batch,
        list(chat_ids),
        messages,
        now,
        hour,
    )


async def claim_due(
    conn: Conn, *, now: datetime, hour: int, stale: timedelta, max_attempts: int
) -> list[asyncpg.Record]:
    """Stale claims (their process died) and held rows whose quiet hours are over."""
    return await conn.fetch(
        f"""
        UPDATE chat_alerts a SET status = 'claimed', claimed_at = $1, attempts = a.attempts + 1
         WHERE a.id IN (
               SELECT q.id FROM chat_alerts q
                WHERE (q.status = 'claimed' AND q.claimed_at < $1::timestamptz - $3::interval
                       AND q.attempts < $4)
                   OR q.status = 'held'
                  FOR UPDATE SKIP LOCKED)
           AND (a.status = 'claimed' OR NOT {_QUIET.format(hour="$2")})
        RETURNING a.id, a.user_id, a.store_id, a.chat_ids, a.messages, a.status, a.claimed_at
        """,
        now,
        hour,
        stale,
        max_attempts,
    )


async def mark(
    conn: Conn, ids: Sequence[str], status: str, *, claimed_at: datetime, now: datetime
) -> None:
    """Sent or failed, when this process's claim (by `claimed_at`) still stands."""
    await conn.execute(
        """UPDATE chat_alerts SET status = $2,
                  sent_at = CASE WHEN $2 = 'sent' THEN $3 ELSE sent_at END
            WHERE id = ANY($1::text[]) AND status = 'claimed' AND claimed_at = $4""",
        list(ids),
        status,
        now,
        claimed_at,
    )


async def release(conn: Conn, ids: Sequence[str], *, claimed_at: datetime) -> int:
    """Claims this process will not send (it is stopping): dated back to the epoch, so the
    next sweep of any instance takes them at once; the attempt is not counted."""
    status = await conn.execute(
        """UPDATE chat_alerts a SET claimed_at = 'epoch', attempts = GREATEST(a.attempts - 1, 0)
            WHERE id = ANY($1::text[]) AND status = 'claimed' AND claimed_at = $2""",
        list(ids),
        claimed_at,
    )
    return int(status.split()[-1])


async def chat_lines(conn: Conn, chat_ids: Sequence[str]) -> list[asyncpg.Record]:
    """What an alert shows of each chat: buyer, product, the newest buyer message."""
    return await conn.fetch(
        """
        SELECT c.id, c.client_name, c.product_name, s.name AS store_name,
               (SELECT m.text FROM chat_messages m WHERE m.chat_id = c.id AND m.sender = 'client'
                 ORDER BY m.timestamp DESC LIMIT 1) AS text
          FROM chats c JOIN stores s ON s.id = c.store_id
         WHERE c.id = ANY($1::text[])
         ORDER BY c.last_message_date DESC NULLS LAST
        """,
        list(chat_ids),
    )
