"""Follow-up sequences: start and stop them, and the sender job that sends due steps once.

Rules (domain-rules.md, "Follow-up sequences"): one message a day from the owner's set
(set 1 for 1-3 stars, set 2 for 4 stars), 10:00-17:00 MSK, never on an MSK day the seller
already wrote in the chat; after the last step the set's stop message, if any. The sender
never holds a pooled connection across the WB call: the attempt (step, text, id) is committed
first, the result recorded after; an attempt left without a result (the process died between
the call and the record) is resolved from WB's events stream before anything is sent again
(docs/decisions.md, "Follow-up sends").
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import IntEnum, StrEnum
from typing import Any

import asyncpg

from db.claims import STALE_CLAIM
from db.models import StoreRow
from db.repos import alerts as alerts_repo
from db.repos import chat_reviews
from db.repos import sequences as repo
from db.repos import stores as stores_repo
from db.repos import user_settings as settings_repo
from services import members
from services.delivery import deliver
from services.msk import MSK
from services.notifier import Delivery, Notice, Notifier, Recipient
from services.wb.errors import WBAuthError, WBError, WBRateLimited
from services.wb.factory import WBClientFactory

log = logging.getLogger(__name__)

NOTICE_ATTEMPTS = 5
"""A refusal notice claimed `STALE_CLAIM` ago without a send is sent again, this many times."""

Clock = Callable[[], datetime]


class MessageSet(IntEnum):
    FIRST = 1  # no_reply_messages: 1-3 star reviews
    SECOND = 2  # no_reply_messages2: 4 stars

    @property
    def sequence_type(self) -> str:
        return repo.FIRST_SET_TYPE if self is MessageSet.FIRST else repo.SECOND_SET_TYPE

    @classmethod
    def for_stars(cls, stars: int) -> MessageSet:
        return cls.SECOND if stars >= 4 else cls.FIRST


class StopReason(StrEnum):
    CLIENT_REPLIED = "client_replied"
    MANUAL = "manual"
    REVIEW_RESOLVED = "review_resolved"
    STOP_MESSAGE = "stop_message"
    MAX_REACHED = "max_reached"
    WB_REFUSED = "wb_refused"


class StartError(StrEnum):
    """Why a sequence did not start (the bot maps each to a text key)."""

    NO_CHAT = "no_chat"
    NO_MESSAGES = "no_messages"
    ALREADY_RUNNING = "already_running"
    NO_REPLY_SIGN = "no_reply_sign"
    FIVE_STARS = "five_stars"
    RESOLVED = "review_resolved"


class SequenceStartError(Exception):
    def __init__(self, code: StartError) -> None:
        super().__init__(code.value)
        self.code = code


@dataclass(frozen=True, slots=True)
class SenderConfig:
    window_start: time = time(10, 0)
    window_end: time = time(17, 0)
    max_steps: int = 14
    batch: int = 50
    attempt_lease: timedelta = timedelta(minutes=2)
    """An attempt younger than this is in flight in another process; older lost its result.
    Shorter than `db.claims.STALE_CLAIM` on purpose: a stale attempt is never sent again
    blindly, the sender first reads WB's chat events for it (docs/decisions.md, "Follow-up
    sends"), so taking it over early costs a look, not a double message."""
    retry_after: timedelta = timedelta(minutes=10)
    """A step WB answered with an error is tried again this much later (a back-off, not a
    claim window)."""
    send_concurrency: int = 4
    event_pages: int = 50


@dataclass(frozen=True, slots=True)
class Plan:
    """What the card shows before a start: "1 message a day from tomorrow 10:00-17:00 MSK,
    up to N" (the bot renders it from `schedule-text`)."""

    set_no: MessageSet
    steps: int
    with_stop_message: bool
    window_start: str
    window_end: str
    first_day: datetime


@dataclass(slots=True)
class RunReport:
    claimed: int = 0
    sent: int = 0
    postponed: int = 0
    retried: int = 0
    refused: int = 0
    resolved_sent: int = 0
    resolved_not_sent: int = 0
    finished: int = 0
    stopped: int = 0
    errors: list[str] = field(default_factory=list)


def _messages(raw: Any) -> list[str]:
    value = json.loads(raw) if isinstance(raw, str) else raw
    out: list[str] = []
    for item in value or []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            out.append(item["text"])
    return out


