"""Alerts for new buyer messages: one message per batch per person who works the store.

A batch is the buyer messages one incremental chat sync of a store found new (a first or full
sync only backfills: `SyncResult.new_messages` is empty then). The seller's own messages and
WB's never alert. Delivery as for reviews (domain-rules "Delivery"): the `chat_alerts` row is
claimed before the send and marked after it (services/delivery.py: a stopping process
releases what it did not send); quiet hours hold the row and the sweep sends the held ones as
one message per person and store when they end; a stale or released claim is sent again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import asyncpg

from db.claims import STALE_CLAIM
from db.repos import alerts as alerts_repo
from db.repos import chat_alerts as repo
from services.delivery import deliver, per_person_and_store
from services.msk import MSK
from services.notifier import Delivery, Recipient
from services.sync.base import NewMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
MAX_LINES = 5


@dataclass(frozen=True, slots=True)
class ChatAlertLine:
    chat_id: str
    buyer: str
    product: str
    text: str


@dataclass(frozen=True, slots=True)
class ChatAlert:
    store_id: str
    store_name: str
    messages: int
    lines: list[ChatAlertLine]


class ChatNotifier(Protocol):
    async def chat_alert(self, to: Recipient, alert: ChatAlert) -> Delivery: ...


@dataclass
class ChatAlertReport:
    sent: int = 0
    failed: int = 0
    held: int = 0
    released: int = 0
    """Claims left unsent because the process is stopping (another instance sends them)."""


class ChatAlertService:
    def __init__(
        self, pool: asyncpg.Pool, notifier: ChatNotifier, *, stopping: asyncio.Event | None = None
    ) -> None:
        self.pool = pool
        self.notifier = notifier
        self.stopping = stopping or asyncio.Event()

    async def on_sync(
        self, store_id: str, new: Sequence[NewMessage], *, now: datetime
    ) -> ChatAlertReport:
        """Write and send the alert of one sync's new buyer messages (written even when the
        process is stopping: the sync has moved past them; the claims are released then)."""
        report = ChatAlertReport()
        buyer = sorted((m for m in new if m.sender == "client"), key=lambda m: m.message_id)
        if not buyer:
            return report
        chat_ids = sorted({m.chat_id for m in buyer})
        rows = await repo.write_batch(
            self.pool,
            store_id,
            buyer[0].message_id,
            chat_ids,
            len(buyer),
            now=now,
            hour=now.astimezone(MSK).hour,
        )
        await self._send(rows, report, now=now)
        return report

    async def sweep(self, *, now: datetime) -> ChatAlertReport:
        """Stale and released claims again, held alerts of ended quiet hours as one message
        per person and store."""
        report = ChatAlertReport()
        if self.stopping.is_set():
            return report
        rows = await repo.claim_due(
            self.pool,
            now=now,
            hour=now.astimezone(MSK).hour,
            stale=STALE_CLAIM,
            max_attempts=MAX_ATTEMPTS,
        )
        await self._send(rows, report, now=now)
        return report

    async def _send(
        self, rows: Sequence[asyncpg.Record], report: ChatAlertReport, *, now: datetime
    ) -> None:
        claimed = [r for r in rows if r["status"] == "claimed"]
        if not claimed:
            return
        queues = per_person_and_store(claimed)
        people = {r["user_id"]: r for r in await alerts_repo.recipients(self.pool, sorted(queues))}

        async def send(user_id: str, mine: list[asyncpg.Record]) -> Delivery | None:
            person = people.get(user_id)
            if person is None or person["is_blocked"]:
                return None
            chat_ids = sorted({c for r in mine for c in r["chat_ids"]})
            lines = await repo.chat_lines(self.pool, chat_ids)
            alert = ChatAlert(
                store_id=mine[0]["store_id"],
                store_name=lines[0]["store_name"] if lines else "",
                messages=sum(int(r["messages"]) for r in mine),
                lines=[
                    ChatAlertLine(
                        r["id"], r["client_name"] or "", r["product_name"] or "", r["text"] or ""
                    )
                    for r in lines[:MAX_LINES]
                ],
            )
            to = Recipient(user_id, int(person["telegram_id"]), person["language"])
            return await self.notifier.chat_alert(to, alert)

        async def record(_: str, mine: list[asyncpg.Record], outcome: Delivery | None) -> None:
            ids = [r["id"] for r in mine]
            if outcome == "failed":
                return  # stays claimed: the sweep sends it again once it is stale
            status = "sent" if outcome == "sent" else "failed"  # blocked, or no chat
            await repo.mark(self.pool, ids, status, claimed_at=mine[0]["claimed_at"], now=now)
            if status == "sent":
                report.sent += len(ids)
            else:
                report.failed += len(ids)

        async def release(_: str, rest: Sequence[list[asyncpg.Record]]) -> None:
            for mine in rest:
                # Awaited first: `x += await ...` reads x before the await, and the people's
                # queues release at once, so one would overwrite another's count.
                released = await repo.release(
                    self.pool, [r["id"] for r in mine], claimed_at=mine[0]["claimed_at"]
                )
                report.released += released

        await deliver(queues, send=send, record=record, release=release, stopping=self.stopping)
