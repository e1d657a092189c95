"""Follow-up sequences: three sender instances (own pools, own WB clients, one Redis budget)
against one database and the WB emulator, 14 simulated MSK days over 200 chats with random
buyer replies, seller messages and manual moves, under a controlled clock."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis

from db.pool import create_pool
from db.repos import user_settings as settings_repo
from services.msk import MSK
from services.sequences import MessageSet, SequenceService
from services.wb.client import RetryPolicy, WBUrls
from services.wb.factory import WBClientFactory
from services.wb.limits import LimitsConfig, RedisRateLimiter
from tests.fakes.wb import EmulatorConfig, WBEmulator, generate_shop
from tests.support.sequences import Clock, deliver, load_chats, msk
from tests.support.stores import make_store, make_user

SCALE = 200.0
CHATS = 200
DAYS = 14
SET1 = [f"Здравствуйте! Сообщение {i + 1} из набора 1" for i in range(10)]
SET2 = [f"Добрый день! Сообщение {i + 1} из набора 2" for i in range(6)]
STOP1 = "Больше не беспокоим. Хорошего дня!"
TRIGGER = "напомним о себе"


@dataclass
class Plan:
    chat_id: str
    set_no: MessageSet
    auto: bool
    start_at: datetime
    seller_at: list[datetime] = field(default_factory=list)
    stop_at: datetime | None = None
    stop_kind: str | None = None  # client_replied | manual

    def expected(self, day0: datetime) -> list[tuple[int, str]]:
        """(day, text) per step: the first in-window tick (10:00 MSK) of each day after the
        start, unless stopped before it or the seller wrote that day before it."""
        texts = [*SET1, STOP1] if self.set_no is MessageSet.FIRST else list(SET2)
        out: list[tuple[int, str]] = []
        for day in range(1, DAYS + 1):
            if len(out) == len(texts):
                break
            tick = msk(day0, day, 10)
            if self.stop_at is not None and self.stop_at <= tick:
                break
            if any(
                s <= tick and s.astimezone(MSK).date() == tick.astimezone(MSK).date()
                for s in self.seller_at
            ):
                continue
            out.append((day, texts[len(out)]))
        return out


@pytest.fixture
async def wb() -> AsyncIterator[WBEmulator]:
    shop = generate_shop(
        23,
        reviews=5,
        products=3,
        questions=0,
        chats=CHATS,
        now=datetime(2026, 11, 1, tzinfo=UTC),
    )
    async with WBEmulator(shop, config=EmulatorConfig(limit_scale=SCALE)) as emulator:
        yield emulator


async def _instances(
    db_url: str, wb: WBEmulator, redis_url: str, n: int
) -> tuple[list[SequenceService], list[object]]:
    redis = Redis.from_url(redis_url)
    prefix = f"test:seq:{uuid.uuid4().hex}"
    services: list[SequenceService] = []
    closers: list[object] = [redis]
    for _ in range(n):
        pool = await create_pool(db_url, min_size=1, max_size=3)
        http = httpx.AsyncClient(timeout=httpx.Timeout(10.0))
        limiter = RedisRateLimiter(redis, LimitsConfig(scale=SCALE * 0.6), prefix=prefix)
        retry = RetryPolicy(max_attempts=4, base_backoff=0.01, max_backoff=0.05, jitter=False)
        factory = WBClientFactory(WBUrls.from_mapping(wb.urls), http, limiter, retry)
        services.append(SequenceService(pool, factory))
        closers += [pool, http]
    return services, closers


async def _close(closers: list[object]) -> None:
    for c in closers:
        if isinstance(c, (httpx.AsyncClient, Redis)):
            await c.aclose()
        else:
            await c.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("faulty", [False, True], ids=["clean", "faulty"])
async def test_fourteen_days_three_instances(
    pool: asyncpg.Pool, db_url: str, wb: WBEmulator, redis_url: str, faulty: bool
) -> None:
    """Clean: every chat gets exactly the modelled messages. Faulty: 15% of chat calls fail
    (500 not taken, or 504 outcome unknown, alternating by hour; the events reads too), so
    steps slip within their day and a seller message may push one to the next day: each chat
    gets a prefix of its messages in order, still never twice, never outside the rules."""
    rng = random.Random(14)
    day0 = msk(datetime(2026, 12, 1, tzinfo=UTC), 0, 0)
    clock = Clock(msk(day0, 0, 9))
    wb.config.now = clock
    owner = await make_user(pool)
    store_id = await make_store(pool, owner, wb.token())
    await pool.execute("UPDATE stores SET is_auto_no_reply_enabled = TRUE WHERE id = $1", store_id)
    await settings_repo.ensure_user_settings(pool, owner)
    await settings_repo.update_user_settings(
        pool,
        owner,
        no_reply_messages=SET1,
        no_reply_stop_message=STOP1,
        no_reply_trigger_phrase=TRIGGER,
        no_reply_messages2=SET2,
    )
    chat_ids = await load_chats(pool, wb, store_id)
    assert len(chat_ids) == CHATS
    await pool.execute("UPDATE chats SET status = 'in_progress' WHERE store_id = $1", store_id)

    # The plan of each chat: how it starts, when the seller writes, when it stops.
    plans: dict[str, Plan] = {}
    timeline: list[tuple[datetime, str, str]] = []  # (at, kind, chat)
    for i, chat_id in enumerate(chat_ids):
        set_no = MessageSet.FIRST if i % 3 else MessageSet.SECOND
        auto = i % 4 == 0
        start = msk(day0, 0, 11, 20) if auto else msk(day0, 0, 12, 0)
        p = Plan(chat_id, set_no, auto, start)
        for day in range(1, DAYS + 1):
            if rng.random() < 0.12:
                p.seller_at.append(msk(day0, day, rng.randrange(0, 24), rng.randrange(1, 60)))
        r = rng.random()
        if r < 0.25:
            p.stop_at = msk(
                day0, rng.randrange(1, DAYS), rng.randrange(0, 24), rng.randrange(1, 60)
            )
            p.stop_kind = "client_replied"
        elif r < 0.35:
            p.stop_at = msk(
                day0, rng.randrange(1, DAYS), rng.randrange(0, 24), rng.randrange(1, 60)
            )
            p.stop_kind = "manual"
        plans[chat_id] = p
        if auto:
            timeline.append((start, "trigger", chat_id))
        else:
            timeline.append((start, "start", chat_id))
        timeline += [(s, "seller", chat_id) for s in p.seller_at]
        if p.stop_at is not None:
            assert p.stop_kind is not None
            timeline.append((p.stop_at, p.stop_kind, chat_id))
    timeline.sort()

    services, closers = await _instances(db_url, wb, redis_url, 3)
    driver = services[0]
    sends_before = len(wb.stats.messages_sent)
    per_instance = [0, 0, 0]
    errors = 0
    try:
        tick = msk(day0, 0, 10)
        end = msk(day0, DAYS, 23)
        pos = 0
        while tick <= end:
            while pos < len(timeline) and timeline[pos][0] <= tick:
                at, kind, chat_id = timeline[pos]
                pos += 1
                clock.now = at
                if kind == "start":
                    await driver.start(chat_id, now=at, set_no=plans[chat_id].set_no)
                elif kind == "trigger":
                    # A seller message with the trigger phrase (set 1's, or set 2's below).
                    ev = wb.state.seller_message(
                        chat_id,
                        f"Мы {TRIGGER}, если что",
                        at_ms=int(at.timestamp() * 1000),
                        source="seller-portal",
                    )
                    if plans[chat_id].set_no is MessageSet.SECOND:
                        await settings_repo.update_user_settings(
                            pool,
                            owner,
                            no_reply_trigger_phrase=None,
                            no_reply_trigger_phrase2=TRIGGER,
                        )
                    await deliver(pool, store_id, ev)
                    await settings_repo.update_user_settings(
                        pool, owner, no_reply_trigger_phrase=TRIGGER, no_reply_trigger_phrase2=None
                    )
                elif kind == "seller":
                    ev = wb.state.seller_message(
                        chat_id,
                        "Ответ продавца из портала",
                        at_ms=int(at.timestamp() * 1000),
                        source="seller-portal",
                    )
                    await deliver(pool, store_id, ev)
                elif kind == "client_replied":
                    ev = wb.state.client_message(
                        chat_id, "Спасибо, всё хорошо", at_ms=int(at.timestamp() * 1000)
                    )
                    await deliver(pool, store_id, ev)
                else:  # manual move out of awaiting_reply, as the chats service does it
                    async with pool.acquire() as conn, conn.transaction():
                        await conn.execute(
                            "UPDATE chats SET status = 'in_progress' WHERE id = $1", chat_id
                        )
                        await SequenceService.on_chat_moved(conn, chat_id)
            clock.now = tick
            if faulty:
                wb.faults.error_rate = 0.15
                wb.faults.path_prefix = "/chat"
                wb.faults.error_status = 504 if tick.hour % 2 else 500
            reports = await asyncio.gather(*(s.run_due(now=tick) for s in services))
            wb.faults.clear()
            for k, rep in enumerate(reports):
                assert faulty or not rep.errors, rep.errors
                per_instance[k] += rep.sent + rep.resolved_sent
                errors += len(rep.errors)
            tick += timedelta(hours=1)
    finally:
        await _close(closers)

    # What WB received from the sender (the driver's own seller messages are "seller-portal").
    sent: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for ev in wb.state.events:
        if (
            ev.sender == "seller"
            and ev.source == "seller-public-api"
            and ev.ts_ms >= day0.timestamp() * 1000
        ):
            sent[ev.chat_id].append((datetime.fromtimestamp(ev.ts_ms / 1000, UTC), ev.text or ""))
    total = sum(len(v) for v in sent.values())
    assert total == len(wb.stats.messages_sent) - sends_before
    duplicates = out_of_window = seller_days = after_stop = 0
    expected_total = 0
    rows = {
        r["id"]: r
        for r in await pool.fetch(
            "SELECT id, status, sent_no_reply_messages::text AS s1, "
            "sent_no_reply_messages2::text AS s2 FROM chats WHERE store_id = $1",
            store_id,
        )
    }
    for chat_id, p in plans.items():
        got = sent.get(chat_id, [])
        texts = [t for _, t in got]
        duplicates += len(texts) - len(set(texts))
        for at, _ in got:
            local = at.astimezone(MSK)
            if not time(10) <= local.time() < time(17):
                out_of_window += 1
            if any(s <= at and s.astimezone(MSK).date() == local.date() for s in p.seller_at):
                seller_days += 1
            if p.stop_at is not None and at >= p.stop_at:
                after_stop += 1
        want = p.expected(day0)
        expected_total += len(want)
        days = [(at.astimezone(MSK).date() - day0.astimezone(MSK).date()).days for at, _ in got]
        if faulty:
            whole = [*SET1, STOP1] if p.set_no is MessageSet.FIRST else SET2
            assert texts == whole[: len(texts)], chat_id  # in order, none skipped
            assert len(set(days)) == len(days), chat_id  # one a day at most
            assert len(texts) <= len(want), chat_id  # a slip only delays
        else:
            assert days == [d for d, _ in want], chat_id
            assert texts == [t for _, t in want], chat_id
        column = rows[chat_id]["s1"] if p.set_no is MessageSet.FIRST else rows[chat_id]["s2"]
        assert json.loads(column) == texts, chat_id
    statuses: dict[str, int] = defaultdict(int)
    for seq in await pool.fetch(
        "SELECT status, stop_reason FROM chat_auto_sequences WHERE store_id = $1", store_id
    ):
        statuses[f"{seq['status']}/{seq['stop_reason']}"] += 1
    print(
        f"\nsequences simulation ({'faulty' if faulty else 'clean'}): chats {CHATS}, days {DAYS}, instances 3, steps sent {total} "
        f"(expected {expected_total}), duplicates {duplicates}, out-of-window {out_of_window}, "
        f"on a seller day {seller_days}, after a stop {after_stop}, outcomes {dict(statuses)}, "
        f"sent per instance {per_instance}, WB errors met {errors}, "
        f"WB 429s {wb.stats.throttled['chat']}"
    )
    # The shared limiter keeps three instances inside WB's one budget (at 60% of it here). It
    # measures departure and the emulator arrival, a few ms apart at this scale, so a loaded
    # machine's event-loop lag may still bunch an arrival into a 429 (retried; the counts above
    # hold). With a budget per instance instead, WB refused 18-22 in the same run; a full suite
    # on a slower machine (2026-12-03, both xdist workers busy) bunched 4.
    assert wb.stats.throttled["chat"] <= 6
    if faulty:
        assert errors > 0 and total >= expected_total * 0.9
    else:
        assert total == expected_total
    assert duplicates == out_of_window == seller_days == after_stop == 0
    assert sum(statuses.values()) == CHATS
    assert sum(per_instance) == total and min(per_instance) > 0  # all three took work
    assert statuses["stopped/client_replied"] + statuses["stopped/manual"] > 0
    assert statuses["completed/stop_message"] > 0 and statuses["completed/max_reached"] > 0
