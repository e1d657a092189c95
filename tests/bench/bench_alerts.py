"""Benchmark: 1,000 alerts (20 reviews to 50 people) through the real notifier and pacer
against the fake Telegram with Telegram's flood limits on (30 a second per bot, about one a
second per chat: over them the fake answers 429).

Targets (issue 11): the batch in under 45 s, never more than 30 messages in any one-second
window, no 429. Run with `make bench` (or
`pytest -s -o python_files='bench_*.py' -o addopts='' tests/bench/bench_alerts.py`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import asyncpg
import pytest

from bot.i18n import create_core
from bot.notifier import TelegramNotifier
from services.access import AccessService
from services.alerts import AlertService
from tests.fakes.telegram import FakeTelegram
from tests.support.alerts import alert_batch

PEOPLE = 50
REVIEWS = 20
TARGET_SECONDS = 45.0
MAX_PER_SECOND = 30


def most_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - 1.0:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


@pytest.mark.bench
async def test_bench_alert_batch_pacing(pool: asyncpg.Pool) -> None:
    _, tg_ids, _ = await alert_batch(pool, people=PEOPLE, reviews=REVIEWS)
    async with FakeTelegram(flood_limits=True) as tg:
        for tid in tg_ids:
            tg.user(tid)
        bot = tg.make_bot()
        try:
            service = AlertService(pool, TelegramNotifier(bot, AccessService(pool), create_core()))
            started = time.perf_counter()
            report = await service.dispatch(now=datetime.now(UTC))
            elapsed = time.perf_counter() - started
        finally:
            await bot.session.close()
        accepted = [c.time for c in tg.calls_to("sendMessage") if c.status == 200]
        flood = tg.flood_errors
    peak = most_in_one_second(accepted)
    delays = await pool.fetch(
        "SELECT extract(epoch FROM sent_at - claimed_at) AS d FROM review_alerts ORDER BY d"
    )
    p50 = float(delays[len(delays) // 2]["d"])
    print(
        f"\n{PEOPLE * REVIEWS} alerts to {PEOPLE} people: {elapsed:.1f} s "
        f"({len(accepted) / elapsed:.1f}/s), at most {peak} in one second, {flood} x 429, "
        f"claim-to-send delay p50 {p50:.1f} s, max {float(delays[-1]['d']):.1f} s"
    )
    assert report.sent == PEOPLE * REVIEWS == len(accepted)
    assert flood == 0
    assert peak <= MAX_PER_SECOND
    assert elapsed < TARGET_SECONDS
