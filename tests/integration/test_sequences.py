"""Follow-up sends against the WB emulator under a controlled clock: a process killed between
the WB call and the record, transient errors, WB's permanent refusal, auto-start."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from db.repos import sequences as sequences_repo
from db.repos import user_settings as settings_repo
from db.repos import users as users_repo
from services.notifier import Delivery, Notice, Recipient
from services.sequences import MessageSet, SequenceService, SequenceStartError, StartError
from services.wb.client import RetryPolicy, WBUrls
from services.wb.factory import WBClientFactory
from services.wb.limits import LimitsConfig, MemoryRateLimiter
from tests.fakes.wb import EmulatorConfig, WBEmulator, generate_shop
from tests.support.processes import start_child
from tests.support.sequences import Clock, NoticeRecorder, deliver, load_chats, msk
from tests.support.stores import make_product, make_review, make_store, make_user

SCALE = 200.0
DAY0 = msk(datetime(2026, 12, 1, tzinfo=UTC), 0, 0)
SET1 = ["Первое сообщение", "Второе сообщение"]
STOP1 = "Последнее сообщение"


@pytest.fixture
async def clock() -> Clock:
    return Clock(msk(DAY0, 0, 12))


@pytest.fixture
async def wb(clock: Clock) -> AsyncIterator[WBEmulator]:
    shop = generate_shop(5, reviews=3, products=2, questions=0, chats=3, now=DAY0 - timedelta(30))
    async with WBEmulator(shop, config=EmulatorConfig(limit_scale=SCALE, now=clock)) as emulator:
        yield emulator


@pytest.fixture
async def factory(wb: WBEmulator) -> AsyncIterator[WBClientFactory]:
    http = httpx.AsyncClient(timeout=httpx.Timeout(5.0))
    retry = RetryPolicy(max_attempts=2, base_backoff=0.01, max_backoff=0.05, jitter=False)
    limiter = MemoryRateLimiter(LimitsConfig(scale=SCALE * 0.8))
    yield WBClientFactory(WBUrls.from_mapping(wb.urls), http, limiter, retry)
    await http.aclose()


@pytest.fixture
async def setup(pool: asyncpg.Pool, wb: WBEmulator) -> tuple[str, str, list[str]]:
    owner = await make_user(pool)
    store_id = await make_store(pool, owner, wb.token())
    await users_repo.link_telegram(pool, 7001, owner)
    await settings_repo.update_user_settings(
        pool, owner, no_reply_messages=SET1, no_reply_stop_message=STOP1
    )
    return owner, store_id, await load_chats(pool, wb, store_id)


def sent_texts(wb: WBEmulator, chat_id: str) -> list[str]:
    return [t for _sid, c, t in wb.stats.messages_sent if c == chat_id]


async def seq(pool: asyncpg.Pool, chat_id: str) -> asyncpg.Record:
    row = await pool.fetchrow(
        "SELECT * FROM chat_auto_sequences WHERE chat_id = $1 ORDER BY created_at DESC LIMIT 1",
        chat_id,
    )
    assert row is not None
    return row


async def test_killed_between_call_and_record_does_not_send_again(
    pool: asyncpg.Pool,
    db_url: str,
    wb: WBEmulator,
    factory: WBClientFactory,
    setup: tuple[str, str, list[str]],
    clock: Clock,
) -> None:
    _owner, _store, chats = setup
    service = SequenceService(pool, factory)
    await service.start(chats[0], now=clock.now, set_no=MessageSet.FIRST)
    day1 = msk(DAY0, 1, 10)
    clock.now = day1
    child = await start_child(
        "sequence_child",
        db_url,
        json.dumps(wb.urls),
        day1.isoformat(),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 60)
        assert line.strip() == b"SENT"
    finally:
        child.kill()  # SIGKILL between WB's answer and the record
        await child.wait()
    assert sent_texts(wb, chats[0]) == [SET1[0]]
    row = await seq(pool, chats[0])
    assert row["attempt_id"] is not None and row["current_step"] == 0  # no result recorded

    # Within the lease the attempt is taken as in flight elsewhere: nothing happens.
    clock.now = day1 + timedelta(minutes=1)
    report = await service.run_due(now=clock.now)
    assert report.claimed == 0 and sent_texts(wb, chats[0]) == [SET1[0]]
    # After it, the events stream shows WB took it: recorded as sent, not sent again.
    clock.now = day1 + timedelta(minutes=5)
    report = await service.run_due(now=clock.now)
    assert report.resolved_sent == 1 and report.sent == 0
    row = await seq(pool, chats[0])
    assert row["current_step"] == 1 and row["attempt_id"] is None
    chat = await pool.fetchval(
        "SELECT sent_no_reply_messages::text FROM chats WHERE id = $1", chats[0]
    )
    assert json.loads(chat) == [SET1[0]]
    clock.now = day1 + timedelta(hours=3)
    await service.run_due(now=clock.now)  # the same day: waits
    assert sent_texts(wb, chats[0]) == [SET1[0]]
    for day in (2, 3, 4):
        clock.now = msk(DAY0, day, 10)
        await service.run_due(now=clock.now)
    assert sent_texts(wb, chats[0]) == [*SET1, STOP1]
    row = await seq(pool, chats[0])
    assert (row["status"], row["stop_reason"]) == ("completed", "stop_message")


async def test_transient_error_retries_the_same_step_once(
    pool: asyncpg.Pool,
    wb: WBEmulator,
    factory: WBClientFactory,
    setup: tuple[str, str, list[str]],
    clock: Clock,
) -> None:
    _owner, _store, chats = setup
    service = SequenceService(pool, factory)
    await service.start(chats[1], now=clock.now, set_no=MessageSet.FIRST)
    wb.faults.error_rate = 1.0
    wb.faults.path_prefix = "/chat"
    wb.faults.error_status = 500  # WB answered with an error: not accepted, retried later
    clock.now = msk(DAY0, 1, 10)
    report = await service.run_due(now=clock.now)
    assert report.retried == 1 and sent_texts(wb, chats[1]) == []
    row = await seq(pool, chats[1])
    assert row["attempt_id"] is None and row["current_step"] == 0
    assert row["next_send_at"] == clock.now + timedelta(minutes=10)
    wb.faults.error_status = 504  # a gateway timeout: WB may have taken it
    clock.now += timedelta(minutes=10)
    report = await service.run_due(now=clock.now)
    assert report.retried == 1 and sent_texts(wb, chats[1]) == []
    row = await seq(pool, chats[1])
    assert row["attempt_id"] is not None  # the outcome is unknown: kept for resolution
    clock.now += timedelta(minutes=30)
    report = await service.run_due(now=clock.now)  # events fail too: still unresolved
    assert report.errors and sent_texts(wb, chats[1]) == []
    wb.faults.clear()
    clock.now += timedelta(minutes=30)
    report = await service.run_due(now=clock.now)
    # Not in the events: WB did not take it, so the same step goes now, once.
    assert report.resolved_not_sent == 1 and report.sent == 1
    assert sent_texts(wb, chats[1]) == [SET1[0]]
    clock.now += timedelta(hours=1)
    await service.run_due(now=clock.now)
    assert sent_texts(wb, chats[1]) == [SET1[0]]
    assert (await seq(pool, chats[1]))["current_step"] == 1


async def test_invalid_signature_stops_and_tells_the_owner_once(
    pool: asyncpg.Pool,
    factory: WBClientFactory,
    setup: tuple[str, str, list[str]],
    clock: Clock,
) -> None:
    owner, _store, chats = setup
    notifier = NoticeRecorder()
    service = SequenceService(pool, factory, notifier)
    await service.start(chats[2], now=clock.now, set_no=MessageSet.FIRST)
    await pool.execute("UPDATE chats SET reply_sign = 'not-a-sign' WHERE id = $1", chats[2])
    clock.now = msk(DAY0, 1, 10)
    report = await service.run_due(now=clock.now)
    assert report.refused == 1
    row = await seq(pool, chats[2])
    assert (row["status"], row["stop_reason"]) == ("stopped", "wb_refused")
    assert "Invalid signature" in row["stop_detail"]
    for _ in range(2):
        clock.now += timedelta(days=1)
        await service.run_due(now=clock.now)
    assert [(u, n.key) for u, n in notifier.notices] == [(owner, "sequence_refused")]


async def test_trigger_phrase_starts_and_buyer_reply_stops(
    pool: asyncpg.Pool,
    wb: WBEmulator,
    factory: WBClientFactory,
    setup: tuple[str, str, list[str]],
    clock: Clock,
) -> None:
    owner, store_id, chats = setup
    service = SequenceService(pool, factory)
    await settings_repo.update_user_settings(pool, owner, no_reply_trigger_phrase="Напомним")
    at = int(clock.now.timestamp() * 1000)
    ev = wb.state.seller_message(chats[0], "мы напомним о себе", at_ms=at, source="seller-portal")
    await deliver(pool, store_id, ev)
    assert await pool.fetchval("SELECT count(*) FROM chat_auto_sequences") == 0  # toggle off
    await pool.execute("UPDATE stores SET is_auto_no_reply_enabled = TRUE WHERE id = $1", store_id)
    old = wb.state.seller_message(chats[0], "Напомним!", at_ms=at, source="portal")
    await deliver(pool, store_id, old, backfill=True)  # the first sync: history only
    assert await pool.fetchval("SELECT count(*) FROM chat_auto_sequences") == 0
    ev = wb.state.seller_message(chats[0], "Мы напомним о себе", at_ms=at + 1, source="portal")
    await deliver(pool, store_id, ev)
    row = await seq(pool, chats[0])
    assert row["status"] == "active"
    status = await pool.fetchval("SELECT status FROM chats WHERE id = $1", chats[0])
    assert status == "awaiting_reply"
    clock.now = msk(DAY0, 1, 10)
    await service.run_due(now=clock.now)
    assert sent_texts(wb, chats[0]) == [SET1[0]]
    # The sequence's own message, synced back, starts nothing; the buyer's reply stops it.
    for e in wb.state.events[-1:]:
        await deliver(pool, store_id, e)
    reply = wb.state.client_message(chats[0], "Спасибо", at_ms=int(clock.now.timestamp() * 1000))
    await deliver(pool, store_id, reply)
    row = await seq(pool, chats[0])
    assert (row["status"], row["stop_reason"]) == ("stopped", "client_replied")
    clock.now = msk(DAY0, 2, 10)
    await service.run_due(now=clock.now)
    assert sent_texts(wb, chats[0]) == [SET1[0]]


class _Crash(Exception):
    pass


def _crash() -> None:
    raise _Crash("died after WB took the message")


async def test_lost_result_of_a_stopped_sequence_is_still_recorded(
    pool: asyncpg.Pool,
    wb: WBEmulator,
    factory: WBClientFactory,
    setup: tuple[str, str, list[str]],
    clock: Clock,
) -> None:
    _owner, store_id, chats = setup
    await SequenceService(pool, factory).start(chats[1], now=clock.now, set_no=MessageSet.FIRST)
    clock.now = msk(DAY0, 1, 10)
    with pytest.raises(_Crash):
        await SequenceService(pool, factory, crash_after_send=_crash).run_due(now=clock.now)
    reply = wb.state.client_message(chats[1], "Не пишите", at_ms=int(clock.now.timestamp() * 1000))
    await deliver(pool, store_id, reply)
    service = SequenceService(pool, factory)
    clock.now += timedelta(minutes=5)
    report = await service.run_due(now=clock.now)
    assert report.resolved_sent == 1 and sent_texts(wb, chats[1]) == [SET1[0]]
    row = await seq(pool, chats[1])
    assert (row["status"], row["stop_reason"], row["attempt_id"]) == (
        "stopped",
        "client_replied",
        None,
    )
    sent = await pool.fetchval(
        "SELECT sent_no_reply_messages::text FROM chats WHERE id = $1", chats[1]
    )
    assert json.loads(sent) == [SET1[0]]
    clock.now = msk(DAY0, 2, 10)
    assert (await service.run_due(now=clock.now)).claimed == 0
    assert sent_texts(wb, chats[1]) == [SET1[0]]


async def test_a_stopping_instance_gives_back_the_refusal_notices_it_did_not_send(
    pool: asyncpg.Pool,
    factory: WBClientFactory,
    setup: tuple[str, str, list[str]],
    clock: Clock,
) -> None:
    """SIGTERM after the first notice: the others are given back and another instance's next
    run tells them at once (not after the 10-minute stale claim); each is told once."""
    _owner, _store, chats = setup
    stopping = asyncio.Event()

    class Leaving(NoticeRecorder):
        async def notice(self, to: Recipient, notice: Notice) -> Delivery:
            outcome = await super().notice(to, notice)
            stopping.set()
            return outcome

    leaving = Leaving()
    service = SequenceService(pool, factory, leaving, stopping=stopping)
    for chat in chats:
        await service.start(chat, now=clock.now, set_no=MessageSet.FIRST)
        await pool.execute("UPDATE chats SET reply_sign = 'not-a-sign' WHERE id = $1", chat)
    clock.now = msk(DAY0, 1, 10)
    assert (await service.run_due(now=clock.now)).refused == len(chats)
    assert len(leaving.notices) == 1
    staying = NoticeRecorder()
    await SequenceService(pool, factory, staying).run_due(now=clock.now + timedelta(minutes=1))
    told = [n.args["client"] for _, n in leaving.notices + staying.notices]
    assert len(told) == len(chats) and len(set(told)) == len(chats)
    assert await pool.fetchval(
        "SELECT count(*) FROM chat_auto_sequences WHERE owner_told_at IS NOT NULL"
    ) == len(chats)


async def _linked_review(pool: asyncpg.Pool, store_id: str, chat_id: str, **fields: object) -> str:
    """A 2-star review the chat links to (same product, author = the chat's buyer)."""
    chat = await pool.fetchrow(
        "SELECT client_name, product_nm_id, last_message_date, created_at FROM chats WHERE id = $1",
        chat_id,
    )
    assert chat is not None and chat["client_name"] and chat["product_nm_id"]
    product = await pool.fetchval(
        "SELECT id FROM products WHERE store_id = $1 AND wb_product_id = $2",
        store_id,
        chat["product_nm_id"],
    ) or await make_product(pool, store_id, nm_id=chat["product_nm_id"])
    at = (chat["last_message_date"] or chat["created_at"]) - timedelta(days=1)
    review = await make_review(pool, product, rating=2, date=at, **fields)
    await pool.execute("UPDATE reviews SET author = $2 WHERE id = $1", review, chat["client_name"])
    return review


@pytest.mark.parametrize(
    "resolved",
    [
        {"review_status_wb": "excluded"},
        {"review_status_wb": "unpublished"},
        {"complaint_status": "approved"},
        {"vanished_at": DAY0},
    ],
    ids=["excluded", "unpublished", "approved", "vanished"],
)
async def test_a_resolved_review_stops_its_follow_ups_before_a_send(
    pool: asyncpg.Pool,
    wb: WBEmulator,
    factory: WBClientFactory,
    setup: tuple[str, str, list[str]],
    clock: Clock,
    resolved: dict[str, object],
) -> None:
    """ "Resolved" is read when a step is due, whoever wrote it (an extension's status, an
    import, a direct update) and whether or not it called `on_reviews_resolved`: the step is
    not sent and the sequence stops with `review_resolved`; an unresolved chat's goes on."""
    _owner, store, chats = setup
    service = SequenceService(pool, factory)
    for chat in chats[:2]:
        await service.start(chat, now=clock.now, set_no=MessageSet.FIRST)
    gone = await _linked_review(pool, store, chats[0])
    await _linked_review(pool, store, chats[1])
    sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(resolved))
    await pool.execute(f"UPDATE reviews SET {sets} WHERE id = $1", gone, *resolved.values())
    clock.now = msk(DAY0, 1, 10)
    await service.run_due(now=clock.now)
    assert sent_texts(wb, chats[0]) == []
    row = await seq(pool, chats[0])
    assert (row["status"], row["stop_reason"]) == ("stopped", "review_resolved")
    assert sent_texts(wb, chats[1]) == [SET1[0]]


