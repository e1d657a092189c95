"""Buyer chats and their messages: sync writes, Kanban moves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from db.pool import Conn


@dataclass(frozen=True, slots=True)
class ChatUpsert:
    id: str
    client_name: str
    reply_sign: str
    product_nm_id: str | None
    last_message_text: str | None
    last_message_date: datetime | None


async def upsert_chats(
    conn: Conn, store_id: str, owner_id: str, chats: Sequence[ChatUpsert]
) -> tuple[int, int]:
    """Chats from WB's list: new ones land in `inbox`; known ones get WB's fields refreshed.

    The list never carries a sender, so `last_message_*` is only moved forward here and the
    events stream fills in who wrote it. Product name and article come from our products.
    """
    if not chats:
        return 0, 0
    rows = await conn.fetch(
        """
        INSERT INTO chats AS c (id, store_id, owner_id, client_name, reply_sign, product_nm_id,
                                product_name, product_vendor_code, last_message_date,
                                last_message_text)
        SELECT x.id, $1, $2, x.client, x.sign, x.nm, p.name, p.vendor_code, x.lmd, x.lmt
          FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
                      $8::text[]) AS x(id, client, sign, nm, lmd, lmt)
          LEFT JOIN products p ON p.store_id = $1 AND p.wb_product_id = x.nm
        ON CONFLICT (id) DO UPDATE
           SET client_name = EXCLUDED.client_name,
               reply_sign = EXCLUDED.reply_sign,
               product_nm_id = COALESCE(EXCLUDED.product_nm_id, c.product_nm_id),
               product_name = COALESCE(EXCLUDED.product_name, c.product_name),
               product_vendor_code = COALESCE(EXCLUDED.product_vendor_code, c.product_vendor_code),
               last_message_date = GREATEST(c.last_message_date, EXCLUDED.last_message_date),
               last_message_text = CASE
                 WHEN c.last_message_date IS NULL OR EXCLUDED.last_message_date > c.last_message_date
                 THEN EXCLUDED.last_message_text ELSE c.last_message_text END
         WHERE c.store_id = EXCLUDED.store_id
           AND ((c.client_name, c.reply_sign) IS DISTINCT FROM
                (EXCLUDED.client_name, EXCLUDED.reply_sign)
                OR (EXCLUDED.product_nm_id IS NOT NULL
                    AND c.product_nm_id IS DISTINCT FROM EXCLUDED.product_nm_id)
                OR (EXCLUDED.product_name IS NOT NULL
                    AND c.product_name IS DISTINCT FROM EXCLUDED.product_name)
                OR EXCLUDED.last_message_date > c.last_message_date
                OR (c.last_message_date IS NULL AND EXCLUDED.last_message_date IS NOT NULL))
        RETURNING (c.xmax = 0) AS inserted
        """,
        store_id,
        owner_id,
        [c.id for c in chats],
        [c.client_name for c in chats],
        [c.reply_sign for c in chats],
        [c.product_nm_id for c in chats],
        [c.last_message_date for c in chats],
        [c.last_message_text for c in chats],
    )
    inserted = sum(1 for r in rows if r["inserted"])
    return inserted, len(rows) - inserted


@dataclass(frozen=True, slots=True)
class EventChat:
    id: str
    client_name: str
    reply_sign: str


@dataclass(frozen=True, slots=True)
class MessageInsert:
    id: str
    chat_id: str
    text: str | None
    sender: str
    timestamp: datetime
    download_id: str | None


async def ensure_event_chats(
    conn: Conn, store_id: str, owner_id: str, chats: Sequence[EventChat]
) -> None:
    """Chats named by events but missing from the list: create them, fill a missing sign."""
    if not chats:
        return
    await conn.execute(
        """
        INSERT INTO chats AS c (id, store_id, owner_id, client_name, reply_sign)
        SELECT x.id, $1, $2, x.client, x.sign
          FROM unnest($3::text[], $4::text[], $5::text[]) AS x(id, client, sign)
        ON CONFLICT (id) DO UPDATE
           SET reply_sign = CASE WHEN c.reply_sign = '' THEN EXCLUDED.reply_sign
                                 ELSE c.reply_sign END,
               client_name = CASE WHEN c.client_name = '' THEN EXCLUDED.client_name
                                  ELSE c.client_name END
         WHERE c.store_id = EXCLUDED.store_id
           AND ((c.reply_sign = '' AND EXCLUDED.reply_sign <> '')
                OR (c.client_name = '' AND EXCLUDED.client_name <> ''))
        """,
        store_id,
        owner_id,
        [c.id for c in chats],
        [c.client_name for c in chats],
        [c.reply_sign for c in chats],
    )


async def insert_messages(
    conn: Conn, store_id: str, owner_id: str, messages: Sequence[MessageInsert]
) -> list[asyncpg.Record]:
    """Insert by WB's eventID; return only the messages that are new."""
    if not messages:
        return []
    return await conn.fetch(
        """
        INSERT INTO chat_messages (id, chat_id, store_id, owner_id, text, sender, timestamp,
                                   download_id)
        SELECT x.id, x.chat, $1, $2, x.text, x.sender, x.ts, x.dl
          FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
                      $8::text[]) AS x(id, chat, text, sender, ts, dl)
          JOIN chats c ON c.id = x.chat AND c.store_id = $1
        ON CONFLICT (id) DO NOTHING
        RETURNING id, chat_id, text, sender, timestamp
        """,
        store_id,
        owner_id,
        [m.id for m in messages],
        [m.chat_id for m in messages],
        [m.text for m in messages],
        [m.sender for m in messages],
        [m.timestamp for m in messages],
        [m.download_id for m in messages],
    )


