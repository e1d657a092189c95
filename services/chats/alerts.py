"""Alerts for new buyer messages: one message per batch per person who works the store.

A batch is the buyer messages one incremental chat sync of a store found new (a first or full
sync only backfills: `SyncResult.new_messages` is empty then). The seller's own messages and
WB's never alert. Delivery as for reviews (domain-rules "Delivery"): the `chat_alerts` row is
claimed before the send and marked after it; quiet hours hold the row and the sweep sends the
held ones as one digest per person when they end; a stale claim is sent again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import asyncpg

from db.claims import STALE_CLAIM
from db.repos import alerts as alerts_repo
from db.repos import chat_alerts as repo
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


class ChatAlertService:
    def __init__(self, pool: asyncpg.Pool, notifier: ChatNotifier) -> None:
        self.pool = pool
        self.notifier = notifier

    async def on_sync(
        self, store_id: str, new: Sequence[NewMessage], *, now: datetime
    ) -> ChatAlertReport:
        """Write and send the alert of one sync's new buyer messages."""
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
        """Stale claims again, held alerts of ended quiet hours as one message per person."""
        report = ChatAlertReport()
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
        by_person: dict[tuple[str, str], list[asyncpg.Record]] = defaultdict(list)
        for r in claimed:
            by_person[(r["user_id"], r["store_id"])].append(r)
        people = {
            r["user_id"]: r
            for r in await alerts_repo.recipients(self.pool, sorted({k[0] for k in by_person}))
        }

        async def one(user_id: str, store_id: str, mine: list[asyncpg.Record]) -> None:
            ids = [r["id"] for r in mine]
            person = people.get(user_id)
            if person is None or person["is_blocked"]:
                await repo.mark(self.pool, ids, "failed", now=now)
                report.failed += len(ids)
                return
            chat_ids = sorted({c for r in mine for c in r["chat_ids"]})
            lines = await repo.chat_lines(self.pool, chat_ids)
            alert = ChatAlert(
                store_id=store_id,
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
            try:
                outcome = await self.notifier.chat_alert(to, alert)
            except Exception:
                log.exception("chat alert to %s failed", user_id)
                outcome = "failed"
            if outcome == "sent":
                await repo.mark(self.pool, ids, "sent", now=now)
                report.sent += len(ids)
            elif outcome == "blocked":
                await repo.mark(self.pool, ids, "failed", now=now)
                report.failed += len(ids)
            # 'failed' stays claimed: the sweep sends it again once it is stale

        await asyncio.gather(*(one(u, s, mine) for (u, s), mine in by_person.items()))
