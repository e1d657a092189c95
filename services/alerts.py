"""Alerts on new negative reviews (domain-rules "Alerts and people", "Delivery").

The path of a review: an incremental sync finds it new and puts it in the durable queue
(`new_reviews`, services/sync/service.py) -> auto-drafting decides its complaint ->
`dispatch` writes one `review_alerts` row per recipient (the owner and managers who want
alerts, rating at or below their threshold) and sends the rows it wrote. The row is the claim: written before the
send, marked sent (with the time Telegram accepted it) right after each message; a claim
older than `stale` without a send is sent again. A process that is stopping (`stopping` set)
sends nothing more and releases the claims it did not send, so another instance's next sweep
takes them at once. A person who blocked the bot stops their batch at the first refusal. People
in quiet hours get 'held' rows, delivered as one digest once their quiet hours end. Access
is checked again at delivery (a digest or a retry may come long after the row was written):
a person no longer on the store, or a paused store, gets nothing ('failed', 'no access' or
'store paused').
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from db.claims import STALE_CLAIM
from db.repos import alerts as alerts_repo
from services import metrics
from services.delivery import deliver
from services.msk import MSK
from services.notifier import Delivery, Notifier, Recipient, ReviewCard

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AlertConfig:
    stale: timedelta = STALE_CLAIM
    """A claim this old without a send is sent again (domain-rules "Delivery")."""
    draft_wait: timedelta = timedelta(minutes=10)
    """How long an alert waits for its review's auto-drafting to be decided."""
    max_attempts: int = 5
    quiet_tz: ZoneInfo = MSK
    """Quiet hours are MSK hours (user_preferences, migration 0005)."""
    people_at_once: int = 1000
    """People served at once in a batch. Their sends wait in the notifier's pacer, which
    keeps Telegram's limits and serves them by when each may next receive: a small number
    here would hold the batch to one message a second per person served."""
    batch: int = 200
    """Queue rows fanned out per transaction; `dispatch` drains the queue batch by batch."""


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    digests: int = 0
    released: int = 0
    """Claims left unsent because the process is stopping (another instance sends them)."""


def _card(row: asyncpg.Record) -> ReviewCard:
    return ReviewCard(
        review_id=row["review_id"],
        store_id=row["store_id"],
        store_name=row["store_name"],
        product_id=row["product_id"],
        product_name=row["product_name"],
        vendor_code=row["vendor_code"],
        nm_id=row["nm_id"],
        rating=row["rating"],
        text=row["text"] or "",
        pros=row["pros"] or "",
        cons=row["cons"] or "",
        author=row["author"] or "",
        date=row["date"],
        complaint_id=row["complaint_id"],
        complaint_status=row["complaint_status"],
        complaint_text=row["complaint_text"],
        reason_name=row["reason_name"],
    )