async def apply_last_messages(
    conn: Conn,
    store_id: str,
    last: Sequence[tuple[str, datetime, str | None, str]],
) -> None:
    """Move each chat's `last_message_*` to (date, text, sender) when it is newer."""
    if not last:
        return
    await conn.execute(
        """
        UPDATE chats c SET last_message_date = x.ts, last_message_text = x.text,
                           last_message_sender = x.sender
          FROM unnest($2::text[], $3::timestamptz[], $4::text[], $5::text[])
               AS x(id, ts, text, sender)
         WHERE c.id = x.id AND c.store_id = $1
           AND (c.last_message_date IS NULL OR c.last_message_date <= x.ts)
        """,
        store_id,
        [x[0] for x in last],
        [x[1] for x in last],
        [x[2] for x in last],
        [x[3] for x in last],
    )


async def stop_sequences_on_reply(conn: Conn, store_id: str, chat_ids: Sequence[str]) -> int:
    """The buyer wrote: their chats' running sequences stop at once (`client_replied`)."""
    if not chat_ids:
        return 0
    status = await conn.execute(
        """
        UPDATE chat_auto_sequences SET status = 'stopped', stop_reason = 'client_replied'
         WHERE chat_id = ANY($2::text[]) AND store_id = $1 AND status = 'active'
        """,
        store_id,
        list(chat_ids),
    )
    return int(status.split()[-1])


async def move_on_buyer_message(conn: Conn, store_id: str, chat_ids: Sequence[str]) -> int:
    """The buyer has the last word: the chat goes to `inbox`."""
    if not chat_ids:
        return 0
    status = await conn.execute(
        """
        UPDATE chats SET status = 'inbox', completion_reason = NULL
         WHERE store_id = $1 AND id = ANY($2::text[]) AND status <> 'inbox'
        """,
        store_id,
        list(chat_ids),
    )
    return int(status.split()[-1])


async def move_on_seller_message(conn: Conn, store_id: str, chat_ids: Sequence[str]) -> int:
    """The seller wrote: `in_progress`, unless a sequence is running or the chat is closed."""
    if not chat_ids:
        return 0
    status = await conn.execute(
        """
        UPDATE chats c SET status = 'in_progress'
         WHERE c.store_id = $1 AND c.id = ANY($2::text[])
           AND c.status NOT IN ('in_progress', 'closed')
           AND NOT EXISTS (SELECT 1 FROM chat_auto_sequences s
                            WHERE s.chat_id = c.id AND s.status = 'active')
        """,
        store_id,
        list(chat_ids),
    )
    return int(status.split()[-1])
