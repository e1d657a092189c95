"""Buyer chats and their messages: sync writes, Kanban moves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import asyncpg

from db.pool import Conn, Connection
from db.repos.publish_claims import PublishClaims


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
    await _adopt_echoes(conn, store_id, messages)
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


# --- the board (issue 13) -----------------------------------------------------------------


async def move_chat(
    conn: Connection, chat_id: str, status: str, completion_reason: str | None
) -> asyncpg.Record | None:
    """A move by hand: the new status (and reason, for `closed` only). Returns the old status,
    or None when the chat is gone. Call inside a transaction; the chats service stops the
    chat's running sequence in it (`SequenceService.on_chat_moved`)."""
    row = await conn.fetchrow(
        """
        WITH old AS (SELECT id, status FROM chats WHERE id = $1 FOR UPDATE)
        UPDATE chats c SET status = $2, completion_reason = $3
          FROM old WHERE c.id = old.id
        RETURNING old.status AS old_status
        """,
        chat_id,
        status,
        completion_reason,
    )
    return row


async def set_tag(conn: Conn, chat_id: str, tag: str) -> str | None:
    """Set the tag by hand (any tag); returns the store id, None when the chat is gone."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        """
        UPDATE chats SET tag = $2,
               tag_update_date = CASE WHEN tag = $2 THEN tag_update_date ELSE now() END
         WHERE id = $1 RETURNING store_id
        """,
        chat_id,
        tag,
    )


async def apply_auto_tags(
    conn: Conn, store_id: str, tags: Sequence[tuple[str, str | None, datetime]]
) -> int:
    """The tagger's verdicts (chat id, tag or None for "keep", the last message it saw).

    The deletion funnel only moves forward here: a chat at `deletion_agreed` is never put
    back to `deletion_candidate` by the tagger (a person may, with `set_tag`). `tagged_at`
    records what the tagger saw, so a chat is tagged again only after a newer message.
    """
    if not tags:
        return 0
    status = await conn.execute(
        """
        UPDATE chats c
           SET tag = CASE
                 WHEN x.tag IS NULL THEN c.tag
                 WHEN array_position($5::text[], c.tag) IS NOT NULL
                  AND array_position($5::text[], x.tag) IS NOT NULL
                  AND array_position($5::text[], x.tag) < array_position($5::text[], c.tag)
                 THEN c.tag
                 ELSE x.tag END,
               tag_update_date = CASE
                 WHEN x.tag IS NULL OR x.tag = c.tag THEN c.tag_update_date ELSE now() END,
               tagged_at = x.seen
          FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS x(id, tag, seen)
         WHERE c.id = x.id AND c.store_id = $1
        """,
        store_id,
        [t[0] for t in tags],
        [t[1] for t in tags],
        [t[2] for t in tags],
        list(DELETION_FUNNEL),
    )
    return int(status.split()[-1])


DELETION_FUNNEL = (
    "deletion_candidate",
    "deletion_offered",
    "deletion_agreed",
    "deletion_confirmed",
)


async def chats_to_tag(conn: Conn, store_id: str, limit: int) -> list[asyncpg.Record]:
    """Chats with messages the tagger has not seen, oldest activity first, at most `limit`."""
    return await conn.fetch(
        """
        SELECT c.id, c.tag, c.last_message_date, c.client_name, c.product_nm_id
          FROM chats c
         WHERE c.store_id = $1 AND c.last_message_date IS NOT NULL
           AND (c.tagged_at IS NULL OR c.tagged_at < c.last_message_date)
         ORDER BY c.last_message_date
         LIMIT $2
        """,
        store_id,
        limit,
    )


async def recent_messages(
    conn: Conn, chat_ids: Sequence[str], per_chat: int
) -> list[asyncpg.Record]:
    """The last `per_chat` messages of each chat (oldest first within a chat)."""
    return await conn.fetch(
        """
        SELECT m.chat_id, m.sender, m.text, m.timestamp
          FROM unnest($1::text[]) AS x(id)
          CROSS JOIN LATERAL (
                SELECT chat_id, sender, text, timestamp FROM chat_messages
                 WHERE chat_id = x.id ORDER BY timestamp DESC, id DESC LIMIT $2) m
         ORDER BY m.chat_id, m.timestamp
        """,
        list(chat_ids),
        per_chat,
    )


async def set_draft(conn: Conn, chat_id: str, text: str | None) -> bool:
    status = await conn.execute("UPDATE chats SET draft_reply = $2 WHERE id = $1", chat_id, text)
    return status != "UPDATE 0"


# --- sending ------------------------------------------------------------------------------


SEND_CLAIMS: Final = PublishClaims("chat_sends", "chat_id", ("text",), busy="sending")
"""The chat's send claim (`db/repos/publish_claims.py`); `claim_send` takes it."""


