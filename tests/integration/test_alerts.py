"""Alerts on new reviews: one per review and person, quiet-hours digests, retries, blocks.

The jobs run against the WB emulator, the LLM stub and a real database, under a controlled
clock (`now` is a parameter); the notifier is a recorder, so no Telegram is involved.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from db.repos import stores as stores_repo
from db.repos import users as users_repo
from services.ai.pricing import Pricing
from services.alerts import AlertConfig, AlertService
from services.complaints import ComplaintService
from services.jobs import JobConfig, Jobs
from services.msk import MSK
from services.notifier import Delivery, Notice, Recipient, ReviewCard
from services.reminders import ReminderService
from services.sync.base import SyncOptions
from services.sync.service import Clock, SyncService
from tests.fakes.wb.generator import generate_shop
from tests.support.store_env import StoreEnv, store_env
from tests.support.stores import make_user, work_every_product
from tests.support.wb import PATIENT_RETRY

OPTIONS = SyncOptions(feedbacks_take=200, questions_take=100)


@dataclass
class RecordingNotifier:
    """Keeps what would have been sent; `blocked` people answer 'blocked', `failing` 'failed'."""

    alerts: list[tuple[str, str]] = field(default_factory=list)  # (user_id, review_id)
    cards: list[ReviewCard] = field(default_factory=list)
    digests: list[tuple[str, list[str]]] = field(default_factory=list)
    notices: list[tuple[str, Notice]] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)
    failing: set[str] = field(default_factory=set)
    tried: list[str] = field(default_factory=list)  # user id of every alert tried

    def _outcome(self, to: Recipient) -> Delivery | None:
        if to.user_id in self.blocked:
            return "blocked"
        if to.user_id in self.failing:
            return "failed"
        return None

    async def review_alert(self, to: Recipient, card: ReviewCard) -> Delivery:
        self.tried.append(to.user_id)
        if (bad := self._outcome(to)) is not None:
            return bad
        self.alerts.append((to.user_id, card.review_id))
        self.cards.append(card)
        return "sent"

    async def review_digest(self, to: Recipient, cards: list[ReviewCard]) -> Delivery:
        if (bad := self._outcome(to)) is not None:
            return bad
        self.digests.append((to.user_id, [c.review_id for c in cards]))
        return "sent"

    async def notice(self, to: Recipient, notice: Notice) -> Delivery:
        if (bad := self._outcome(to)) is not None:
            return bad
        self.notices.append((to.user_id, notice))
        return "sent"


@dataclass
class World(StoreEnv):
    notifier: RecordingNotifier = field(default_factory=RecordingNotifier)

    def jobs(
        self,
        pool: asyncpg.Pool | None = None,
        notifier: RecordingNotifier | None = None,
        config: JobConfig | None = None,
        *,
        clock: Clock | None = None,
        alert_config: AlertConfig | None = None,
    ) -> Jobs:
        pool = pool or self.pool
        notifier = notifier or self.notifier
        clock = clock or (lambda: datetime.now(UTC))
        return Jobs(
            pool,
            SyncService(pool, self.factory, OPTIONS),
            ComplaintService(pool, self.ai),
            AlertService(pool, notifier, alert_config or AlertConfig()),
            ReminderService(pool, notifier),
            config or JobConfig(),
            clock=clock,
        )


async def person(
    pool: asyncpg.Pool, telegram_id: int, *, threshold: int | None = None, **prefs: object
) -> str:
    user = await make_user(pool)
    await users_repo.link_telegram(pool, telegram_id, user)
    if threshold is not None or prefs:
        values = {"alert_threshold": threshold or 3, **prefs}
        cols = ", ".join(values)
        marks = ", ".join(f"${i + 2}" for i in range(len(values)))
        await pool.execute(
            f"INSERT INTO user_preferences (user_id, {cols}) VALUES ($1, {marks})",
            user,
            *values.values(),
        )
    return user


async def add_manager(pool: asyncpg.Pool, store: str, user: str, *, alerts: bool = True) -> None:
    await pool.execute(
        "INSERT INTO store_members (store_id, user_id, alerts_enabled) VALUES ($1, $2, $3)",
        store,
        user,
        alerts,
    )


@pytest.fixture
async def world(pool: asyncpg.Pool) -> AsyncIterator[World]:
    shop = generate_shop(5, reviews=60, products=5, questions=5, chats=2)
    owner = await person(pool, 9001)
    pricing = Pricing.of("0.27", "1.10")
    async with store_env(
        pool, shop, retry=PATIENT_RETRY, owner=owner, ai_timeout=3.0, ai_attempts=2, pricing=pricing
    ) as w:
        yield World.extend(w)


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def land(w: World, now: datetime, valuation: int, text: str = "Брак, не рекомендую") -> str:
    created = int((now - timedelta(minutes=5)).timestamp())
    return w.wb.state.land_feedback(text, valuation=valuation, created=created).id


async def test_new_reviews_alert_each_recipient_exactly_once(world: World) -> None:
    w = world
    jobs = w.jobs()
    manager = await person(w.pool, 9002)
    quiet_manager = await person(w.pool, 9003)
    strict = await person(w.pool, 9004, threshold=1)
    await add_manager(w.pool, w.store, manager)
    await add_manager(w.pool, w.store, quiet_manager, alerts=False)
    await add_manager(w.pool, w.store, strict)
    outsider = await person(w.pool, 9005)

    now = now_utc()
    first = await jobs.sync_store(w.store, "reviews", now=now)
    assert first.backfill and w.notifier.alerts == [], "the first sync only backfills"

    one_star = land(w, now, 1)
    two_star = land(w, now, 2)
    five_star = land(w, now, 5, "Отлично")
    later = now + timedelta(minutes=5)
    result = await jobs.sync_store(w.store, "reviews", now=later)
    assert {r.id for r in result.new_reviews} == {one_star, two_star, five_star}

    got = Counter(w.notifier.alerts)
    assert got == Counter(
        {
            (w.owner, one_star): 1,
            (w.owner, two_star): 1,
            (manager, one_star): 1,
            (manager, two_star): 1,
            (strict, one_star): 1,  # threshold 1: only 1 star
        }
    )
    assert not any(u in (quiet_manager, outsider) for u, _ in w.notifier.alerts)

    # Again, and after a "restart" (a fresh Jobs): nothing more goes out.
    await jobs.sync_store(w.store, "reviews", now=later + timedelta(minutes=5))
    await w.jobs().deliver_alerts(now=later + timedelta(minutes=30))
    assert Counter(w.notifier.alerts) == got
    rows = await w.pool.fetch("SELECT status FROM review_alerts")
    assert [r["status"] for r in rows] == ["sent"] * 5


async def test_queue_survives_a_crash_between_sync_and_alert(world: World) -> None:
    w = world
    jobs = w.jobs()
    now = now_utc()
    await jobs.sync_store(w.store, "reviews", now=now)
    review = land(w, now, 1)
    # The sync ran and queued, then the process died before alerting.
    await jobs.sync.sync(w.store, "reviews", now=now + timedelta(minutes=1))
    assert w.notifier.alerts == []
    # Another instance's sweep drafts and alerts it.
    other = w.jobs()
    await other.auto_draft_all(now=now + timedelta(minutes=2))
    await other.deliver_alerts(now=now + timedelta(minutes=2))
    assert w.notifier.alerts == [(w.owner, review)]


async def test_quiet_hours_hold_alerts_and_deliver_one_digest(world: World) -> None:
    w = world
    now = now_utc()
    hour = now.astimezone(MSK).hour
    # Two hours, so that `now` and a minute later are both inside whatever the clock says.
    sleepy = await person(w.pool, 9010, quiet_start=hour, quiet_end=(hour + 2) % 24)
    await add_manager(w.pool, w.store, sleepy)
    jobs = w.jobs()
    await jobs.sync_store(w.store, "reviews", now=now)
    reviews = {land(w, now, 1), land(w, now, 2), land(w, now, 3)}
    await jobs.sync_store(w.store, "reviews", now=now + timedelta(minutes=1))

    assert {r for u, r in w.notifier.alerts if u == w.owner} == reviews
    assert not [a for a in w.notifier.alerts if a[0] == sleepy]
    held = await w.pool.fetchval(
        "SELECT count(*) FROM review_alerts WHERE user_id = $1 AND status = 'held'", sleepy
    )
    assert held == 3
    # Still quiet half an hour later; the hour after the window: one digest with all three.
    in_window = now + timedelta(minutes=30)
    await jobs.deliver_alerts(now=in_window)
    assert w.notifier.digests == []
    after = now.replace(minute=0, second=0) + timedelta(hours=2, minutes=1)
    await jobs.deliver_alerts(now=after)
    await w.jobs().deliver_alerts(now=after + timedelta(minutes=1))
    assert len(w.notifier.digests) == 1
    user, listed = w.notifier.digests[0]
    assert user == sleepy and set(listed) == reviews
    assert not [a for a in w.notifier.alerts if a[0] == sleepy], "no single alerts as well"


async def test_failed_send_is_retried_after_ten_minutes_and_block_is_final(
    world: World,
) -> None:
    w = world
    jobs = w.jobs()
    blocker = await person(w.pool, 9020)
    await add_manager(w.pool, w.store, blocker)
    now = now_utc()
    await jobs.sync_store(w.store, "reviews", now=now)
    review = land(w, now, 1)
    w.notifier.failing.add(w.owner)
    w.notifier.blocked.add(blocker)
    await jobs.sync_store(w.store, "reviews", now=now + timedelta(minutes=1))
    assert w.notifier.alerts == []
    status = {
        r["user_id"]: r["status"]
        for r in await w.pool.fetch("SELECT user_id, status FROM review_alerts")
    }
    assert status == {w.owner: "claimed", blocker: "failed"}

    w.notifier.failing.clear()
    await jobs.deliver_alerts(now=now + timedelta(minutes=5))
    assert w.notifier.alerts == [], "a claim is retried only after 10 minutes"
    await jobs.deliver_alerts(now=now + timedelta(minutes=12))
    await jobs.deliver_alerts(now=now + timedelta(minutes=13))
    assert w.notifier.alerts == [(w.owner, review)]


async def test_alert_of_auto_drafted_review_carries_the_draft(world: World) -> None:
    w = world
    jobs = w.jobs()
    now = now_utc()
    await jobs.sync_store(w.store, "reviews", now=now)
    await w.pool.execute("UPDATE products SET work_status = 'active' WHERE store_id = $1", w.store)
    await work_every_product(w.pool, w.store)
    review = land(w, now, 1)
    await jobs.sync_store(w.store, "reviews", now=now + timedelta(minutes=1))
    (card,) = w.notifier.cards
    assert card.review_id == review and card.has_draft and card.complaint_text


async def test_quiet_hours_window_may_wrap_midnight(pool: asyncpg.Pool) -> None:
    async def quiet(start: int | None, end: int | None, hour: int) -> bool:
        return bool(await pool.fetchval("SELECT in_quiet_hours($1, $2, $3)", start, end, hour))

    assert [await quiet(22, 8, h) for h in (21, 22, 23, 0, 7, 8)] == [
        False,
        True,
        True,
        True,
        True,
        False,
    ]
    assert [await quiet(13, 15, h) for h in (12, 13, 14, 15)] == [False, True, True, False]
    assert not await quiet(None, None, 3) and not await quiet(5, 5, 5)


async def _statuses(w: World) -> dict[str, tuple[str, str | None]]:
    return {
        r["user_id"]: (r["status"], r["error"])
        for r in await w.pool.fetch("SELECT user_id, status, error FROM review_alerts")
    }


async def test_sync_now_queues_new_reviews_and_the_alert_job_sends_them(world: World) -> None:
    """The "sync now" button and the CLI call SyncService directly; the sync queues."""
    w = world
    now = now_utc()
    service = SyncService(w.pool, w.factory, OPTIONS)
    await service.sync_all(w.store, kinds=("products", "reviews"), now=now)
    review = land(w, now, 1)
    results = await service.sync_all(w.store, kinds=("reviews",), now=now + timedelta(minutes=1))
    assert [r.id for r in results[0].new_reviews] == [review]
    assert await w.pool.fetchval("SELECT count(*) FROM new_reviews") == 1
    jobs = w.jobs()
    await jobs.auto_draft_all(now=now + timedelta(minutes=2))
    await jobs.deliver_alerts(now=now + timedelta(minutes=2))
    assert w.notifier.alerts == [(w.owner, review)]


async def test_reviews_stored_before_a_failure_are_still_queued_and_alerted(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world
    jobs = w.jobs()
    now = now_utc()
    await jobs.sync_store(w.store, "reviews", now=now)
    review = land(w, now, 1)

    async def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    # The pages are written, then the run fails (a bug or the database).
    monkeypatch.setattr(stores_repo, "refresh_review_counts", boom)
    failed = await jobs.sync_store(w.store, "reviews", now=now + timedelta(minutes=1))
    assert failed.error == "internal error"
    monkeypatch.undo()
    assert await w.pool.fetchval("SELECT review_id FROM new_reviews") == review
    await jobs.auto_draft_all(now=now + timedelta(minutes=2))
    await jobs.deliver_alerts(now=now + timedelta(minutes=2))
    assert w.notifier.alerts == [(w.owner, review)]


async def test_people_who_lost_access_and_paused_stores_get_no_digest_or_retry(
    world: World,
) -> None:
    w = world
    now = now_utc()
    hour = now.astimezone(MSK).hour
    sleepy = await person(w.pool, 9030, quiet_start=hour, quiet_end=(hour + 2) % 24)
    flaky = await person(w.pool, 9031)
    await add_manager(w.pool, w.store, sleepy)
    await add_manager(w.pool, w.store, flaky)
    jobs = w.jobs()
    await jobs.sync_store(w.store, "reviews", now=now)
    land(w, now, 1)
    w.notifier.failing.add(flaky)
    await jobs.sync_store(w.store, "reviews", now=now + timedelta(minutes=1))
    assert await _statuses(w) == {
        w.owner: ("sent", None),
        sleepy: ("held", None),
        flaky: ("claimed", "send failed"),
    }
    # Both managers are removed while the digest is held and the retry is pending.
    await w.pool.execute("DELETE FROM store_members WHERE store_id = $1", w.store)
    w.notifier.failing.clear()
    after = now.replace(minute=0, second=0) + timedelta(hours=2, minutes=1)
    await jobs.deliver_alerts(now=after)
    assert w.notifier.digests == [] and len(w.notifier.alerts) == 1
    assert await _statuses(w) == {
        w.owner: ("sent", None),
        sleepy: ("failed", "no access"),
        flaky: ("failed", "no access"),
    }

    # The owner in quiet hours, then the store is paused: the held alerts are not sent.
    await w.pool.execute(
        "INSERT INTO user_preferences (user_id, quiet_start, quiet_end) VALUES ($1, $2, $3)",
        w.owner,
        after.astimezone(MSK).hour,
        (after.astimezone(MSK).hour + 2) % 24,
    )
    land(w, after, 2)
    await jobs.sync_store(w.store, "reviews", now=after + timedelta(minutes=1))
    held = await w.pool.fetchval("SELECT count(*) FROM review_alerts WHERE status = 'held'")
    assert held == 1
    await stores_repo.set_store_status(w.pool, w.store, "inactive")
    await jobs.deliver_alerts(now=after.replace(minute=0) + timedelta(hours=2, minutes=1))
    assert w.notifier.digests == []
    assert (
        await w.pool.fetchval(
            "SELECT error FROM review_alerts WHERE status = 'failed' AND user_id = $1", w.owner
        )
        == "store paused"
    )


async def test_queue_rows_older_than_48_hours_are_closed_after_a_pause(world: World) -> None:
    """Pause, then resume days later: the old queue is neither drafted nor alerted."""
    w = world
    jobs = w.jobs()
    now = now_utc()
    await jobs.sync_store(w.store, "reviews", now=now)
    await work_every_product(w.pool, w.store)
    land(w, now, 1)
    await jobs.sync.sync(w.store, "reviews", now=now + timedelta(minutes=1))  # queued
    await stores_repo.set_store_status(w.pool, w.store, "inactive")
    resumed = now + timedelta(days=3)
    await stores_repo.set_store_status(w.pool, w.store, "active")
    await jobs.auto_draft_all(now=resumed)
    await jobs.deliver_alerts(now=resumed)
    assert w.notifier.alerts == []
    assert await w.pool.fetchval("SELECT count(*) FROM review_complaints") == 0
    row = await w.pool.fetchrow("SELECT draft_done_at, alerts_done_at FROM new_reviews")
    assert row is not None and row["draft_done_at"] == resumed == row["alerts_done_at"]


async def test_dispatch_drains_the_queue_past_batches_that_alert_nobody(world: World) -> None:
    w = world
    jobs = w.jobs(alert_config=AlertConfig(batch=2))
    now = now_utc()
    await jobs.sync_store(w.store, "reviews", now=now)
    # Queued first (found earlier): five-star reviews, above everyone's threshold.
    land(w, now, 5, "Отлично")
    land(w, now, 5, "Отлично")
    land(w, now, 4, "Хорошо")
    await jobs.sync.sync(w.store, "reviews", now=now + timedelta(minutes=1))
    bad = land(w, now, 1)
    await jobs.sync.sync(w.store, "reviews", now=now + timedelta(minutes=2))
    assert await w.pool.fetchval("SELECT count(*) FROM new_reviews") == 4
    await jobs.deliver_alerts(now=now + timedelta(minutes=15))
    assert w.notifier.alerts == [(w.owner, bad)]
    assert (
        await w.pool.fetchval("SELECT count(*) FROM new_reviews WHERE alerts_done_at IS NULL") == 0
    )


async def test_a_person_who_blocked_the_bot_is_tried_once_per_batch(world: World) -> None:
    w = world
    jobs = w.jobs()
    now = now_utc()
    await jobs.sync_store(w.store, "reviews", now=now)
    landed = [land(w, now, 1, f"Брак {i}") for i in range(4)]
    w.notifier.blocked.add(w.owner)
    await jobs.sync_store(w.store, "reviews", now=now + timedelta(minutes=1))
    assert w.notifier.tried == [w.owner], "stopped at the first 403"
    rows = await w.pool.fetch("SELECT status, error FROM review_alerts")
    assert len(rows) == len(landed)
    assert {(r["status"], r["error"]) for r in rows} == {("failed", "blocked")}


class SlowNotifier(RecordingNotifier):
    """Telegram answers each alert after `delay` seconds; `stop_after` sends set `stopping`."""

    def __init__(self, delay: float, stopping: asyncio.Event | None = None, stop_after: int = 0):
        super().__init__()
        self.delay = delay
        self.stopping = stopping
        self.stop_after = stop_after

    async def review_alert(self, to: Recipient, card: ReviewCard) -> Delivery:
        await asyncio.sleep(self.delay)
        outcome = await super().review_alert(to, card)
        if self.stopping is not None and len(self.alerts) == self.stop_after:
            self.stopping.set()
        return outcome


async def stopped_mid_batch(
    w: World, reviews: int, stop_after: int
) -> tuple[SlowNotifier, list[str], datetime]:
    """An instance syncs `reviews` new reviews and is told to stop after `stop_after` alerts:
    its notifier, the reviews, and when it synced them."""
    stopping = asyncio.Event()
    leaving = SlowNotifier(0.01, stopping, stop_after=stop_after)
    jobs = w.jobs(notifier=leaving)
    jobs.alerts.stopping = stopping
    now = now_utc()
    await jobs.sync_store(w.store, "reviews", now=now)
    landed = [land(w, now, 1, f"Брак {i}") for i in range(reviews)]
    later = now + timedelta(minutes=1)
    await jobs.sync_store(w.store, "reviews", now=later)
    return leaving, landed, later


async def test_sent_at_is_when_telegram_accepted_each_message(world: World) -> None:
    w = world
    notifier = SlowNotifier(0.2)
    jobs = w.jobs(notifier=notifier)
    now = now_utc()
    await jobs.sync_store(w.store, "reviews", now=now)
    for i in range(3):
        land(w, now, 1, f"Брак {i}")
    later = now + timedelta(minutes=1)
    await jobs.sync_store(w.store, "reviews", now=later)
    rows = await w.pool.fetch(
        "SELECT claimed_at, sent_at FROM review_alerts WHERE status = 'sent' ORDER BY sent_at"
    )
    assert len(rows) == 3
    after = [(r["sent_at"] - r["claimed_at"]).total_seconds() for r in rows]
    assert after[0] >= 0.2 and after[1] >= 0.4 and after[2] >= 0.6, after


async def test_a_stopping_instance_releases_its_unsent_claims_for_another(
    world: World,
) -> None:
    """SIGTERM mid-batch: the process sends nothing more; what it claimed and did not send
    goes to the next sweep of another instance at once, not after the 10-minute stale window,
    and nothing is sent twice."""
    w = world
    leaving, landed, later = await stopped_mid_batch(w, reviews=5, stop_after=2)
    assert len(leaving.alerts) == 2
    released = await w.pool.fetch(
        "SELECT attempts FROM review_alerts WHERE status = 'claimed' AND claimed_at = 'epoch'"
    )
    assert [r["attempts"] for r in released] == [0, 0, 0], "released, the attempt not counted"

    staying = RecordingNotifier()
    await w.jobs(notifier=staying).deliver_alerts(now=later + timedelta(seconds=30))
    assert Counter(leaving.alerts + staying.alerts) == Counter((w.owner, r) for r in landed)
    assert await w.pool.fetchval("SELECT count(*) FROM review_alerts WHERE status = 'sent'") == len(
        landed
    )


async def test_released_claims_go_with_the_store_s_next_sync(world: World) -> None:
    """The next sync of the store, on any instance, sends what a stopping instance released:
    within one sync interval, without waiting for the 30-second sweep."""
    w = world
    leaving, landed, later = await stopped_mid_batch(w, reviews=3, stop_after=1)
    assert len(leaving.alerts) == 1

    staying = RecordingNotifier()
    await w.jobs(notifier=staying).sync_store(w.store, "reviews", now=later + timedelta(seconds=10))
    assert Counter(leaving.alerts + staying.alerts) == Counter((w.owner, r) for r in landed)