class SequenceService:
    """Built once per process; `run_due(now=...)` is the scheduler's job (any number of
    processes may run it at once)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        factory: WBClientFactory,
        notifier: Notifier | None = None,
        config: SenderConfig | None = None,
        *,
        crash_after_send: Callable[[], None] | None = None,
        clock: Clock | None = None,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self.pool = pool
        self.stopping = stopping or asyncio.Event()
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        """"Now" of a start from the card (the sender job is given its `now`); tests set it."""
        self.factory = factory
        self.notifier = notifier
        self.config = config or SenderConfig()
        self._crash_after_send = crash_after_send  # tests: die between the call and the record

    # -- time ---------------------------------------------------------------------------

    def _msk(self, at: datetime) -> datetime:
        return at.astimezone(MSK)

    def in_window(self, at: datetime) -> bool:
        t = self._msk(at).time()
        return self.config.window_start <= t < self.config.window_end

    def next_day_open(self, at: datetime) -> datetime:
        day = self._msk(at).date() + timedelta(days=1)
        return datetime.combine(day, self.config.window_start, MSK).astimezone(UTC)

    def next_open(self, at: datetime) -> datetime:
        local = self._msk(at)
        if local.time() < self.config.window_start:
            return datetime.combine(local.date(), self.config.window_start, MSK).astimezone(UTC)
        if local.time() < self.config.window_end:
            return at
        return self.next_day_open(at)

    def same_msk_day(self, a: datetime, b: datetime) -> bool:
        return self._msk(a).date() == self._msk(b).date()

    # -- start and stop -----------------------------------------------------------------

    async def _set(self, owner_id: str, set_no: MessageSet) -> tuple[list[str], str | None]:
        s = await settings_repo.get_user_settings(self.pool, owner_id)
        if s is None:
            return [], None
        if set_no is MessageSet.FIRST:
            msgs, stop = s.no_reply_messages, s.no_reply_stop_message
        else:
            msgs, stop = s.no_reply_messages2, s.no_reply_stop_message2
        msgs = [m for m in msgs if m.strip()][: self.config.max_steps]
        return msgs, (stop if stop and stop.strip() else None)

    async def plan(
        self, owner_id: str, *, now: datetime, set_no: MessageSet | None = None, stars: int = 1
    ) -> Plan:
        chosen = set_no or MessageSet.for_stars(stars)
        msgs, stop = await self._set(owner_id, chosen)
        return Plan(
            chosen,
            len(msgs),
            stop is not None,
            self.config.window_start.strftime("%H:%M"),
            self.config.window_end.strftime("%H:%M"),
            self.next_day_open(now),
        )

    async def start(
        self,
        chat_id: str,
        *,
        now: datetime,
        set_no: MessageSet | None = None,
        stars: int | None = None,
    ) -> str:
        """Start by hand from a chat (the caller has checked the person may act on its store):
        the set given, else the one for the linked review's stars, else set 1. The first step
        goes tomorrow in the window; the chat goes to `awaiting_reply`. A chat whose linked
        review has 5 stars or is resolved gets none."""
        chat = await repo.chat_for_start(self.pool, chat_id)
        if chat is None:
            raise SequenceStartError(StartError.NO_CHAT)
        if not chat["reply_sign"]:
            raise SequenceStartError(StartError.NO_REPLY_SIGN)
        if chat["review_rating"] == 5:  # 5 star reviews are never worked
            raise SequenceStartError(StartError.FIVE_STARS)
        if chat["review_resolved"]:  # its chat work is over (domain-rules.md, "Resolved")
            raise SequenceStartError(StartError.RESOLVED)
        chosen = set_no or MessageSet.for_stars(stars or 1)
        return await self._start(chat_id, chat["owner_id"], chosen, now)

    async def _start(self, chat_id: str, owner_id: str, chosen: MessageSet, now: datetime) -> str:
        msgs, stop = await self._set(owner_id, chosen)
        if not msgs:
            raise SequenceStartError(StartError.NO_MESSAGES)
        sequence_id = await repo.start_sequence(
            self.pool,
            chat_id,
            messages=[{"day": i + 1, "text": t} for i, t in enumerate(msgs)],
            sequence_type=chosen.sequence_type,
            next_send_at=self.next_day_open(now),
            max_steps=len(msgs),
            stop_message=stop,
            started_at=now,
        )
        if sequence_id is None:
            raise SequenceStartError(StartError.ALREADY_RUNNING)
        return sequence_id

    async def set_auto_start(self, user_id: str, store_id: str, enabled: bool) -> bool:
        """The store card's toggle; only the store's owner may change it."""
        async with self.pool.acquire() as conn:
            if await members.store_role(conn, user_id, store_id) != "owner":
                return False
            return await repo.set_auto_start(conn, store_id, enabled)

    async def may_act(self, user_id: str, chat_id: str) -> bool:
        """The person may start or stop follow-ups in this chat (owner or manager)."""
        chat = await repo.chat_for_start(self.pool, chat_id)
        if chat is None:
            return False
        async with self.pool.acquire() as conn:
            return await members.store_role(conn, user_id, chat["store_id"]) is not None

    async def stop(self, chat_id: str, reason: StopReason = StopReason.MANUAL) -> bool:
        """Stop from the card (or any caller); False when nothing was running."""
        return await repo.stop_sequence(self.pool, chat_id, reason.value)

    @staticmethod
    async def on_chat_moved(conn: Any, chat_id: str) -> bool:
        """The chats service calls this in its transaction when a person moves or closes a
        chat by hand: a running sequence stops (`manual`)."""
        return await repo.stop_sequence(conn, chat_id, StopReason.MANUAL.value)

    @staticmethod
    async def on_reviews_resolved(conn: Any, review_ids: Collection[str]) -> int:
        """These reviews became resolved (complaint approved, WB excluded or unpublished them,
        they vanished): the running sequences of the chats linked to them stop
        (`review_resolved`), in one statement, in the caller's transaction."""
        return await chat_reviews.stop_sequences_of_reviews(
            conn, review_ids, StopReason.REVIEW_RESOLVED.value
        )

    # -- the sender job -----------------------------------------------------------------

    async def run_due(self, *, now: datetime, max_batches: int = 20) -> RunReport:
        """Send the due steps once: batch after batch until nothing due is left (so every
        chat due at the window's opening goes then), each batch claimed and committed, WB
        called without a connection, the results recorded."""
        report = RunReport()
        for _ in range(max_batches):
            reopened = report.resolved_not_sent
            claimed = await self._batch(now, report)
            # A full batch may leave more due; an attempt found not taken by WB goes again now.
            if claimed < self.config.batch and report.resolved_not_sent == reopened:
                break
        await self.tell_owners(now)
        return report

    async def _batch(self, now: datetime, report: RunReport) -> int:
        sends: list[tuple[asyncpg.Record, str, str]] = []  # row, attempt id, text
        resolves: list[asyncpg.Record] = []
        refused: list[str] = []
        stores: dict[str, StoreRow] = {}
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await repo.claim_work(
                conn, now, now - self.config.attempt_lease, self.config.batch
            )
            report.claimed += len(rows)
            for r in rows:
                if r["store_id"] not in stores:
                    store = await stores_repo.get_store(conn, r["store_id"])
                    if store is None:
                        continue
                    stores[r["store_id"]] = store
                if r["attempt_id"] is not None:
                    await repo.touch_attempt(conn, r["id"], r["attempt_id"], now)
                    resolves.append(r)
                    continue
                if r["review_resolved"]:  # read here too: not every writer calls the hook
                    await repo.stop_sequence(conn, r["chat_id"], StopReason.REVIEW_RESOLVED.value)
                    report.stopped += 1
                    continue
                if not self.in_window(now):
                    await repo.postpone(conn, r["id"], self.next_open(now))
                    report.postponed += 1
                    continue
                sent_today = r["last_sent_at"] is not None and self.same_msk_day(
                    r["last_sent_at"], now
                )
                seller = r["seller_last"]
                seller_today = (
                    seller is not None and seller <= now and self.same_msk_day(seller, now)
                )
                if sent_today or seller_today:
                    await repo.postpone(conn, r["id"], self.next_day_open(now))
                    report.postponed += 1
                    continue
                msgs = _messages(r["messages"])
                step = int(r["current_step"])
                if step < len(msgs):
                    text = msgs[step]
                elif step == len(msgs) and r["stop_message"]:
                    text = str(r["stop_message"])
                else:
                    await repo.finish(conn, r["id"], StopReason.MAX_REACHED.value)
                    report.finished += 1
                    continue
                if not r["reply_sign"]:
                    await repo.record_refused(conn, r["id"], None, "no reply sign")
                    refused.append(r["id"])
                    continue
                attempt = str(uuid.uuid4())
                await repo.record_attempt(conn, r["id"], attempt, step, text, now)
                sends.append((r, attempt, text))
        # No connection held from here to the records.
        sem = asyncio.Semaphore(self.config.send_concurrency)

        async def one_send(item: tuple[asyncpg.Record, str, str]) -> None:
            async with sem:
                await self._send(stores[item[0]["store_id"]], *item, now=now, report=report)

        async def one_resolve(r: asyncpg.Record) -> None:
            async with sem:
                await self._resolve(stores[r["store_id"]], r, now=now, report=report)

        await asyncio.gather(*(one_resolve(r) for r in resolves))
        await asyncio.gather(*(one_send(s) for s in sends))
        report.refused += len(refused)
        return len(rows)

    def _finish_reason(self, r: asyncpg.Record, step: int) -> str | None:
        total = len(_messages(r["messages"]))
        if step >= total:
            return StopReason.STOP_MESSAGE.value
        if step == total - 1 and not r["stop_message"]:
            return StopReason.MAX_REACHED.value
        return None

    async def _send(
        self,
        store: StoreRow,
        r: asyncpg.Record,
        attempt: str,
        text: str,
        *,
        now: datetime,
        report: RunReport,
    ) -> None:
        client = self.factory.for_store(store)
        try:
            await client.send_message(r["reply_sign"], text)
        except ValueError as exc:
            await self._refuse(r["id"], attempt, str(exc), now, report)
            return
        except WBError as exc:
            await self._failed(r, attempt, exc, now, report)
            return
        if self._crash_after_send is not None:
            self._crash_after_send()
        step = int(r["current_step"])
        async with self.pool.acquire() as conn, conn.transaction():
            ok = await repo.record_sent(
                conn,
                r["id"],
                attempt,
                sent_at=now,
                next_send_at=self.next_day_open(now),
                finished_reason=self._finish_reason(r, step),
            )
        if ok:
            report.sent += 1

    async def _failed(
        self, r: asyncpg.Record, attempt: str, exc: WBError, now: datetime, report: RunReport
    ) -> None:
        report.errors.append(f"{type(exc).__name__}: {exc}")
        if exc.outcome_unknown:
            # WB may have taken it: keep the attempt; the next run resolves it from events.
            retry_at = now + self.config.retry_after
            await repo.keep_unresolved(
                self.pool,
                r["id"],
                attempt,
                error=str(exc),
                retry_at=retry_at,
                resolvable_from=retry_at - self.config.attempt_lease - timedelta(seconds=1),
            )
            report.retried += 1
            return
        if exc.transient or isinstance(exc, WBAuthError):
            delay = self.config.retry_after
            if isinstance(exc, WBRateLimited):
                delay = max(delay, timedelta(seconds=exc.retry_after))
            await repo.record_failure(
                self.pool, r["id"], attempt, error=str(exc), retry_at=now + delay
            )
            report.retried += 1
            return
        await self._refuse(r["id"], attempt, str(exc), now, report)

    async def _refuse(
        self, sequence_id: str, attempt: str | None, detail: str, now: datetime, report: RunReport
    ) -> None:
        if await repo.record_refused(self.pool, sequence_id, attempt, detail):
            report.refused += 1

    async def tell_owners(self, now: datetime) -> None:
        """Tell owners about their refused sequences, as every alert is delivered
        (services/delivery.py): claimed, sent, recorded; a stopping process gives back what it
        did not send, a failed send goes again when its claim is stale."""
        if self.notifier is None or self.stopping.is_set():
            return
        notifier = self.notifier
        rows = await repo.claim_owner_notices(
            self.pool, at=now, stale=STALE_CLAIM, max_attempts=NOTICE_ATTEMPTS
        )
        if not rows:
            return
        queues: dict[str, list[asyncpg.Record]] = {}
        for row in rows:
            queues.setdefault(row["owner_id"], []).append(row)
        people = {
            p["user_id"]: Recipient(p["user_id"], p["telegram_id"], p["language"])
            for p in await alerts_repo.recipients(self.pool, list(queues))
            if not p["is_blocked"]
        }

        async def send(owner_id: str, row: asyncpg.Record) -> Delivery | None:
            to = people.get(owner_id)
            if to is None:
                return None
            args: dict[str, str | int] = {
                "store": row["store_name"],
                "client": row["client_name"] or "",
                "reason": row["stop_detail"] or "",
            }
            return await notifier.notice(to, Notice("sequence_refused", args))

        async def record(_: str, row: asyncpg.Record, outcome: Delivery | None) -> None:
            if outcome != "failed":  # a failed send stays claimed: sent again when stale
                await repo.owner_told(self.pool, row["id"], claimed_at=row["claimed_at"], at=now)

        async def release(_: str, rest: Sequence[asyncpg.Record]) -> None:
            for row in rest:
                await repo.release_owner_notice(self.pool, row["id"], claimed_at=row["claimed_at"])

        await deliver(queues, send=send, record=record, release=release, stopping=self.stopping)

    async def _resolve(
        self, store: StoreRow, r: asyncpg.Record, *, now: datetime, report: RunReport
    ) -> None:
        """An attempt without a result: did WB take it? The events stream answers, since it
        returns the seller's own messages."""
        client = self.factory.for_store(store)
        since_ms = max(1, int(r["attempt_at"].timestamp() * 1000) - 1000)
        found: datetime | None = None
        cursor: int | None = since_ms
        try:
            for _ in range(self.config.event_pages):
                page = await client.get_events(cursor)
                if page.total_events == 0 or not page.events:
                    break
                for ev in page.events:
                    msg = ev.message
                    if (
                        ev.chat_id == r["chat_id"]
                        and ev.sender == "seller"
                        and msg is not None
                        and (msg.text or "") == r["attempt_text"]
                    ):
                        found = datetime.fromtimestamp((ev.add_timestamp or 0) / 1000, tz=UTC)
                        break
                if found is not None or not page.next or page.next == cursor:
                    break
                cursor = page.next
        except WBError as exc:
            report.errors.append(f"resolve: {exc}")
            return  # the attempt stays; a later run asks again
        step = int(r["attempt_step"])
        if found is not None:
            async with self.pool.acquire() as conn, conn.transaction():
                ok = await repo.record_sent(
                    conn,
                    r["id"],
                    r["attempt_id"],
                    sent_at=found,
                    next_send_at=self.next_day_open(now),
                    finished_reason=self._finish_reason(r, step),
                )
            if ok:
                report.resolved_sent += 1
            return
        await repo.record_failure(
            self.pool, r["id"], r["attempt_id"], error="not accepted by WB", retry_at=now
        )
        report.resolved_not_sent += 1