async def claim_send(
    conn: Connection,
    chat_id: str,
    text: str,
    *,
    draft: str | None = None,
    confirm: bool,
    stale_after: timedelta,
) -> str:
    """Claim the chat's send of `text` (a row committed by the caller's transaction):
    'claimed'; 'changed' when the stored draft (stripped) is no longer `draft`, the stored
    form `text` was made from (default: `text` itself), so it was sent or edited meanwhile;
    'taken' when another send is in flight, or an earlier one is unconfirmed and the person
    did not confirm. The chat row is locked first, so a send recorded meanwhile (which clears the
    draft in the same transaction that drops its claim) is seen, never sent again."""
    row = await conn.fetchrow("SELECT draft_reply FROM chats WHERE id = $1 FOR UPDATE", chat_id)
    if row is None or (row["draft_reply"] or "").strip() != (text if draft is None else draft):
        return "changed"
    claimed = await SEND_CLAIMS.claim(conn, chat_id, text, confirm=confirm, stale=stale_after)
    return "claimed" if claimed else "taken"


async def record_sent(
    conn: Connection, chat_id: str, message_id: str, text: str, sent_at: datetime
) -> None:
    """WB accepted a reply: the message row at once, the chat's last message, the draft gone,
    the claim released, the chat moved as a seller message moves it. One transaction."""
    chat = await conn.fetchrow("SELECT store_id, owner_id FROM chats WHERE id = $1", chat_id)
    if chat is None:
        return
    await conn.execute(
        """
        INSERT INTO chat_messages (id, chat_id, store_id, owner_id, text, sender, timestamp)
        VALUES ($1, $2, $3, $4, $5, 'seller', $6) ON CONFLICT (id) DO NOTHING
        """,
        message_id,
        chat_id,
        chat["store_id"],
        chat["owner_id"],
        text,
        sent_at,
    )
    await apply_last_messages(conn, chat["store_id"], [(chat_id, sent_at, text, "seller")])
    await conn.execute("UPDATE chats SET draft_reply = NULL WHERE id = $1", chat_id)
    await move_on_seller_message(conn, chat["store_id"], [chat_id])
    await SEND_CLAIMS.release(conn, chat_id)


LOCAL_PREFIX = "sent:"
"""Ids of messages the bot stored at send time; the events stream's copy takes them over."""

ECHO_WINDOW = timedelta(minutes=10)
"""How far apart a sent reply and its echo in WB's events may be to be one message (a
matching window, not a claim window)."""


async def _adopt_echoes(conn: Conn, store_id: str, messages: Sequence[MessageInsert]) -> None:
    """A seller event that is the bot's own sent reply coming back: the stored row (id
    `sent:...`) takes WB's event id, so the insert that follows skips it and the card shows the
    message once. Matched by chat, exact text and a time within `ECHO_WINDOW` (WB's send
    answers no message id; docs/decisions.md, "Sent chat replies")."""
    seller = [m for m in messages if m.sender == "seller" and m.text]
    if not seller:
        return
    await conn.execute(
        """
        WITH pairs AS (
            SELECT DISTINCT ON (m.id) m.id AS local_id, x.id AS event_id
              FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[])
                   AS x(id, chat, text, ts)
              JOIN chat_messages m
                ON m.chat_id = x.chat AND m.store_id = $1 AND m.sender = 'seller'
               AND m.id LIKE 'sent:%' AND m.text = x.text
               AND m.timestamp BETWEEN x.ts - $6::interval AND x.ts + $6::interval
             WHERE NOT EXISTS (SELECT 1 FROM chat_messages e WHERE e.id = x.id)
             ORDER BY m.id, abs(extract(epoch FROM m.timestamp - x.ts))
        ), one AS (
            SELECT DISTINCT ON (event_id) local_id, event_id FROM pairs ORDER BY event_id
        )
        UPDATE chat_messages m SET id = one.event_id FROM one WHERE m.id = one.local_id
        """,
        store_id,
        [m.id for m in seller],
        [m.chat_id for m in seller],
        [m.text for m in seller],
        [m.timestamp for m in seller],
        ECHO_WINDOW,
    )
