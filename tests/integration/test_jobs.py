"""Scheduler jobs under a controlled clock: several instances, auth failures, product rules,
token reminders, and the APScheduler wiring."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from db.pool import create_pool
from db.repos import stores as stores_repo
from db.repos.leases import LeaseKind, claim_lease, release_lease
from services import products as products_service
from services.ai.leases import AI_LEASE_TTL
from services.alerts import DispatchReport
from services.jobs import JobConfig
from services.settings import Settings
from tests.integration.test_alerts import (
    RecordingNotifier,
    World,
    add_manager,
    land,
    now_utc,
    person,
    world,
)
from tests.support.stores import sync_held_elsewhere, work_every_product

__all__ = ["world"]


async def test_three_instances_never_run_a_sync_twice_or_send_an_alert_twice(
    world: World, db_url: str
) -> None:
    w = world
    manager = await person(w.pool, 9101)
    await add_manager(w.pool, w.store, manager)
    # Three processes: their own pools (small: 3 x 50 would pass PostgreSQL's 100), their own
    # notifiers, one database.
    pools = [await create_pool(db_url, max_size=4) for _ in range(3)]
    notifiers = [RecordingNotifier() for _ in range(3)]
    config = JobConfig(
        intervals={"reviews": 300, "questions": 600, "chats": 300, "products": 21600}
    )
    instances = [w.jobs(p, n, config) for p, n in zip(pools, notifiers, strict=True)]
    try:
        now = now_utc()
        landed: list[str] = []
        runs: Counter[int] = Counter()
        for step in range(4):
            at = now + timedelta(seconds=301 * step)
            if step:
                landed += [land(w, at, 1), land(w, at, 2)]
            batches, _ = await asyncio.gather(
                asyncio.gather(*(j.sync_due("reviews", now=at) for j in instances)),
                asyncio.gather(*(j.deliver_alerts(now=at) for j in instances)),
            )
            results = [r for batch in batches for r in batch]
            runs[step] = sum(1 for r in results if not r.skipped)
            # Between ticks of one interval nothing is due.
            again = await asyncio.gather(
                *(j.sync_due("reviews", now=at + timedelta(seconds=60)) for j in instances)
            )
            assert [r for batch in again for r in batch] == []
        assert runs == Counter({0: 1, 1: 1, 2: 1, 3: 1}), "each due slot synced exactly once"

        sent = Counter(a for n in notifiers for a in n.alerts)
        assert set(sent) == {(u, r) for u in (w.owner, manager) for r in landed}
        assert max(sent.values()) == 1, "no alert sent twice"
        assert await w.pool.fetchval(
            "SELECT count(*) FROM review_alerts WHERE status = 'sent'"
        ) == 2 * len(landed)
    finally:
        for p in pools:
            await p.close()


async def test_auth_failure_parks_the_store_and_tells_the_owner_once(world: World) -> None:
    w = world
    jobs = w.jobs()
    expired = w.wb.token(expires_at=datetime.now(UTC) - timedelta(days=1))
    await stores_repo.set_api_token(w.pool, w.store, expired)
    now = now_utc()
    first = await jobs.sync_store(w.store, "reviews", now=now)
    assert first.error
    await jobs.sync_store(w.store, "chats", now=now)  # the same token, another kind
    for minute in (5, 10, 15):
        later = await jobs.sync_store(w.store, "reviews", now=now + timedelta(minutes=minute))
        assert later.skipped and "token refused" in later.skipped
    assert [(u, n.key) for u, n in w.notifier.notices] == [(w.owner, "auth_failed")]
    state = await w.pool.fetchrow(
        "SELECT auth_error, auth_error_notified FROM sync_state WHERE store_id = $1 AND kind = 'reviews'",
        w.store,
    )
    assert state is not None and state["auth_error"] and state["auth_error_notified"]

    # A new token: retried at once; refused again -> the owner hears about the new one.
    await stores_repo.set_api_token(
        w.pool, w.store, w.wb.token(expires_at=datetime.now(UTC) - timedelta(hours=1))
    )
    again = await jobs.sync_store(w.store, "reviews", now=now + timedelta(minutes=20))
    assert again.error and not again.skipped
    assert len(w.notifier.notices) == 2
    # A good token: sync works, nothing more is said.
    await stores_repo.set_api_token(w.pool, w.store, w.wb.token())
    ok = await jobs.sync_store(w.store, "reviews", now=now + timedelta(minutes=25))
    assert ok.ok and len(w.notifier.notices) == 2


async def test_an_auth_notice_lost_with_its_process_is_sent_later(world: World) -> None:
    """Issue 10, item 4 (the audit): the notice was claimed before the send; a process killed
    in between left the store parked and the owner never told."""
    from db.claims import STALE_CLAIM
    from db.repos import alerts as alerts_repo

    w = world
    jobs = w.jobs()
    expired = w.wb.token(expires_at=datetime.now(UTC) - timedelta(days=1))
    await stores_repo.set_api_token(w.pool, w.store, expired)
    now = now_utc()
    # The process that met the refusal claimed the notice and died before sending it.
    assert (await jobs.sync.sync(w.store, "reviews", now=now)).error
    assert await alerts_repo.claim_auth_notice(w.pool, w.store, stale=STALE_CLAIM)
    skipped = await jobs.sync_store(w.store, "reviews", now=now + timedelta(minutes=5))
    assert skipped.skipped and not w.notifier.notices, "a fresh claim may still be sending"
    await w.pool.execute(
        "UPDATE sync_state SET auth_notice_claimed_at = clock_timestamp() - $2::interval"
        " WHERE store_id = $1",
        w.store,
        STALE_CLAIM + timedelta(seconds=1),
    )
    for minute in (10, 15):
        await jobs.sync_store(w.store, "reviews", now=now + timedelta(minutes=minute))
    assert [(u, n.key) for u, n in w.notifier.notices] == [(w.owner, "auth_failed")]


async def test_paused_store_is_skipped_by_every_job(world: World) -> None:
    w = world
    jobs = w.jobs()
    now = now_utc()
    await jobs.sync_due("reviews", now=now)
    land(w, now, 1)
    await stores_repo.set_store_status(w.pool, w.store, "inactive")
    assert await jobs.sync_due("reviews", now=now + timedelta(minutes=6)) == []
    assert await jobs.full_sync(now=now + timedelta(hours=12)) == []
    await jobs.deliver_alerts(now=now + timedelta(minutes=7))
    assert w.notifier.alerts == []


async def test_product_rules_decide_what_is_auto_drafted(world: World) -> None:
    w = world
    jobs = w.jobs(config=JobConfig(drafts_per_run=2))
    now = now_utc()
    await jobs.sync_store(w.store, "reviews", now=now)
    products = [
        r["id"]
        for r in await w.pool.fetch(
            "SELECT p.id FROM products p WHERE p.store_id = $1 AND p.wb_product_id = ANY($2::text[])",
            w.store,
            [str(nm) for nm in list(w.wb.state.cards)[:2]],
        )
    ]
    nms = {
        r["id"]: int(r["wb_product_id"])
        for r in await w.pool.fetch(
            "SELECT id, wb_product_id FROM products WHERE id = ANY($1::text[])", products
        )
    }
    worked, other = products
    await products_service.apply_defaults(w.pool, w.store, [worked])

    def land_on(product: str, valuation: int, at: datetime) -> str:
        created = int((at - timedelta(minutes=5)).timestamp())
        return w.wb.state.land_feedback(
            "Брак", valuation=valuation, created=created, nm_id=nms[product]
        ).id

    t1 = now + timedelta(minutes=5)
    on1, on3, on4, off1 = (
        land_on(worked, 1, t1),
        land_on(worked, 3, t1),
        land_on(worked, 4, t1),
        land_on(other, 1, t1),
    )
    await jobs.sync_store(w.store, "reviews", now=t1)
    await jobs.auto_draft_all(now=t1 + timedelta(minutes=1))  # the bound left some for later
    drafted = {
        r["review_id"]
        for r in await w.pool.fetch(
            "SELECT review_id FROM review_complaints WHERE status = 'draft'"
        )
    }
    assert drafted == {on1, on3}, "rating 4 is off by default; the other product is not worked"
    assert on4 not in drafted and off1 not in drafted

    # Toggle: rating 4 on for the worked product, complaints on for the other.
    await products_service.toggle_rule(w.pool, worked, "complaint_rating_4")
    await products_service.apply_defaults(w.pool, w.store, [other])
    card = await products_service.product_card(w.pool, other)
    assert card.product.work_status == "active" and card.rules["complaint_rating_1"]
    t2 = t1 + timedelta(minutes=5)
    new4, new_other = land_on(worked, 4, t2), land_on(other, 2, t2)
    await jobs.sync_store(w.store, "reviews", now=t2)
    await jobs.auto_draft_all(now=t2 + timedelta(minutes=1))
    drafted = {
        r["review_id"]
        for r in await w.pool.fetch(
            "SELECT review_id FROM review_complaints WHERE status = 'draft'"
        )
    }
    assert {new4, new_other} <= drafted
    assert on4 not in drafted, "a rule change does not reach back to decided reviews"
    # Switching the product off stops drafting its new reviews.
    await products_service.toggle_rule(w.pool, worked, "submit_complaints")
    t3 = t2 + timedelta(minutes=5)
    off = land_on(worked, 1, t3)
    await jobs.sync_store(w.store, "reviews", now=t3)
    assert (
        await w.pool.fetchval("SELECT count(*) FROM review_complaints WHERE review_id = $1", off)
        == 0
    )


async def test_empty_review_gets_a_template_draft(world: World) -> None:
    w = world
    jobs = w.jobs()
    now = now_utc()
    await jobs.sync_store(w.store, "reviews", now=now)
    await work_every_product(w.pool, w.store)
    review = land(w, now, 2, "")
    await jobs.sync_store(w.store, "reviews", now=now + timedelta(minutes=1))
    row = await w.pool.fetchrow(
        "SELECT ai_model, ai_cost_usd FROM review_complaints WHERE review_id = $1", review
    )
    assert row is not None and row["ai_model"] == "template"


async def test_token_expiry_reminders_go_out_once_each(world: World) -> None:
    w = world
    jobs = w.jobs()
    now = now_utc()
    token = w.wb.token(expires_at=now + timedelta(days=20))
    await stores_repo.set_api_token(w.pool, w.store, token)
    for day in range(0, 20):
        await jobs.token_reminders(now=now + timedelta(days=day))
        await w.jobs().token_reminders(now=now + timedelta(days=day, hours=1))
    keys = [(u, n.key, n.args["days"]) for u, n in w.notifier.notices]
    assert keys == [(w.owner, "token_expiring", 14), (w.owner, "token_expiring", 3)]

    # A token first seen 2 days before expiry: only the 3-day reminder.
    w.notifier.notices.clear()
    await stores_repo.set_api_token(w.pool, w.store, w.wb.token(expires_at=now + timedelta(days=2)))
    for hour in range(0, 48, 6):
        await jobs.token_reminders(now=now + timedelta(hours=hour))
    assert [n.args["days"] for _, n in w.notifier.notices] == [2]


async def test_a_token_reminder_lost_with_its_process_is_sent_later(world: World) -> None:
    """The audit of claims (issue 10, item 4): a reminder claimed by a process killed before
    the send was never sent."""
    from db.claims import STALE_CLAIM
    from db.repos import alerts as alerts_repo
    from services.sync.base import token_fingerprint

    w = world
    now = now_utc()
    expires = now + timedelta(days=10, hours=3)
    token = w.wb.token(expires_at=expires)
    await stores_repo.set_api_token(w.pool, w.store, token)
    # The dead process: its claim of the 14-day reminder, and no send.
    assert await alerts_repo.claim_token_reminder(
        w.pool,
        w.store,
        token_fingerprint(token),
        14,
        expires_at=expires,
        now=now,
        stale=STALE_CLAIM,
    )
    await w.jobs().token_reminders(now=now + timedelta(minutes=5))
    assert not w.notifier.notices, "a fresh claim may still be sending"
    for minutes in (11, 60, 120):
        await w.jobs().token_reminders(now=now + timedelta(minutes=minutes))
    assert [(n.key, n.args["days"]) for _, n in w.notifier.notices] == [("token_expiring", 10)]


async def test_scheduler_wiring(world: World) -> None:
    from bot.scheduler import MISFIRE_GRACE_SECONDS, create_scheduler

    settings = Settings(timezone="Asia/Yekaterinburg", full_sync_hour=4, sync_chats_seconds=30)
    jobs = world.jobs(config=JobConfig.from_settings(settings))
    seen: list[datetime] = []
    fixed = datetime(2025, 1, 1, tzinfo=UTC)

    async def fake_deliver(*, now: datetime) -> DispatchReport:
        seen.append(now)
        return DispatchReport()

    jobs.deliver_alerts = fake_deliver  # type: ignore[method-assign]
    scheduler = create_scheduler(jobs, settings, clock=lambda: fixed)
    scheduler.start(paused=True)  # job defaults are applied when the scheduler starts
    ids = {j.id for j in scheduler.get_jobs()}
    assert ids == {
        "sync-products",
        "sync-reviews",
        "sync-questions",
        "sync-chats",
        "full-sync",
        "alerts",
        "auto-draft",
        "token-reminders",
        "followups",
    }
    assert str(scheduler.timezone) == "Asia/Yekaterinburg"
    for job in scheduler.get_jobs():
        assert job.coalesce and job.misfire_grace_time == MISFIRE_GRACE_SECONDS
        assert job.max_instances == 1
    chats = scheduler.get_job("sync-chats").trigger
    assert isinstance(chats, IntervalTrigger) and chats.interval == timedelta(seconds=30)
    reviews = scheduler.get_job("sync-reviews").trigger
    assert isinstance(reviews, IntervalTrigger) and reviews.interval == timedelta(seconds=60)
    full = scheduler.get_job("full-sync").trigger
    assert isinstance(full, CronTrigger) and str(full.timezone) == "Asia/Yekaterinburg"
    assert "hour='4'" in str(full)
    # The job function gets the scheduler's clock.
    await scheduler.get_job("alerts").func()
    assert seen == [fixed]
    scheduler.shutdown(wait=False)


class FakeClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


async def test_work_after_a_long_sync_is_dated_when_the_sync_ends(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync that takes 30 minutes: the drafting claim and the alert claim are dated when it
    ends, so another instance does not take the claim over as stale."""
    import services.sync.service as sync_service

    w = world
    now = now_utc()
    clock = FakeClock(now)
    jobs = w.jobs(clock=clock)
    await jobs.sync_store(w.store, "reviews", now=now)
    review = land(w, now, 1)
    real = sync_service.sync_reviews  # type: ignore[attr-defined]

    async def slow(*args: Any, **kwargs: Any) -> None:
        await real(*args, **kwargs)
        clock.at += timedelta(minutes=30)

    monkeypatch.setattr(sync_service, "sync_reviews", slow)
    w.notifier.failing.add(w.owner)
    tick = now + timedelta(minutes=5)
    clock.at = tick
    await jobs.sync_store(w.store, "reviews", now=tick)
    ended = tick + timedelta(minutes=30)
    queued = await w.pool.fetchrow("SELECT found_at, draft_claimed_at FROM new_reviews")
    # The queue row is written with the page that found the review (so a run that dies
    # later still alerts it); the claims that follow the sync are dated when it ends.
    assert queued is not None and tick <= queued["found_at"] < ended
    assert queued["draft_claimed_at"] == ended
    alert = await w.pool.fetchrow("SELECT status, claimed_at, attempts FROM review_alerts")
    assert alert is not None and alert["claimed_at"] == ended and alert["status"] == "claimed"

    # Another instance a minute after the sync ended: the claim is fresh, not resent.
    w.notifier.failing.clear()
    await w.jobs().deliver_alerts(now=ended + timedelta(minutes=1))
    assert w.notifier.alerts == []
    assert await w.pool.fetchval("SELECT attempts FROM review_alerts") == 1
    await w.jobs().deliver_alerts(now=ended + timedelta(minutes=11))
    assert w.notifier.alerts == [(w.owner, review)]


