"""Automatic replies to 4-5 star reviews, safer than WB's own assistant.

Per store and rating (4, 5) a mode: off (default), shadow (record what would be sent, send
nothing), suggest (a draft waits for one tap), automatic. A scheduled job (`AutoReplyJob.tick`,
any number of instances, the clock injected) does two steps:

1. Intake: new unanswered 4-5 star reviews are claimed in `autoreplies` (the primary key: one
   row per review, ever). A review whose text hides a complaint (`services.hidden_complaints`),
   of an excluded product, or whose draft the guard refuses or that reads like one of the day's
   earlier replies about the same product, is 'held' for a person. Otherwise the LLM drafts a
   reply with the day's earlier replies as "do not repeat"; automatic mode schedules it after
   the cancel window and the announcer tells the store's people (with "Не отправлять").
2. Send: due replies are claimed within the store's daily cap (`db.repos.autoreplies
   .claim_sends`, which also takes the review's `review_publishes` claim so a person's publish
   and ours never both go). With no connection held, WB is asked whether the review is still
   unanswered; only then is the reply sent. A crash after WB's call leaves the row 'sending';
   the next instance that takes it over asks WB first, finds our answer there, and records it
   instead of sending again.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any, Protocol

import asyncpg

from db.claims import STALE_CLAIM
from db.repos import alerts as alerts_repo
from db.repos import autoreplies as repo
from db.repos import stores as stores_repo
from db.secrets import SecretUnreadable
from services.ai.guard import check_text
from services.ai.prompting import ProductInfo, ReviewInfo, StoreInfo
from services.ai.tasks import AITasks
from services.ai.textnorm import asks_other_language
from services.delivery import deliver, per_person_and_store
from services.hidden_complaints import judge_review
from services.msk import MSK
from services.notifier import Delivery, Recipient
from services.reviews import ReplyError, ReviewService, draft_fingerprint
from services.untrusted import fold
from services.wb.errors import WBError
from services.wb.factory import WBClientFactory

log = logging.getLogger(__name__)

DEFAULT_CAP = 50
DEFAULT_CANCEL_MINUTES = 15
INTAKE_WINDOW = timedelta(days=7)
"""Reviews older than this when automatic replies are turned on are left to people."""
SIMILAR = 0.6
"""Word-pair overlap above which two replies about one product on one day read alike."""
ANNOUNCE_BATCH = 500
ANNOUNCE_ATTEMPTS = 5
DRAFT_ATTEMPTS = 3


class Mode(StrEnum):
    OFF = "off"
    SHADOW = "shadow"
    SUGGEST = "suggest"
    AUTOMATIC = "automatic"


class HoldReason(StrEnum):
    """Why a review went to a person instead of an automatic reply (shown on the lists)."""

    COMPLAINT = "complaint"
    EXCLUDED = "excluded"
    GUARD = "guard"
    SIMILAR = "similar"
    EMPTY = "empty"
    AI_FAILED = "ai_failed"
    OFF = "off"


class AutoReplyErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    TOO_LATE = "too_late"
    BAD_VALUE = "bad_value"


class AutoReplyError(Exception):
    def __init__(self, code: AutoReplyErrorCode) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class AutoReplySettings:
    store_id: str
    modes: dict[int, Mode]
    daily_cap: int
    cancel_minutes: int
    excluded: list[tuple[str, str]]  # (product id, name)

    def mode(self, rating: int) -> Mode:
        return self.modes.get(rating, Mode.OFF)


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A reply waiting out its cancel window: what the announcement shows."""

    review_id: str
    store_id: str
    product_id: str
    rating: int
    review_text: str
    text: str
    due_at: datetime
    open: bool = True
    """Still in its cancel window (an announcement held by quiet hours may come after it)."""


class Announcer(Protocol):
    """The bot tells one person about a store's scheduled replies in one message, with a
    "Не отправлять" button per reply still in its window."""

    async def announce(
        self, to: Recipient, store_name: str, items: Sequence[Scheduled]
    ) -> Delivery: ...


@dataclass
class TickReport:
    held: int = 0
    shadow: int = 0
    suggested: int = 0
    scheduled: list[Scheduled] = field(default_factory=list)
    sent: int = 0
    skipped: int = 0
    over_cap: int = 0
    failed: int = 0
    released: int = 0


def _words(text: str) -> set[tuple[str, str]]:
    w = re.findall(r"\w+", fold(text).text)
    return set(itertools.pairwise(w))


def similarity(a: str, b: str) -> float:
    """Jaccard overlap of word pairs on the folded texts (0: nothing alike, 1: the same)."""
    x, y = _words(a), _words(b)
    if not x or not y:
        return 1.0 if fold(a).text.strip() == fold(b).text.strip() else 0.0
    return len(x & y) / len(x | y)


