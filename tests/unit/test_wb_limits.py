"""Client-side WB rate limiter (in memory) with a fake clock."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from services.wb.limits import (
    LimitsConfig,
    MemoryRateLimiter,
    RateLimitExceeded,
    limit_for,
)
from tests.support.fake_time import FakeTime

#: WB's exact values, no headroom, so expected waits are WB's numbers.
EXACT = LimitsConfig(burst_reserve=0, rate_margin=0.0)


def test_wb_values() -> None:
    assert limit_for("feedbacks", "personal").burst == 6
    assert limit_for("feedbacks", "personal").interval == pytest.approx(1 / 3)
    assert limit_for("feedbacks", "base").interval == 720.0
    assert limit_for("feedbacks", "service") == limit_for("feedbacks", "personal")
    assert limit_for("chat", "base").period == 3600.0
    assert limit_for("chat_download", "base").count == 10
    assert limit_for("content", "personal").interval == pytest.approx(0.6)
    assert limit_for("prices", "base").interval == 900.0
    assert limit_for("common", "personal").burst == 10
    assert limit_for("ping:chat", "personal").interval == 10.0
    with pytest.raises(KeyError):
        limit_for("nope", "personal")


async def test_burst_then_steady_rate() -> None:
    t = FakeTime()
    lim = MemoryRateLimiter(EXACT, clock=t.clock, sleep=t.sleep)
    start = t.now
    for _ in range(6):
        await lim.acquire("sid", "feedbacks", "personal")
    assert t.sleeps == []  # burst of 6 goes at once
    for _ in range(3):
        await lim.acquire("sid", "feedbacks", "personal")
    assert t.sleeps == pytest.approx([1 / 3] * 3)
    assert t.now - start == pytest.approx(1.0)


async def test_bucket_refills_while_idle() -> None:
    t = FakeTime()
    lim = MemoryRateLimiter(EXACT, clock=t.clock, sleep=t.sleep)
    for _ in range(10):
        await lim.acquire("sid", "chat", "personal")
    t.now += 10.0  # a full refill
    for _ in range(10):
        await lim.acquire("sid", "chat", "personal")
    assert t.sleeps == []


async def test_groups_and_sellers_are_separate() -> None:
    t = FakeTime()
    lim = MemoryRateLimiter(EXACT, clock=t.clock, sleep=t.sleep)
    for _ in range(5):
        await lim.acquire("a", "prices", "personal")
        await lim.acquire("b", "prices", "personal")
        await lim.acquire("a", "content", "personal")
        await lim.acquire("a", "chat", "personal")
        await lim.acquire("a", "chat_download", "personal")
    assert t.sleeps == []


async def test_concurrent_callers_queue_fairly() -> None:
    t = FakeTime(advance_on_sleep=False)
    lim = MemoryRateLimiter(EXACT, clock=t.clock, sleep=t.sleep)
    await asyncio.gather(*(lim.acquire("sid", "content", "personal") for _ in range(8)))
    # burst 5 at once, then one slot per 600 ms each
    assert sorted(t.sleeps) == pytest.approx([0.6, 1.2, 1.8])


async def test_scale_speeds_everything_up() -> None:
    t = FakeTime()
    lim = MemoryRateLimiter(replace(EXACT, scale=100.0), clock=t.clock, sleep=t.sleep)
    for _ in range(7):
        await lim.acquire("sid", "feedbacks", "personal")
    assert t.sleeps == pytest.approx([1 / 300])


async def test_base_token_slot_too_far_raises_and_reserves_nothing() -> None:
    t = FakeTime()
    lim = MemoryRateLimiter(replace(EXACT, max_wait=60.0), clock=t.clock, sleep=t.sleep)
    await lim.acquire("sid", "feedbacks", "base")  # burst 1
    with pytest.raises(RateLimitExceeded) as exc_info:
        await lim.acquire("sid", "feedbacks", "base")
    assert exc_info.value.retry_after == pytest.approx(720.0)
    t.now += 720.0
    await lim.acquire("sid", "feedbacks", "base")  # nothing was reserved by the failed call
    assert t.sleeps == []


async def test_disabled_limiter_never_waits() -> None:
    t = FakeTime()
    lim = MemoryRateLimiter(replace(EXACT, enabled=False), clock=t.clock, sleep=t.sleep)
    for _ in range(50):
        await lim.acquire("sid", "feedbacks", "base")
    await lim.penalize("sid", "feedbacks", "base", 10.0)
    assert t.sleeps == []


async def test_penalize_holds_the_bucket() -> None:
    t = FakeTime()
    lim = MemoryRateLimiter(EXACT, clock=t.clock, sleep=t.sleep)
    await lim.penalize("sid", "chat", "personal", 2.0)
    await lim.acquire("sid", "chat", "personal")
    assert t.sleeps == pytest.approx([2.0])
    await lim.acquire("sid", "chat", "personal")  # after a 429 the bucket is empty
    assert t.sleeps == pytest.approx([2.0, 1.0])


async def test_default_config_keeps_headroom() -> None:
    cfg = LimitsConfig()
    lim = cfg.limit("feedbacks", "personal")
    assert lim.burst == 5
    assert lim.interval == pytest.approx(1 / 3 * 1.05)
    assert cfg.limit("feedbacks", "base").burst == 1  # a burst of 1 stays 1
    t = FakeTime()
    limiter = MemoryRateLimiter(cfg, clock=t.clock, sleep=t.sleep)
    for _ in range(6):
        await limiter.acquire("sid", "feedbacks", "personal")
    assert t.sleeps == pytest.approx([0.35])
