"""Weekly digest: once per store and week across three instances, Monday 10:00 MSK, opt-out."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import asyncpg

from services.digest import DigestService, WeeklyDigest
from services.notifier import Delivery, Recipient
from services.stats import StatsService
from tests.integration.test_stats import seed
from tests.support.stores import make_store, make_user

MONDAY_10_05_MSK = datetime(2026, 6, 15, 7, 5, tzinfo=UTC)


class Outbox:
    def __init__(self, outcome: Delivery = "sent") -> None:
        self.sent: list[tuple[Recipient, WeeklyDigest]] = []
        self.outcome: Delivery = outcome

    async def __call__(self, to: Recipient, digest: WeeklyDigest) -> Delivery:
        await asyncio.sleep(0.01)  # let the other instances interleave
        if self.outcome == "sent":
            self.sent.append((to, digest))
        return self.outcome


async def _telegram(pool: asyncpg.Pool, user_id: str, tg: int) -> None:
    await pool.execute(
        "INSERT INTO telegram_accounts (telegram_id, user_id) VALUES ($1, $2)", tg, user_id
    )


def _instances(pool: asyncpg.Pool, outbox: Outbox, now: datetime) -> list[DigestService]:
    return [
        DigestService(pool, StatsService(pool, clock=lambda: now), outbox, holder=f"i{n}")
        for n in range(3)
    ]


async def test_once_per_store_and_week_across_three_instances(pool: asyncpg.Pool) -> None:
    store, _ = await seed(pool)
    owner = await pool.fetchval("SELECT owner_id FROM stores WHERE id = $1", store)
    await _telegram(pool, owner, 1001)
    second = await make_store(pool, owner, "t2", name="Второй")
    quiet = await make_user(pool)
    await _telegram(pool, quiet, 1002)
    await make_store(pool, quiet, "t3", name="Без дайджеста")
    await DigestService(pool, StatsService(pool), Outbox()).set_enabled(quiet, False)

    outbox = Outbox()
    now = MONDAY_10_05_MSK
    reports = await asyncio.gather(*(s.run(now=now) for s in _instances(pool, outbox, now)))
    assert sorted(s for s, _ in ((d.store_id, to) for to, d in outbox.sent)) == sorted(
        [store, second]
    )
    assert sum(r.sent for r in reports) == 2
    # Later the same Monday, and on a restart: nothing again.
    later = now + timedelta(hours=5)
    for s in _instances(pool, outbox, later):
        await s.run(now=later)
    assert len(outbox.sent) == 2
    # Sunday and Monday 09:59 MSK: not due. The next Monday: again once each.
    for not_due in (now - timedelta(days=1), datetime(2026, 6, 22, 6, 59, tzinfo=UTC)):
        for s in _instances(pool, outbox, not_due):
            await s.run(now=not_due)
    assert len(outbox.sent) == 2
    next_week = now + timedelta(days=7)
    await asyncio.gather(*(s.run(now=next_week) for s in _instances(pool, outbox, next_week)))
    assert len(outbox.sent) == 4
    weeks = await pool.fetch("SELECT week_start FROM weekly_digests ORDER BY 1")
    assert [r["week_start"] for r in weeks] == [date(2026, 6, 15)] * 2 + [date(2026, 6, 22)] * 2

    # What the seeded store's digest says (figures of test_stats).
    (digest,) = [d for _, d in outbox.sent[:2] if d.store_id == store]
    assert digest.week is not None and digest.week.week == date(2026, 6, 8)
    assert (digest.week.total, digest.week.negatives) == (9, 5)
    assert digest.previous is not None and round(digest.previous.avg, 2) == 1.75
    assert [p.name for p in digest.problems] == ["Кружка", "Плед", "Чайник"]
    assert [i.name for i in digest.worth_filing] == ["Чайник", "Плед"]


async def test_failed_send_is_released_and_retried(pool: asyncpg.Pool) -> None:
    owner = await make_user(pool)
    await _telegram(pool, owner, 2001)
    await make_store(pool, owner, "t", name="Один")
    failing = Outbox("failed")
    now = MONDAY_10_05_MSK
    (service,) = _instances(pool, failing, now)[:1]
    assert (await service.run(now=now)).failed == 1
    ok = Outbox()
    await _instances(pool, ok, now)[1].run(now=now + timedelta(minutes=1))
    assert len(ok.sent) == 1


async def test_stale_claim_of_a_dead_instance_is_taken_over(pool: asyncpg.Pool) -> None:
    owner = await make_user(pool)
    await _telegram(pool, owner, 3001)
    store = await make_store(pool, owner, "t", name="Один")
    now = MONDAY_10_05_MSK
    await pool.execute(
        """INSERT INTO weekly_digests (store_id, week_start, claimed_by, claimed_at)
           VALUES ($1, '2026-06-15', 'dead', $2)""",
        store,
        now,
    )
    outbox = Outbox()
    await _instances(pool, outbox, now)[0].run(now=now + timedelta(minutes=5))
    assert outbox.sent == []
    await _instances(pool, outbox, now)[0].run(now=now + timedelta(minutes=11))
    assert len(outbox.sent) == 1


async def test_digest_sent_through_the_telegram_notifier(pool: asyncpg.Pool) -> None:
    from bot.i18n import create_core
    from bot.notifier import TelegramNotifier
    from services.access import AccessService
    from tests.fakes.telegram import FakeTelegram

    store, _ = await seed(pool)
    owner = await pool.fetchval("SELECT owner_id FROM stores WHERE id = $1", store)
    await pool.execute("UPDATE stores SET name = 'Дом <&>' WHERE id = $1", store)
    await _telegram(pool, owner, 4001)
    async with FakeTelegram() as tg:
        person = tg.user(4001)
        bot = tg.make_bot()
        try:
            notifier = TelegramNotifier(bot, AccessService(pool), create_core())
            service = DigestService(
                pool, StatsService(pool, clock=lambda: MONDAY_10_05_MSK), notifier.weekly_digest
            )
            report = await service.run(now=MONDAY_10_05_MSK)
        finally:
            await bot.session.close()
        assert report.sent == 1
        message = await person.wait_message("Неделя магазина")
    assert "«Дом <&>»" in message.text  # escaped in HTML, shown as typed
    assert "Отзывов: 9, средняя 3.00 (+1.25), 1-3★: 5" in message.text
    assert "Чайник: 3.00 → 5.00 (2)" in message.text
    assert "Расходы на ИИ в этом месяце: $0.00" in message.text
    assert "📊 Статистика" in message.labels


async def test_a_stopping_instance_gives_back_the_digests_it_did_not_send(
    pool: asyncpg.Pool,
) -> None:
    """SIGTERM mid-run: nothing more is sent, the unsent claims are given back, and another
    instance's next tick sends them (not after the 10-minute stale claim); each goes once."""
    owner = await make_user(pool)
    await _telegram(pool, owner, 5001)
    stores = [await make_store(pool, owner, f"t{i}", name=f"Магазин {i}") for i in range(3)]
    now = MONDAY_10_05_MSK
    stopping = asyncio.Event()

    class Leaving(Outbox):
        async def __call__(self, to: Recipient, digest: WeeklyDigest) -> Delivery:
            outcome = await super().__call__(to, digest)
            stopping.set()
            return outcome

    leaving = Leaving()
    first = _instances(pool, leaving, now)[0]
    first.stopping = stopping
    report = await first.run(now=now)
    assert (report.sent, report.released) == (1, 2)
    staying = Outbox()
    await _instances(pool, staying, now)[1].run(now=now + timedelta(minutes=1))
    got = sorted(d.store_id for _, d in leaving.sent + staying.sent)
    assert got == sorted(stores)