def day_start(now: datetime) -> datetime:
    """The start of the MSK day `now` falls in (caps and "the same day" count MSK days)."""
    local = now.astimezone(MSK)
    return datetime.combine(local.date(), time(0), MSK)


class AutoReplyService:
    """Settings, the people's lists and actions; built once (`bot/context.py`)."""

    def __init__(
        self, pool: asyncpg.Pool, reviews: ReviewService, clock: Callable[[], datetime]
    ) -> None:
        self.pool = pool
        self.reviews = reviews
        self.clock = clock

    async def settings(self, store_id: str) -> AutoReplySettings:
        modes = {r: Mode(m) for r, m in (await repo.modes(self.pool, store_id)).items()}
        limits = await repo.limits(self.pool, store_id)
        cap, minutes = limits or (DEFAULT_CAP, DEFAULT_CANCEL_MINUTES)
        excluded = [(r["id"], r["name"]) for r in await repo.excluded(self.pool, store_id)]
        return AutoReplySettings(store_id, modes, cap, minutes, excluded)

    async def set_mode(self, store_id: str, rating: int, mode: Mode) -> None:
        if rating not in (4, 5):
            raise AutoReplyError(AutoReplyErrorCode.BAD_VALUE)
        await repo.set_mode(self.pool, store_id, rating, mode)

    async def set_limits(
        self, store_id: str, *, daily_cap: int | None = None, cancel_minutes: int | None = None
    ) -> None:
        current = await self.settings(store_id)
        cap = current.daily_cap if daily_cap is None else daily_cap
        minutes = current.cancel_minutes if cancel_minutes is None else cancel_minutes
        if not (0 <= cap <= 10_000 and 0 <= minutes <= 1440):
            raise AutoReplyError(AutoReplyErrorCode.BAD_VALUE)
        await repo.set_limits(self.pool, store_id, daily_cap=cap, cancel_minutes=minutes)

    async def set_excluded(self, store_id: str, product_id: str, excluded: bool) -> None:
        await repo.set_excluded(self.pool, store_id, product_id, excluded)

    async def toggle_excluded(self, product_id: str) -> str:
        """Flip one product's exclusion; returns its store."""
        store_id = await repo.product_store(self.pool, product_id)
        if store_id is None:
            raise AutoReplyError(AutoReplyErrorCode.NOT_FOUND)
        now_excluded = any(pid == product_id for pid, _ in (await self.settings(store_id)).excluded)
        await repo.set_excluded(self.pool, store_id, product_id, not now_excluded)
        return store_id

    async def exclusion_page(self, store_id: str, *, limit: int = 10, offset: int = 0) -> list[Any]:
        return await repo.exclusion_page(self.pool, store_id, limit=limit, offset=offset)

    async def store_of(self, review_id: str) -> str | None:
        row = await repo.get(self.pool, review_id)
        return None if row is None else str(row["store_id"])

    async def store_name(self, store_id: str) -> str:
        return await repo.store_name(self.pool, store_id) or ""

    async def cancel(self, review_id: str) -> None:
        """ "Не отправлять": stops a reply still in its window (or a suggestion)."""
        state = await repo.cancel(self.pool, review_id)
        if state is None:
            raise AutoReplyError(AutoReplyErrorCode.NOT_FOUND)
        if state not in ("cancelled",):
            raise AutoReplyError(AutoReplyErrorCode.TOO_LATE)

    async def shadow_week(self, store_id: str, *, limit: int = 20, offset: int = 0) -> list[Any]:
        """What would have been sent this week, and what would have gone to a person."""
        since = self.clock() - timedelta(days=7)
        return await repo.listing(
            self.pool, store_id, ("shadow", "held"), since=since, limit=limit, offset=offset
        )

    async def queue(self, store_id: str, *, limit: int = 20, offset: int = 0) -> list[Any]:
        """Suggestions waiting for one tap."""
        since = self.clock() - timedelta(days=30)
        return await repo.listing(
            self.pool, store_id, ("suggested",), since=since, limit=limit, offset=offset
        )

    async def publish_suggestion(self, review_id: str, *, shown: str) -> str:
        """One tap: the suggestion is published through the reviews' exactly-once publish."""
        row = await repo.get(self.pool, review_id)
        if row is None or row["state"] != "suggested" or not row["text"]:
            raise AutoReplyError(AutoReplyErrorCode.NOT_FOUND)
        if draft_fingerprint(row["text"]) != shown:
            raise ReplyError("draft_changed")
        if await repo.put_suggestion_draft(self.pool, review_id) is None:
            raise ReplyError("already_answered")
        text = await self.reviews.publish(review_id, shown=shown)
        await repo.mark_suggestion_sent(self.pool, review_id, now=self.clock())
        return text


