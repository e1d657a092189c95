"""AI settings from the bot (issue 16): the audit of changes, monthly spend from `ai_logs`,
the per-person cap, a store's `ai_instructions`, and sample objects for prompt previews.

The audit never holds a key: callers pass None for a key's old and new value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import asyncpg

from db.pool import Conn

Executor = Conn


@dataclass(frozen=True, slots=True)
class AuditRow:
    user_id: str
    store_id: str | None
    field: str
    action: str
    old_value: str | None
    new_value: str | None
    created_at: datetime


async def insert_audit(
    db: Executor,
    user_id: str,
    field: str,
    action: str,
    *,
    old: str | None = None,
    new: str | None = None,
    store_id: str | None = None,
) -> None:
    await db.execute(
        """INSERT INTO ai_settings_audit (user_id, store_id, field, action, old_value, new_value)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        user_id,
        store_id,
        field,
        action,
        old,
        new,
    )


async def audit_rows(db: Executor, user_id: str, limit: int = 50) -> list[AuditRow]:
    rows = await db.fetch(
        """SELECT user_id, store_id, field, action, old_value, new_value, created_at
             FROM ai_settings_audit WHERE user_id = $1 ORDER BY id DESC LIMIT $2""",
        user_id,
        limit,
    )
    return [AuditRow(**dict(r)) for r in rows]


async def month_spend(db: Executor, owner_id: str, since: datetime) -> Decimal:
    """What the owner's LLM calls cost since `since` (the month's start)."""
    value = await db.fetchval(
        "SELECT coalesce(sum(cost), 0) FROM ai_logs WHERE owner_id = $1 AND created_at >= $2",
        owner_id,
        since,
    )
    return Decimal(value)


async def spend_breakdown(db: Executor, owner_id: str, since: datetime) -> list[asyncpg.Record]:
    """Calls and cost since `since` per task and store, most expensive first."""
    return await db.fetch(
        """SELECT coalesce(l.metadata->>'task', l.action) AS task, l.store_id, s.name AS store,
                  count(*) AS calls, coalesce(sum(l.cost), 0) AS cost
             FROM ai_logs l JOIN stores s ON s.id = l.store_id
            WHERE l.owner_id = $1 AND l.created_at >= $2
            GROUP BY 1, 2, 3 ORDER BY cost DESC, calls DESC, task""",
        owner_id,
        since,
    )


async def store_spend(db: Executor, store_id: str, since: datetime) -> Decimal:
    value = await db.fetchval(
        "SELECT coalesce(sum(cost), 0) FROM ai_logs WHERE store_id = $1 AND created_at >= $2",
        store_id,
        since,
    )
    return Decimal(value)


async def store_instructions(db: Executor, store_id: str) -> str | None:
    value: str | None = await db.fetchval(
        "SELECT ai_instructions FROM stores WHERE id = $1", store_id
    )
    return value


async def set_store_instructions(db: Executor, store_id: str, text: str | None) -> None:
    await db.execute("UPDATE stores SET ai_instructions = $2 WHERE id = $1", store_id, text)


async def sample_review_id(db: Executor, owner_id: str) -> str | None:
    """The owner's latest review with text at 1-3 stars (else any), for a prompt preview."""
    value: str | None = await db.fetchval(
        """SELECT r.id FROM reviews r JOIN stores s ON s.id = r.store_id
            WHERE s.owner_id = $1 AND r.text <> ''
            ORDER BY (r.rating <= 3) DESC, r.date DESC LIMIT 1""",
        owner_id,
    )
    return value


async def sample_chat(
    db: Executor, owner_id: str, limit: int
) -> tuple[asyncpg.Record, list[asyncpg.Record]] | None:
    """The owner's latest chat (with its product and store) and its last messages."""
    chat = await db.fetchrow(
        """SELECT c.id, c.client_name, c.store_id, s.owner_id, s.name AS store_name,
                  s.ai_instructions, p.name AS product_name, p.vendor_code,
                  p.wb_product_id
             FROM chats c JOIN stores s ON s.id = c.store_id
             LEFT JOIN products p ON p.store_id = c.store_id
                                 AND p.wb_product_id = c.product_nm_id
            WHERE s.owner_id = $1
            ORDER BY c.last_message_date DESC NULLS LAST LIMIT 1""",
        owner_id,
    )
    if chat is None:
        return None
    messages = await db.fetch(
        """SELECT sender, text, timestamp FROM chat_messages WHERE chat_id = $1
            ORDER BY timestamp DESC LIMIT $2""",
        chat["id"],
        limit,
    )
    return chat, list(messages)


async def sample_question(db: Executor, owner_id: str) -> asyncpg.Record | None:
    """The owner's latest question with its product and store."""
    return await db.fetchrow(
        """SELECT q.id, q.text, q.created_date, q.store_id, s.owner_id, s.name AS store_name,
                  s.ai_instructions, p.name AS product_name, p.vendor_code, p.wb_product_id
             FROM questions q JOIN stores s ON s.id = q.store_id
             LEFT JOIN products p ON p.store_id = q.store_id
                                 AND p.wb_product_id = q.product_nm_id::text
            WHERE s.owner_id = $1 ORDER BY q.created_date DESC LIMIT 1""",
        owner_id,
    )
