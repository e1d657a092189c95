"""Helpers for follow-up sequence tests: MSK times, and WB events stored by the sync's code."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import asyncpg

from db.repos import chats as chats_repo
from db.repos import stores as stores_repo
from services.msk import MSK
from services.notifier import Delivery, Notice, Recipient, ReviewCard
from services.sync.base import SyncResult
from services.sync.chats import chat_upsert, store_events_page
from services.wb.models import Chat as WBChat
from services.wb.models import ChatEvent as WBChatEvent
from tests.fakes.wb import WBEmulator


def msk(day0: datetime, day: int, hh: int, mm: int = 0) -> datetime:
    """`day` days after `day0`'s MSK date, at hh:mm MSK, as UTC."""
    d = day0.astimezone(MSK).date() + timedelta(days=day)
    return datetime.combine(d, time(hh, mm), MSK).astimezone(UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def load_chats(pool: asyncpg.Pool, wb: WBEmulator, store_id: str) -> list[str]:
    """The store's chats and their history, stored by the sync's own code."""
    store = await stores_repo.get_store(pool, store_id)
    assert store is not None
    rows = [chat_upsert(WBChat.model_validate(c.to_json())) for c in wb.state.chats.values()]
    await chats_repo.upsert_chats(pool, store_id, store.owner_id, rows)
    events = [WBChatEvent.model_validate(e.to_json()) for e in wb.state.events]
    await store_events_page(pool, store, events, None, SyncResult(store_id, "chats"))
    return sorted(wb.state.chats)


async def deliver(pool: asyncpg.Pool, store_id: str, event: Any, *, backfill: bool = False) -> None:
    """A new WB event reaches the database as the chat sync stores it."""
    store = await stores_repo.get_store(pool, store_id)
    assert store is not None
    model = WBChatEvent.model_validate(event.to_json())
    result = SyncResult(store_id, "chats", backfill=backfill)
    await store_events_page(pool, store, [model], None, result)


@dataclass
class NoticeRecorder:
    """The services' notifier interface, keeping the notices it was asked to send."""

    notices: list[tuple[str, Notice]] = field(default_factory=list)

    async def review_alert(self, to: Recipient, card: ReviewCard) -> Delivery:
        return "sent"

    async def review_digest(self, to: Recipient, cards: list[ReviewCard]) -> Delivery:
        return "sent"

    async def notice(self, to: Recipient, notice: Notice) -> Delivery:
        self.notices.append((to.user_id, notice))
        return "sent"