async def test_token_expiry_date_is_shown_in_moscow_time(world: World) -> None:
    w = world
    now = now_utc()
    # 22:30 UTC is 01:30 MSK the next day.
    expires = datetime.combine((now + timedelta(days=10)).date(), dtime(22, 30), UTC)
    await stores_repo.set_api_token(w.pool, w.store, w.wb.token(expires_at=expires))
    await w.jobs().token_reminders(now=now)
    ((_, notice),) = w.notifier.notices
    assert notice.args["date"] == (expires.date() + timedelta(days=1)).isoformat()


async def test_nightly_full_sync_waits_for_an_incremental_run_in_progress(world: World) -> None:
    w = world
    jobs = w.jobs(config=JobConfig(busy_retries=(0.2, 0.2)))
    now = now_utc()
    await jobs.sync_due("reviews", now=now)
    async with sync_held_elsewhere(w.pool, w.store, "reviews"):  # a run on another instance
        nightly = asyncio.create_task(jobs.full_sync(now=now + timedelta(hours=12)))
        await asyncio.sleep(0.1)
    results = await nightly
    reviews = [r for r in results if r.kind == "reviews"]
    assert len(reviews) == 1 and reviews[0].ok and reviews[0].full and not reviews[0].skipped


async def test_an_auto_draft_that_meets_a_person_drafting_is_tried_again(world: World) -> None:
    w = world
    jobs = w.jobs(config=JobConfig(draft_attempts=1))
    now = now_utc()
    await jobs.sync_store(w.store, "reviews", now=now)
    worked = await w.pool.fetchval(
        "SELECT id FROM products WHERE store_id = $1 AND wb_product_id = $2",
        w.store,
        str(next(iter(w.wb.state.cards))),
    )
    await products_service.apply_defaults(w.pool, w.store, [worked])
    t1 = now + timedelta(minutes=5)
    created = int((t1 - timedelta(minutes=5)).timestamp())
    nm = int(next(iter(w.wb.state.cards)))
    review = w.wb.state.land_feedback("Брак", valuation=1, created=created, nm_id=nm).id
    person = "a person drafting"  # holds the complaint service's lease on the review
    kind = LeaseKind.COMPLAINT_DRAFT
    assert await claim_lease(w.pool, kind, review, person, ttl=AI_LEASE_TTL)
    await jobs.sync_store(w.store, "reviews", now=t1)
    await release_lease(w.pool, kind, review, person)
    assert not await w.pool.fetchval(
        "SELECT count(*) FROM review_complaints WHERE review_id = $1", review
    )
    report = await jobs.auto_draft_all(now=t1 + timedelta(minutes=1))
    assert report.drafted == 1, "one attempt allowed, and the collision did not use it"