class AutoReplyJob:
    """The scheduled job; `holder` names this instance in its claims."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        ai: AITasks,
        wb: WBClientFactory,
        *,
        holder: str,
        announcer: Announcer | None = None,
        batch: int = 50,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self.pool = pool
        self.ai = ai
        self.wb = wb
        self.holder = holder
        self.announcer = announcer
        self.batch = batch
        self.stopping = stopping or asyncio.Event()

    async def tick(self, now: datetime) -> TickReport:
        report = TickReport()
        await self.intake(now, report)
        await self.announce(now)
        await self.send_due(now, report)
        return report

    async def announce(self, now: datetime) -> int:
        """Tell the store's people about scheduled replies as every alert is delivered
        (services/delivery.py): one message per person and store, quiet hours wait (the
        message then says which windows closed meanwhile), a stopping process gives back
        what it did not send. A failed send does not stop the window. Messages sent."""
        if self.announcer is None or self.stopping.is_set():
            return 0
        announcer = self.announcer
        rows = await repo.claim_announcements(
            self.pool,
            now=now,
            hour=now.astimezone(MSK).hour,
            stale=STALE_CLAIM,
            max_attempts=ANNOUNCE_ATTEMPTS,
            limit=ANNOUNCE_BATCH,
        )
        queues = per_person_and_store(rows, lambda r: (r["due_at"], r["review_id"]))
        people = {
            r["user_id"]: Recipient(r["user_id"], int(r["telegram_id"]), r["language"])
            for r in await alerts_repo.recipients(self.pool, list(queues))
            if not r["is_blocked"]
        }
        sent = 0

        def pairs(items: list[Any]) -> list[tuple[str, str]]:
            return [(r["review_id"], r["user_id"]) for r in items]

        async def send(user_id: str, items: list[Any]) -> Delivery | None:
            to = people.get(user_id)
            if to is None:
                return None
            shown = [
                Scheduled(
                    r["review_id"],
                    r["store_id"],
                    r["product_id"],
                    int(r["rating"]),
                    r["review_text"] or "",
                    r["text"] or "",
                    r["due_at"],
                    open=r["state"] == "scheduled",
                )
                for r in items
            ]
            return await announcer.announce(to, items[0]["store_name"], shown)

        async def record(_: str, items: list[Any], outcome: Delivery | None) -> None:
            nonlocal sent
            if outcome == "failed":
                return  # stays claimed: sent again once the claim is stale
            status = "sent" if outcome == "sent" else "failed"  # blocked, or no chat
            claimed_at = items[0]["claimed_at"]
            await repo.finish_announcements(
                self.pool, pairs(items), claimed_at=claimed_at, status=status, now=now
            )
            sent += outcome == "sent"

        async def release(_: str, rest: Sequence[list[Any]]) -> None:
            for items in rest:
                await repo.release_announcements(
                    self.pool, pairs(items), claimed_at=items[0]["claimed_at"]
                )

        await deliver(queues, send=send, record=record, release=release, stopping=self.stopping)
        return sent

    # ------------------------------------------------------------------ intake

    async def intake(self, now: datetime, report: TickReport) -> None:
        rows = await repo.claim_intake(
            self.pool,
            now=now,
            holder=self.holder,
            since=now - INTAKE_WINDOW,
            stale=STALE_CLAIM,
            limit=self.batch,
        )
        for row in rows:
            await self._draft_one(row, now, report)

    async def _hold(self, review_id: str, reason: HoldReason, report: TickReport) -> None:
        await repo.finish_draft(
            self.pool, review_id, self.holder, state="held", text=None, reason=reason, due_at=None
        )
        report.held += 1

    async def _draft_one(self, row: Any, now: datetime, report: TickReport) -> None:
        review_id: str = row["id"]
        mode = Mode(row["mode"])
        if mode is Mode.OFF:
            await self._hold(review_id, HoldReason.OFF, report)
            return
        if row["excluded"]:
            await self._hold(review_id, HoldReason.EXCLUDED, report)
            return
        if judge_review(row["text"], row["pros"], row["cons"]).hidden_complaint:
            await self._hold(review_id, HoldReason.COMPLAINT, report)
            return
        store = await stores_repo.get_store(self.pool, row["store_id"])
        product = await repo.product_record(self.pool, row["product_id"])
        if store is None or product is None:
            await self._hold(review_id, HoldReason.AI_FAILED, report)
            return
        earlier = await repo.earlier_texts(self.pool, row["product_id"], since=day_start(now))
        review = ReviewInfo.from_record(dict(row))
        if mode is Mode.SHADOW:
            state, due = "shadow", None
        elif mode is Mode.SUGGEST:
            state, due = "suggested", None
        else:
            limits = await repo.limits(self.pool, row["store_id"])
            minutes = limits[1] if limits else DEFAULT_CANCEL_MINUTES
            state, due = "scheduled", now + timedelta(minutes=minutes)
        for _attempt in range(DRAFT_ATTEMPTS):
            try:
                draft = await self.ai.draft_review_reply(
                    store=StoreInfo(store.id, store.owner_id, store.name, store.ai_instructions),
                    product=ProductInfo.from_record(product),
                    review=review,
                    avoid=earlier,
                )
            except Exception:
                log.exception("autoreply draft failed for %s", review_id)
                await self._hold(review_id, HoldReason.AI_FAILED, report)
                return
            text = draft.text.strip()
            if not text:
                await self._hold(review_id, HoldReason.EMPTY, report)
                return
            verdict = check_text(
                text,
                channel="review_reply",
                rating=int(row["rating"]),
                other_language=asks_other_language(store.ai_instructions),
            )
            if draft.problems or not verdict.ok:
                await self._hold(review_id, HoldReason.GUARD, report)
                return
            text = verdict.text  # what the guard read is what is sent
            # Compared again under the product's lock: another instance may have drafted a
            # reply about the same product while the LLM worked on this one.
            async with self.pool.acquire() as conn, conn.transaction():
                await repo.lock_product(conn, row["product_id"])
                earlier = await repo.earlier_texts(conn, row["product_id"], since=day_start(now))
                if any(similarity(text, e) > SIMILAR for e in earlier):
                    continue
                if not await repo.finish_draft(
                    conn, review_id, self.holder, state=state, text=text, reason=None, due_at=due
                ):
                    return
                if state == "scheduled":  # told to the store's people with the state
                    await repo.enqueue_announcements(conn, review_id)
                break
        else:
            await self._hold(review_id, HoldReason.SIMILAR, report)
            return
        if state == "shadow":
            report.shadow += 1
        elif state == "suggested":
            report.suggested += 1
        else:
            assert due is not None
            report.scheduled.append(
                Scheduled(
                    review_id,
                    row["store_id"],
                    row["product_id"],
                    int(row["rating"]),
                    row["text"] or "",
                    text,
                    due,
                )
            )

    # ------------------------------------------------------------------ send

    async def send_due(self, now: datetime, report: TickReport) -> None:
        for store_id in await repo.stores_with_due(self.pool, now=now, stale=STALE_CLAIM):
            if self.stopping.is_set():  # no new claims once the process is stopping
                return
            limits = await repo.limits(self.pool, store_id)
            cap = limits[0] if limits else DEFAULT_CAP
            async with self.pool.acquire() as conn:
                rows, over = await repo.claim_sends(
                    conn,
                    store_id,
                    now=now,
                    day_start=day_start(now),
                    holder=self.holder,
                    cap=cap,
                    stale=STALE_CLAIM,
                    limit=self.batch,
                )
            report.over_cap += over
            if not rows:
                continue
            store = await stores_repo.get_store(self.pool, store_id)
            if store is None:
                continue
            try:
                client = self.wb.for_store(store)
            except SecretUnreadable:
                log.warning("autoreply: store %s token unreadable", store_id)
                report.failed += len(rows)
                continue
            for n, row in enumerate(rows):
                if self.stopping.is_set():  # SIGTERM: the rest go back, not to the stale window
                    rest = [r["review_id"] for r in rows[n:]]
                    async with self.pool.acquire() as conn:
                        released = await repo.release_sends(conn, rest, self.holder)
                    report.released += released
                    return
                await self._send_one(client, row, now, report)

    async def _send_one(self, client: Any, row: Any, now: datetime, report: TickReport) -> None:
        review_id: str = row["review_id"]
        text: str = row["text"]
        # Right before sending: is it still unanswered on WB? (A person may have answered in
        # the portal; or an instance died after WB took our reply.)
        try:
            feedback = await client.get_feedback(review_id)
        except WBError:
            report.failed += 1  # stays 'sending'; taken over after STALE_CLAIM
            return
        wb_answer = feedback.answer.text.strip() if feedback.answer else ""
        async with self.pool.acquire() as conn:
            if wb_answer and wb_answer == text:
                await repo.record_sent(conn, review_id, self.holder, text, now=now)
                report.sent += 1
                return
            if wb_answer:
                await repo.record_skipped(conn, review_id, self.holder, "answered", answered=True)
                report.skipped += 1
                return
        try:
            await client.answer_feedback(review_id, text)
        except WBError as exc:
            if exc.outcome_unknown:
                report.failed += 1  # stays 'sending': the next take-over asks WB first
                return
            async with self.pool.acquire() as conn:
                await repo.record_skipped(
                    conn, review_id, self.holder, "wb_refused", answered=False
                )
            report.skipped += 1
            return
        async with self.pool.acquire() as conn:
            await repo.record_sent(conn, review_id, self.holder, text, now=now)
        report.sent += 1
