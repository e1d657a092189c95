"""Weekly digests: which stores get one this week and the claim that makes it once per store
and week across instances (`weekly_digests`, migration 0024)."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg

from db.claims import STALE_CLAIM
from db.pool import Conn

Executor = Conn


async def digest_targets(db: Executor) -> list[asyncpg.Record]:
    """Active stores whose owner has a Telegram chat and did not turn the digest off."""
    return await db.fetch(
        """SELECT s.id AS store_id, s.name AS store_name, s.owner_id, t.telegram_id,
                  COALESCE(p.language,
                           CASE WHEN t.language_code LIKE 'en%' THEN 'en' ELSE 'ru' END)
                    AS language
             FROM stores s
             JOIN users u ON u.id = s.owner_id AND u.is_approved
             JOIN telegram_accounts t ON t.user_id = s.owner_id AND NOT t.is_blocked
             LEFT JOIN user_preferences p ON p.user_id = s.owner_id
            WHERE s.status = 'active' AND COALESCE(p.weekly_digest, TRUE)
            ORDER BY s.id"""
    )


async def claim(db: Executor, store_id: str, week: date, holder: str, now: datetime) -> bool:
    """True when this instance got the store's digest for `week` (new, or a stale claim)."""
    got = await db.fetchval(
        """INSERT INTO weekly_digests (store_id, week_start, claimed_by, claimed_at)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (store_id, week_start) DO UPDATE
              SET claimed_by = EXCLUDED.claimed_by, claimed_at = EXCLUDED.claimed_at
            WHERE weekly_digests.sent_at IS NULL AND weekly_digests.claimed_at < $5
           RETURNING TRUE""",
        store_id,
        week,
        holder,
        now,
        now - STALE_CLAIM,
    )
    return bool(got)


async def mark_sent(db: Executor, store_id: str, week: date, holder: str, now: datetime) -> None:
    await db.execute(
        """UPDATE weekly_digests SET sent_at = $4
            WHERE store_id = $1 AND week_start = $2 AND claimed_by = $3""",
        store_id,
        week,
        holder,
        now,
    )


async def release(db: Executor, store_id: str, week: date, holder: str) -> None:
    """A failed send: let the next tick (of any instance) try again."""
    await db.execute(
        """DELETE FROM weekly_digests
            WHERE store_id = $1 AND week_start = $2 AND claimed_by = $3 AND sent_at IS NULL""",
        store_id,
        week,
        holder,
    )


async def set_opt(db: Executor, user_id: str, enabled: bool) -> None:
    await db.execute(
        """INSERT INTO user_preferences (user_id, weekly_digest) VALUES ($1, $2)
           ON CONFLICT (user_id) DO UPDATE SET weekly_digest = EXCLUDED.weekly_digest""",
        user_id,
        enabled,
    )


async def get_opt(db: Executor, user_id: str) -> bool:
    value = await db.fetchval(
        "SELECT weekly_digest FROM user_preferences WHERE user_id = $1", user_id
    )
    return True if value is None else bool(value)