async def test_sync_slots_keep_their_interval_whatever_the_tick(world: World, db_url: str) -> None:
    """The next slot follows the last slot, not the claim: ticks a few milliseconds early or
    late, on two instances, run the store every interval (the claim-time schedule ran a 300 s
    interval at 300 or 600 s: an early tick found the slot not yet due)."""
    w = world
    config = JobConfig(intervals={"reviews": 300, "questions": 600, "chats": 300, "products": 1})
    other = await create_pool(db_url, max_size=4)
    instances = [w.jobs(config=config), w.jobs(other, config=config)]
    try:
        start = now_utc()
        ticks = [0.0, 60.0, 299.995, 360.0, 600.4, 899.99, 1199.0, 1500.002]
        ran: list[float] = []
        for i, offset in enumerate(ticks):
            at = start + timedelta(seconds=offset)
            results = await instances[i % 2].sync_due("reviews", now=at)
            if any(not r.skipped for r in results):
                ran.append(offset)
        assert ran == [0.0, 299.995, 600.4, 899.99, 1199.0, 1500.002]
        slot = await w.pool.fetchval(
            "SELECT next_run_at FROM sync_schedule WHERE store_id = $1 AND slot = 'reviews'",
            w.store,
        )
        assert slot == start + timedelta(seconds=1800), "slots stay on the first one's phase"
        # Every instance down for an hour: the schedule starts afresh from the next tick.
        late = start + timedelta(seconds=5400.5)
        assert [r for r in await instances[0].sync_due("reviews", now=late) if not r.skipped]
        slot = await w.pool.fetchval(
            "SELECT next_run_at FROM sync_schedule WHERE store_id = $1 AND slot = 'reviews'",
            w.store,
        )
        assert slot == late + timedelta(seconds=300)
    finally:
        await other.close()