@pytest.mark.parametrize(
    ("review", "code"),
    [
        ({"rating": 5}, StartError.FIVE_STARS),
        ({"review_status_wb": "excluded"}, StartError.RESOLVED),
    ],
    ids=["five_stars", "resolved"],
)
async def test_no_follow_ups_on_a_five_star_or_resolved_review(
    pool: asyncpg.Pool,
    setup: tuple[str, str, list[str]],
    clock: Clock,
    review: dict[str, object],
    code: StartError,
) -> None:
    """5 star reviews are never worked and a resolved review's chat work is over: neither a
    start by hand nor the trigger phrase starts follow-ups in such a chat."""
    owner, store, chats = setup
    linked = await _linked_review(pool, store, chats[0])
    sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(review))
    await pool.execute(f"UPDATE reviews SET {sets} WHERE id = $1", linked, *review.values())
    service = SequenceService(pool, None)  # type: ignore[arg-type]
    with pytest.raises(SequenceStartError) as err:
        await service.start(chats[0], now=clock.now, set_no=MessageSet.FIRST)
    assert err.value.code is code
    await settings_repo.update_user_settings(pool, owner, no_reply_trigger_phrase="напомню завтра")
    await pool.execute("UPDATE stores SET is_auto_no_reply_enabled = TRUE WHERE id = $1", store)
    async with pool.acquire() as conn:
        started = await sequences_repo.start_on_trigger(
            conn, store, [(chats[0], "Хорошо, напомню завтра", clock.now)]
        )
    assert started == []
