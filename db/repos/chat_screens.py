"""Screen queries of the chat board (issue 13): counts per column, keyset pages of a column,
the chat card and its older messages. One query per screen, never OFFSET, never a whole store.

A column is ordered by the chat's activity, `COALESCE(last_message_date, created_at)`, newest
first, `id` breaking ties (`idx_chats_store_status_date`, migration 0021).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from db.pool import Conn
from db.repos.chat_reviews import LINKED_REVIEW

ACTIVITY = "COALESCE(c.last_message_date, c.created_at)"


async def board_counts(conn: Conn, store_ids: Sequence[str]) -> dict[str, int]:
    """Chats per Kanban status over the given stores (one query)."""
    rows = await conn.fetch(
        "SELECT status, count(*) AS n FROM chats WHERE store_id = ANY($1::text[]) GROUP BY status",
        list(store_ids),
    )
    return {r["status"]: int(r["n"]) for r in rows}


@dataclass(frozen=True, slots=True)
class ColumnFilter:
    status: str
    tag: str | None = None
    product_nm_id: str | None = None
    waiting: bool = False
    """Only chats where the buyer wrote last ("waiting for us")."""


async def column_page(
    conn: Conn,
    store_ids: Sequence[str],
    flt: ColumnFilter,
    *,
    after: tuple[datetime, str] | None = None,
    size: int = 8,
) -> list[asyncpg.Record]:
    """One page of a column, newest activity first; `after` = the last row's (activity, id).

    Returns `size + 1` rows at most: the extra one tells the caller a next page exists.
    """
    return await conn.fetch(
        f"""
        SELECT c.id, c.store_id, c.client_name, c.product_nm_id, c.product_name,
               c.last_message_text, c.last_message_sender, c.tag, c.status,
               {ACTIVITY} AS activity, s.name AS store_name
          FROM chats c JOIN stores s ON s.id = c.store_id
         WHERE c.store_id = ANY($1::text[]) AND c.status = $2
           AND ($3::text IS NULL OR c.tag = $3)
           AND ($4::text IS NULL OR c.product_nm_id = $4)
           AND (NOT $5 OR c.last_message_sender = 'client')
           AND ($6::timestamptz IS NULL OR ({ACTIVITY}, c.id) < ($6, $7::text))
         ORDER BY {ACTIVITY} DESC, c.id DESC
         LIMIT $8
        """,
        list(store_ids),
        flt.status,
        flt.tag,
        flt.product_nm_id,
        flt.waiting,
        after[0] if after else None,
        after[1] if after else "",
        size + 1,
    )


async def column_products(
    conn: Conn, store_ids: Sequence[str], status: str, limit: int = 8
) -> list[asyncpg.Record]:
    """The products with the most chats in a column, for its product filter."""
    return await conn.fetch(
        """
        SELECT product_nm_id, max(product_name) AS product_name, count(*) AS n
          FROM chats WHERE store_id = ANY($1::text[]) AND status = $2
           AND product_nm_id IS NOT NULL
         GROUP BY product_nm_id ORDER BY n DESC, product_nm_id LIMIT $3
        """,
        list(store_ids),
        status,
        limit,
    )


_CARD_SQL = f"""
SELECT row_to_json(c.*)::jsonb AS chat,
       s.name AS store_name, s.status AS store_status, s.ai_instructions, s.owner_id AS store_owner,
       CASE WHEN p.id IS NULL THEN NULL ELSE row_to_json(p.*)::jsonb END AS product,
       CASE WHEN pr.id IS NULL THEN NULL ELSE row_to_json(pr.*)::jsonb END AS rules,
       rv.review,
       (SELECT count(*) FROM chat_messages m WHERE m.chat_id = c.id AND m.sender = 'client')
         AS buyer_messages,
       cs.state AS send_state
  FROM chats c
  JOIN stores s ON s.id = c.store_id
  LEFT JOIN products p ON p.store_id = c.store_id AND p.wb_product_id = c.product_nm_id
  LEFT JOIN product_rules pr ON pr.product_id = p.id
  LEFT JOIN chat_sends cs ON cs.chat_id = c.id
  LEFT JOIN LATERAL (
        SELECT jsonb_build_object('id', l.id, 'rating', l.rating, 'text', l.text,
                                  'author', l.author, 'date', l.date, 'pros', l.pros,
                                  'cons', l.cons, 'resolved', l.resolved) AS review
          FROM ({LINKED_REVIEW}) l) rv ON true
 WHERE c.id = $1
"""


async def chat_card(conn: Conn, chat_id: str) -> asyncpg.Record | None:
    """The chat with its store, product, product rules, linked review (docs/decisions.md,
    "Chat ↔ review"), how often the buyer wrote, and a send claim if one is open."""
    return await conn.fetchrow(_CARD_SQL, chat_id)


async def messages_page(
    conn: Conn, chat_id: str, *, before: tuple[datetime, str] | None = None, size: int = 10
) -> list[asyncpg.Record]:
    """The chat's messages newest first, `size + 1` at most; `before` = the oldest shown."""
    return await conn.fetch(
        """
        SELECT id, sender, text, timestamp, download_id FROM chat_messages
         WHERE chat_id = $1
           AND ($2::timestamptz IS NULL OR (timestamp, id) < ($2, $3::text))
         ORDER BY timestamp DESC, id DESC
         LIMIT $4
        """,
        chat_id,
        before[0] if before else None,
        before[1] if before else "",
        size + 1,
    )


def as_dict(value: Any) -> dict[str, Any] | None:
    """A JSONB value asyncpg returned as text (no codec registered) or as a dict."""
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    loaded = json.loads(value)
    return loaded if isinstance(loaded, dict) else None


async def product_by_nm(conn: Conn, store_id: str, nm_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM products WHERE store_id = $1 AND wb_product_id = $2", store_id, nm_id
    )


async def store_of_chat(conn: Conn, chat_id: str) -> str | None:
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT store_id FROM chats WHERE id = $1", chat_id
    )


async def reply_sign(conn: Conn, chat_id: str) -> str | None:
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT reply_sign FROM chats WHERE id = $1", chat_id
    )


async def send_state(conn: Conn, chat_id: str) -> str | None:
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT state FROM chat_sends WHERE chat_id = $1", chat_id
    )