async def auto_start(
    conn: Any,
    store_id: str,
    owner_id: str,
    seller_messages: Sequence[tuple[str, str, datetime]],
    *,
    config: SenderConfig | None = None,
) -> int:
    """Chat sync hook, in its page transaction: a new seller message with the set's trigger
    phrase starts that set's sequence when the store has auto-start on. Returns starts."""
    cfg = config or SenderConfig()
    matches = await repo.start_on_trigger(conn, store_id, seller_messages)
    if not matches:
        return 0
    s = await settings_repo.get_user_settings(conn, owner_id)
    if s is None:
        return 0
    latest = {chat: ts for chat, _text, ts in seller_messages}
    started = 0
    for chat_id, set_no in matches:
        if set_no == 1:
            msgs, stop = s.no_reply_messages, s.no_reply_stop_message
        else:
            msgs, stop = s.no_reply_messages2, s.no_reply_stop_message2
        msgs = [m for m in msgs if m.strip()][: cfg.max_steps]
        if not msgs:
            continue
        at = latest[chat_id]
        day = at.astimezone(MSK).date() + timedelta(days=1)
        first = datetime.combine(day, cfg.window_start, MSK).astimezone(UTC)
        sid = await repo.start_sequence(
            conn,
            chat_id,
            messages=[{"day": i + 1, "text": t} for i, t in enumerate(msgs)],
            sequence_type=MessageSet(set_no).sequence_type,
            next_send_at=first,
            max_steps=len(msgs),
            stop_message=stop if stop and stop.strip() else None,
            started_at=at,
        )
        started += sid is not None
    return started