class AlertService:
    def __init__(
        self,
        pool: asyncpg.Pool,
        notifier: Notifier,
        config: AlertConfig | None = None,
        *,
        stopping: asyncio.Event | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.pool = pool
        self.notifier = notifier
        self.config = config or AlertConfig()
        self.stopping = stopping or asyncio.Event()
        self.clock = clock
        """Real time: `sent_at` is the dispatch's `now` plus the time spent until Telegram
        accepted the message (tests run `now` on a controlled clock)."""

    def _hour(self, now: datetime) -> int:
        return now.astimezone(self.config.quiet_tz).hour

    async def dispatch(self, *, now: datetime, store_id: str | None = None) -> DispatchReport:
        """Write and send new alerts and resend stale or released claims; the sweep (no
        `store_id`) does it for every store and also delivers digests of ended quiet hours.
        After one store's sync only its alerts matter: the 30-second sweep does the rest,
        once, for everyone."""
        report = DispatchReport()
        hour = self._hour(now)
        cfg = self.config
        started = self.clock()

        def at() -> datetime:
            """When a message was accepted, on the dispatch's clock."""
            return now + max(self.clock() - started, timedelta(0))

        while True:
            if self.stopping.is_set():
                return report
            done, fresh = await alerts_repo.fan_out(
                self.pool,
                now=now,
                hour=hour,
                draft_wait=cfg.draft_wait,
                store_id=store_id,
                limit=cfg.batch,
            )
            if not done:
                break
            if fresh:
                await self._send_single(fresh, at, report)
        if self.stopping.is_set():
            return report
        # After one store's sync, its claims released by a stopping instance (or stale) go
        # too: within one sync interval rather than at the next sweep.
        async with self.pool.acquire() as conn:
            again = await alerts_repo.reclaim_stale(
                conn,
                now=now,
                hour=hour,
                stale=cfg.stale,
                max_attempts=cfg.max_attempts,
                store_id=store_id,
            )
        if again:
            await self._send_single(again, at, report)
        if store_id is not None:
            return report
        async with self.pool.acquire() as conn:
            digest_rows = await alerts_repo.claim_digests(conn, now=now, hour=hour)
        if digest_rows:
            await self._send_digests(digest_rows, at, report)
        return report

    async def _refuse(
        self, rows: Sequence[asyncpg.Record], report: DispatchReport
    ) -> list[asyncpg.Record]:
        """Close the rows whose person lost access (or whose store is paused); the rest."""
        async with self.pool.acquire() as conn:
            refused = await alerts_repo.access(
                conn, list({(r["store_id"], r["user_id"]) for r in rows})
            )
            keep: list[asyncpg.Record] = []
            for row in rows:
                why = refused.get((row["store_id"], row["user_id"]), "no access")
                if why is None:
                    keep.append(row)
                    continue
                await alerts_repo.mark_failed(
                    conn,
                    [(row["review_id"], row["user_id"])],
                    claimed_at=row["claimed_at"],
                    error=why,
                    final=True,
                )
                report.failed += 1
        return keep

    async def _lookup(
        self, rows: Sequence[asyncpg.Record]
    ) -> tuple[dict[str, ReviewCard], dict[str, Recipient]]:
        async with self.pool.acquire() as conn:
            cards = {
                r["review_id"]: _card(r)
                for r in await alerts_repo.review_cards(conn, list({x["review_id"] for x in rows}))
            }
            people = {
                r["user_id"]: Recipient(r["user_id"], r["telegram_id"], r["language"])
                for r in await alerts_repo.recipients(conn, list({x["user_id"] for x in rows}))
                if not r["is_blocked"]
            }
        return cards, people

    async def _record(
        self,
        pairs: list[tuple[str, str]],
        claimed_at: datetime,
        outcome: Delivery | None,
        now: datetime,
        report: DispatchReport,
    ) -> None:
        if outcome == "sent":
            await alerts_repo.mark_sent(self.pool, pairs, claimed_at=claimed_at, now=now)
            report.sent += len(pairs)
            return
        final = outcome != "failed"  # blocked, or nobody to send to
        await alerts_repo.mark_failed(
            self.pool,
            pairs,
            claimed_at=claimed_at,
            error="blocked" if outcome == "blocked" else ("no chat" if final else "send failed"),
            final=final,
        )
        report.failed += len(pairs)

    async def _send_single(
        self, rows: Sequence[asyncpg.Record], at: Callable[[], datetime], report: DispatchReport
    ) -> None:
        rows = await self._refuse(rows, report)
        if not rows:
            return
        cards, people = await self._lookup(rows)
        by_user: dict[str, list[asyncpg.Record]] = defaultdict(list)
        for row in rows:
            by_user[row["user_id"]].append(row)
        for mine in by_user.values():
            mine.sort(key=lambda r: cards[r["review_id"]].date)

        async def send(user_id: str, row: asyncpg.Record) -> Delivery | None:
            to = people.get(user_id)
            return (
                None
                if to is None
                else await self.notifier.review_alert(to, cards[row["review_id"]])
            )

        async def record(user_id: str, row: asyncpg.Record, outcome: Delivery | None) -> None:
            sent_at = at()
            if outcome == "sent":
                delay = sent_at - cards[row["review_id"]].date
                metrics.ALERT_DELAY.observe(max(delay.total_seconds(), 0.0))
            pair = [(row["review_id"], user_id)]
            await self._record(pair, row["claimed_at"], outcome, sent_at, report)

        async def release(_: str, rest: Sequence[asyncpg.Record]) -> None:
            await self._release(rest, report)

        await deliver(
            by_user,
            send=send,
            record=record,
            release=release,
            stopping=self.stopping,
            at_once=self.config.people_at_once,
        )

    async def _release(self, rows: Sequence[asyncpg.Record], report: DispatchReport) -> None:
        for row in rows:
            released = await alerts_repo.release_claims(  # awaited first: queues run at once
                self.pool, [(row["review_id"], row["user_id"])], claimed_at=row["claimed_at"]
            )
            report.released += released

    async def _send_digests(
        self, rows: Sequence[asyncpg.Record], at: Callable[[], datetime], report: DispatchReport
    ) -> None:
        rows = await self._refuse(rows, report)
        if not rows:
            return
        cards, people = await self._lookup(rows)
        by_user: dict[str, list[asyncpg.Record]] = defaultdict(list)
        for row in rows:
            by_user[row["user_id"]].append(row)

        async def send(user_id: str, mine: list[asyncpg.Record]) -> Delivery | None:
            to = people.get(user_id)
            if to is None:
                return None
            listed = sorted((cards[r["review_id"]] for r in mine), key=lambda c: c.date)
            return await self.notifier.review_digest(to, listed)

        async def record(
            user_id: str, mine: list[asyncpg.Record], outcome: Delivery | None
        ) -> None:
            pairs = [(r["review_id"], user_id) for r in mine]
            await self._record(pairs, mine[0]["claimed_at"], outcome, at(), report)
            if outcome == "sent":
                report.digests += 1

        async def release(_: str, rest: Sequence[list[asyncpg.Record]]) -> None:
            for mine in rest:
                await self._release(mine, report)

        await deliver(
            {user_id: [mine] for user_id, mine in by_user.items()},
            send=send,
            record=record,
            release=release,
            stopping=self.stopping,
            at_once=self.config.people_at_once,
        )
