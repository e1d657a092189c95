"""The weekly digest per store to its owner (issue 16): Monday 10:00 MSK, opt-out in settings.

What changed last week (reviews, average, negatives against the week before), the top problem
products, the open negatives worth a complaint this week by expected rating impact, and the
store's AI spend this month. Each store's digest is claimed in PostgreSQL before the send
(`weekly_digests`: one row per store and week), so with several instances it goes out once;
a claim whose instance died is taken over after 10 minutes (domain rules, "Delivery"); a
stopping instance gives back what it did not send (services/delivery.py).
No pooled connection is held while the figures are drawn up or the message is sent.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

import asyncpg

from db.repos import ai_settings as spend_repo
from db.repos import digests as repo
from services.delivery import deliver
from services.msk import MSK, month_start, week_start
from services.notifier import Delivery, Recipient
from services.stats import Impact, ProductNegatives, StatsService, Week

log = logging.getLogger(__name__)

SEND_WEEKDAY: Final = 0  # Monday
SEND_HOUR: Final = 10  # MSK


@dataclass(frozen=True, slots=True)
class WeeklyDigest:
    store_id: str
    store_name: str
    week: Week | None
    previous: Week | None
    problems: list[ProductNegatives] = field(default_factory=list)
    worth_filing: list[Impact] = field(default_factory=list)
    spend: Decimal = Decimal(0)


Sender = Callable[[Recipient, WeeklyDigest], Awaitable[Delivery]]


AT_ONCE = 10
"""Owners served at once: each digest is drawn up from a few stats queries first."""


@dataclass
class DigestReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    released: int = 0
    """Claims given back unsent because the process is stopping (another instance sends)."""


def is_due(now: datetime) -> bool:
    """From Monday 10:00 MSK to the end of Monday: a late start still sends that day."""
    local = now.astimezone(MSK)
    return local.weekday() == SEND_WEEKDAY and local.hour >= SEND_HOUR


class DigestService:
    def __init__(
        self,
        pool: asyncpg.Pool,
        stats: StatsService,
        send: Sender,
        *,
        holder: str | None = None,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self._pool = pool
        self._stats = stats
        self._send = send
        self._holder = holder or f"digest-{uuid.uuid4().hex[:12]}"
        self.stopping = stopping or asyncio.Event()

    async def build(self, store_id: str, store_name: str, now: datetime) -> WeeklyDigest:
        weeks = {w.week: w for w in await self._stats.weeks(store_id)}
        this_monday = week_start(now)
        last = weeks.get(this_monday - timedelta(days=7))
        before = weeks.get(this_monday - timedelta(days=14))
        problems = (await self._stats.products(store_id))[:3]
        worth = (await self._stats.impact(store_id))[:3]
        spend = await spend_repo.store_spend(self._pool, store_id, month_start(now))
        return WeeklyDigest(store_id, store_name, last, before, problems, worth, spend)

    async def run(self, *, now: datetime | None = None) -> DigestReport:
        """Send this week's digests that are due and not yet sent by any instance: claimed
        first, then sent as every alert is (services/delivery.py), an owner's stores one by
        one; a failed send, or one a stopping process did not make, is given back at once."""
        now = now or datetime.now(UTC)
        report = DigestReport()
        if not is_due(now) or self.stopping.is_set():
            return report
        week = week_start(now)
        queues: dict[str, list[asyncpg.Record]] = {}
        for target in await repo.digest_targets(self._pool):
            if not await repo.claim(self._pool, target["store_id"], week, self._holder, now):
                report.skipped += 1
                continue
            queues.setdefault(target["owner_id"], []).append(target)

        async def send(_: str, target: asyncpg.Record) -> Delivery:
            to = Recipient(target["owner_id"], int(target["telegram_id"]), target["language"])
            digest = await self.build(target["store_id"], target["store_name"], now)
            return await self._send(to, digest)

        async def record(_: str, target: asyncpg.Record, outcome: Delivery | None) -> None:
            store_id = target["store_id"]
            if outcome == "failed":
                await repo.release(self._pool, store_id, week, self._holder)
                report.failed += 1
            else:  # sent, or blocked: final either way
                await repo.mark_sent(self._pool, store_id, week, self._holder, now)
                report.sent += 1

        async def release(_: str, rest: Sequence[asyncpg.Record]) -> None:
            for target in rest:
                await repo.release(self._pool, target["store_id"], week, self._holder)
                report.released += 1

        await deliver(
            queues,
            send=send,
            record=record,
            release=release,
            stopping=self.stopping,
            at_once=AT_ONCE,
        )
        return report

    async def enabled(self, user_id: str) -> bool:
        return await repo.get_opt(self._pool, user_id)

    async def set_enabled(self, user_id: str, enabled: bool) -> None:
        await repo.set_opt(self._pool, user_id, enabled)
