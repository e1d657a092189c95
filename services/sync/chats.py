"""Buyer chats sync: the chat list, then the events stream from the stored cursor.

Each events page is stored in one transaction together with the new cursor, so a run killed
halfway resumes where the last stored page ended; messages are idempotent by `eventID`. A
page the database refuses is stored in parts, setting aside the events it still refuses
(`store_rows`), and the cursor moves after the last part.
Kanban moves (domain-rules.md, "Chats"): a buyer message sends the chat to `inbox` and stops
its sequence (`client_replied`); a seller message moves it to `in_progress` unless a
sequence is running or the chat is closed; messages from WB itself move nothing.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg

from db.models import StoreRow
from db.pool import Connection
from db.repos import chats as chats_repo
from db.repos import stores as stores_repo
from services import sequences
from services.sync.base import (
    ROW_ERRORS,
    NewMessage,
    Progress,
    SyncOptions,
    SyncResult,
    SyncRun,
    SyncStep,
    store_rows,
)
from services.wb.client import WBClient
from services.wb.models import Chat, ChatEvent


def _ms(ts: int | None) -> datetime | None:
    return datetime.fromtimestamp(ts / 1000, tz=UTC) if ts else None


def chat_upsert(chat: Chat) -> chats_repo.ChatUpsert:
    nm = chat.good_card.nm_id if chat.good_card else None
    last = chat.last_message
    return chats_repo.ChatUpsert(
        id=chat.chat_id,
        client_name=chat.client_name,
        reply_sign=chat.reply_sign,
        product_nm_id=str(nm) if nm else None,
        last_message_text=last.text if last else None,
        last_message_date=_ms(last.add_timestamp) if last else None,
    )


def _message(ev: ChatEvent) -> chats_repo.MessageInsert:
    msg = ev.message
    download = None
    if msg and msg.attachments:
        files = [f.download_id for f in msg.attachments.files if f.download_id]
        images = [i.download_id for i in msg.attachments.images if i.download_id]
        download = next(iter(files + images), None)
    sender = ev.sender if ev.sender in ("client", "seller", "wb") else "wb"
    return chats_repo.MessageInsert(
        id=ev.event_id,
        chat_id=ev.chat_id,
        text=msg.text if msg else None,
        sender=sender,
        timestamp=_ms(ev.add_timestamp) or datetime.now(UTC),
        download_id=download,
    )


log = logging.getLogger(__name__)


async def store_events_page(
    pool: asyncpg.Pool,
    store: StoreRow,
    events: list[ChatEvent],
    next_cursor: int | None,
    result: SyncResult,
) -> list[NewMessage]:
    """Write one page of events and the cursor after it, all or nothing; a page the database
    refuses goes in parts, the events it still refuses set aside."""

    async def write(part: Sequence[ChatEvent], cursor: int | None = None) -> list[NewMessage]:
        async with pool.acquire() as conn, conn.transaction():
            new = await _write_events(conn, store, part, start_followups=not result.backfill)
            if cursor:
                await stores_repo.set_chat_cursor(conn, store.id, str(cursor))
        return new

    try:
        return await write(events, next_cursor)
    except ROW_ERRORS as exc:
        log.warning("chat events page of store %s refused, stored in parts: %s", store.id, exc)
    parts = await store_rows(events, write, row_id=lambda ev: ev.event_id, result=result)
    if next_cursor:
        await stores_repo.set_chat_cursor(pool, store.id, str(next_cursor))
    return sorted(itertools.chain.from_iterable(parts), key=lambda m: m.timestamp)


async def _write_events(
    conn: Connection, store: StoreRow, events: Sequence[ChatEvent], *, start_followups: bool
) -> list[NewMessage]:
    seen: dict[str, chats_repo.EventChat] = {}
    for ev in events:
        known = seen.get(ev.chat_id)
        sign = ev.reply_sign or (known.reply_sign if known else "")
        name = ev.client_name or (known.client_name if known else "")
        seen[ev.chat_id] = chats_repo.EventChat(ev.chat_id, name, sign)
    await chats_repo.ensure_event_chats(conn, store.id, store.owner_id, list(seen.values()))
    fresh = await chats_repo.insert_messages(
        conn,
        store.id,
        store.owner_id,
        [_message(ev) for ev in events if ev.event_type == "message"],
    )
    new = sorted(
        (NewMessage(r["chat_id"], r["id"], r["sender"], r["text"], r["timestamp"]) for r in fresh),
        key=lambda m: m.timestamp,
    )
    latest: dict[str, NewMessage] = {}
    latest_person: dict[str, NewMessage] = {}
    for m in new:
        latest[m.chat_id] = m
        if m.sender in ("client", "seller"):
            latest_person[m.chat_id] = m
    await chats_repo.apply_last_messages(
        conn, store.id, [(m.chat_id, m.timestamp, m.text, m.sender) for m in latest.values()]
    )
    # Any buyer message stops a sequence, even when the seller wrote after it; the Kanban
    # column follows whoever wrote last.
    await chats_repo.stop_sequences_on_reply(
        conn, store.id, sorted({m.chat_id for m in new if m.sender == "client"})
    )
    await chats_repo.move_on_buyer_message(
        conn, store.id, [c for c, m in latest_person.items() if m.sender == "client"]
    )
    # A seller message with the set's trigger phrase starts a sequence (store setting); before
    # the Kanban move, so the chat stays in `awaiting_reply`. A backfill (the first sync)
    # only fills history: old messages start nothing.
    if start_followups:
        await sequences.auto_start(
            conn,
            store.id,
            store.owner_id,
            [(m.chat_id, m.text, m.timestamp) for m in new if m.sender == "seller" and m.text],
        )
    await chats_repo.move_on_seller_message(
        conn, store.id, [c for c, m in latest_person.items() if m.sender == "seller"]
    )
    return new


async def sync_chats(
    run: SyncRun,
    store: StoreRow,
    result: SyncResult,
    *,
    client: WBClient,
    options: SyncOptions,
    progress: Progress | None = None,
) -> None:
    chats = await client.list_chats()
    await run.beat()

    async def write(rows: Sequence[chats_repo.ChatUpsert]) -> tuple[int, int]:
        return await chats_repo.upsert_chats(run.pool, store.id, store.owner_id, rows)

    for inserted, updated in await store_rows(
        [chat_upsert(c) for c in chats], write, row_id=lambda c: c.id, result=result
    ):
        result.inserted += inserted
        result.updated += updated
    if result.inserted:  # the store card counts new chats before the events are read
        await stores_repo.refresh_chat_counts(run.pool, store.id)
    cursor_text = store.last_chat_update_next  # read under this run's lock: only it moves it
    cursor = (
        int(cursor_text) if cursor_text and cursor_text.isdigit() and int(cursor_text) > 0 else None
    )
    for _ in range(options.max_event_pages):
        page = await client.get_events(cursor)
        if page.total_events == 0 or not page.events:
            break
        await run.beat()
        new = await store_events_page(run.pool, store, page.events, page.next, result)
        result.fetched += len(page.events)
        if not result.backfill:
            result.new_messages.extend(new)
        if progress:
            progress(SyncStep.CHAT_EVENTS, result.fetched)
        if not page.next or page.next == cursor:
            break
        cursor = page.next
    await stores_repo.refresh_chat_counts(run.pool, store.id)
