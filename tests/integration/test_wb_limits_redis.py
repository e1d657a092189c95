"""The Redis rate limiter: atomic GCRA shared by several bot instances (real Redis)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from redis.asyncio import Redis

from services.wb.limits import LimitsConfig, RateLimitExceeded, RedisRateLimiter
from tests.support.fake_time import FakeTime

#: WB's exact values, no headroom, so expected waits are WB's numbers.
EXACT = LimitsConfig(burst_reserve=0, rate_margin=0.0)

START = 1_700_000_000.0  # an epoch time, as Redis' own TIME would give the script
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:  # pragma: no cover - depends on the machine
        await client.aclose()
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    yield client
    await client.aclose()


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    name = f"wbrep-test:rl:{uuid.uuid4().hex}"
    yield name
    keys = [k async for k in redis.scan_iter(match=f"{name}:*")]
    if keys:
        await redis.delete(*keys)


async def test_burst_then_rate(redis: Redis, prefix: str) -> None:
    t = FakeTime(start=START)
    lim = RedisRateLimiter(redis, EXACT, prefix=prefix, clock=t.clock, sleep=t.sleep)
    for _ in range(8):
        await lim.acquire("sid", "feedbacks", "personal")
    assert t.sleeps == pytest.approx([1 / 3, 1 / 3], abs=1e-5)
    assert await redis.exists(f"{prefix}:sid:feedbacks") == 1
    ttl = await redis.pttl(f"{prefix}:sid:feedbacks")
    assert 0 < ttl <= 5000


async def test_two_instances_share_one_budget(redis: Redis, prefix: str) -> None:
    t = FakeTime(start=START, advance_on_sleep=False)
    one = RedisRateLimiter(redis, EXACT, prefix=prefix, clock=t.clock, sleep=t.sleep)
    two = RedisRateLimiter(redis, EXACT, prefix=prefix, clock=t.clock, sleep=t.sleep)
    calls = [one.acquire("sid", "chat", "personal") for _ in range(6)]
    calls += [two.acquire("sid", "chat", "personal") for _ in range(6)]
    await asyncio.gather(*calls)
    # 12 calls against burst 10 at 1 per second: exactly two had to wait, 1 s and 2 s
    assert sorted(t.sleeps) == pytest.approx([1.0, 2.0], abs=1e-5)


async def test_other_seller_and_group_are_free(redis: Redis, prefix: str) -> None:
    t = FakeTime(start=START)
    lim = RedisRateLimiter(redis, EXACT, prefix=prefix, clock=t.clock, sleep=t.sleep)
    for _ in range(5):
        await lim.acquire("a", "prices", "personal")
        await lim.acquire("b", "prices", "personal")
        await lim.acquire("a", "content", "personal")
    assert t.sleeps == []


async def test_max_wait_raises_and_reserves_nothing(redis: Redis, prefix: str) -> None:
    t = FakeTime(start=START)
    cfg = replace(EXACT, max_wait=60.0)
    lim = RedisRateLimiter(redis, cfg, prefix=prefix, clock=t.clock, sleep=t.sleep)
    await lim.acquire("sid", "chat", "base")
    with pytest.raises(RateLimitExceeded) as exc_info:
        await lim.acquire("sid", "chat", "base")
    assert exc_info.value.retry_after == pytest.approx(3600.0)
    t.now += 3600.0
    await lim.acquire("sid", "chat", "base")
    assert t.sleeps == []


async def test_penalize_is_seen_by_other_instances(redis: Redis, prefix: str) -> None:
    t = FakeTime(start=START)
    one = RedisRateLimiter(redis, EXACT, prefix=prefix, clock=t.clock, sleep=t.sleep)
    two = RedisRateLimiter(redis, EXACT, prefix=prefix, clock=t.clock, sleep=t.sleep)
    await one.penalize("sid", "feedbacks", "personal", 3.0)
    await two.acquire("sid", "feedbacks", "personal")
    assert t.sleeps == pytest.approx([3.0], abs=1e-5)


async def test_redis_server_clock_and_scale(redis: Redis, prefix: str) -> None:
    """Without an injected clock the script uses Redis TIME; scaled limits stay short."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(seconds)

    # 3 a second x 5 with a burst of 6: the 7th to 10th calls are due 67-267 ms in, long
    # enough that a loaded machine's slower round trips still leave them a wait.
    lim = RedisRateLimiter(redis, replace(EXACT, scale=5.0), prefix=prefix, sleep=sleep)
    for _ in range(10):
        await lim.acquire("sid", "feedbacks", "personal")
    assert len(slept) >= 1
    assert all(s <= 1 / 15 + 0.01 for s in slept)


async def test_falls_back_to_memory_when_redis_is_down(caplog: pytest.LogCaptureFixture) -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    t = FakeTime(start=START)
    lim = RedisRateLimiter(dead, EXACT, prefix="wbrep-test:dead", clock=t.clock, sleep=t.sleep)
    try:
        for _ in range(7):
            await lim.acquire("sid", "feedbacks", "personal")
        await lim.penalize("sid", "feedbacks", "personal", 1.0)
    finally:
        await dead.aclose()
    assert t.sleeps == pytest.approx([1 / 3], abs=1e-5)  # still WB's limits, in-process
    warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(warnings) == 1
