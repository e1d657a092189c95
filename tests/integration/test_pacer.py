"""The Telegram pacer (bot/notifier.py) in real time, scaled down: one message a `per_chat`
to a chat, `per_second` overall, and no burst when people held by their chat's limit are
served. With Redis, two replicas share both budgets."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.notifier import Pacer
from services.wb.limits import LimitsConfig, RedisRateLimiter

# Scaled 10x: 50 a second overall (Telegram's 25), a chat every 0.1 s (Telegram's 1 s).
PER_SECOND = 50.0
PER_CHAT = 0.1
WINDOW = 0.1  # "one second", scaled


async def send_all(pacers: list[Pacer], chats: int, each: int) -> list[tuple[int, float]]:
    """Every chat gets `each` messages, one after another (as a person's alerts are), from
    the pacer of replica `chat % len(pacers)`; (chat, time) of each send."""
    loop = asyncio.get_running_loop()
    sent: list[tuple[int, float]] = []

    async def person(chat: int) -> None:
        for _ in range(each):
            await pacers[chat % len(pacers)].wait(chat)
            sent.append((chat, loop.time()))

    await asyncio.gather(*(person(c) for c in range(chats)))
    return sent


def most_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def check(sent: list[tuple[int, float]], chats: int, each: int) -> None:
    times = sorted(t for _, t in sent)
    assert len(times) == chats * each
    # 50 a second is 5 a window (6 counting both ends); a late wake-up under load may add
    # one, never a burst.
    assert most_in_window(times, WINDOW) <= 7, most_in_window(times, WINDOW)
    for chat in range(chats):
        mine = sorted(t for c, t in sent if c == chat)
        gaps = [b - a for a, b in itertools.pairwise(mine)]
        assert min(gaps) >= PER_CHAT - 0.005, (chat, gaps)
    took = times[-1] - times[0]
    ideal = (chats * each - 1) / PER_SECOND
    assert took < ideal * 1.3 + 0.1, f"{took:.2f} s against the ideal {ideal:.2f} s"


async def test_steady_pace_per_chat_and_overall() -> None:
    pacer = Pacer(per_second=PER_SECOND, per_chat=PER_CHAT)
    check(await send_all([pacer], chats=30, each=4), 30, 4)


async def test_people_held_by_their_chat_do_not_burst_later() -> None:
    """Five people get a message and wait half a "second" for their next; meanwhile 25
    others arrive. The old pacer booked the global slot before the chat's hold, so the five
    held messages went out when their chats were free on top of the others' (10 in one
    window of 5). Booked when they really go, they queue with the others."""
    pacer = Pacer(per_second=PER_SECOND, per_chat=0.5)
    loop = asyncio.get_running_loop()
    times: list[float] = []

    async def send(chat: int, after: float = 0.0) -> None:
        await asyncio.sleep(after)
        await pacer.wait(chat)
        times.append(loop.time())

    async def held(chat: int) -> None:
        await send(chat)
        await send(chat)

    await asyncio.gather(*(held(c) for c in range(5)), *(send(c, 0.3) for c in range(5, 30)))
    assert len(times) == 35
    assert most_in_window(times, WINDOW) <= 7, most_in_window(times, WINDOW)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


async def test_two_replicas_share_the_chat_and_the_overall_budget(redis: Redis) -> None:
    prefix = f"test:pacer:{uuid.uuid4().hex}"
    pacers = [
        Pacer(
            per_second=PER_SECOND,
            per_chat=PER_CHAT,
            limiter=RedisRateLimiter(redis, LimitsConfig(max_wait=None), prefix=prefix),
            key="tg:1",
        )
        for _ in range(2)
    ]
    # Each chat is served by both replicas: replica 0 and 1 alternate over its messages.
    loop = asyncio.get_running_loop()
    sent: list[tuple[int, float]] = []

    async def person(chat: int) -> None:
        for i in range(4):
            await pacers[(chat + i) % 2].wait(chat)
            sent.append((chat, loop.time()))

    await asyncio.gather(*(person(c) for c in range(20)))
    check(sent, 20, 4)
