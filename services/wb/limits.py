"""Client-side rate limiting that keeps the bot inside WB's per-seller budgets.

WB limits are token buckets per seller account and method group (wb-api.md §2.4-2.5). We model
each (seller, group) as GCRA, which is a token bucket stored as one number, the "theoretical
arrival time" (TAT): a call is due at ``max(TAT, now) + interval`` and may go at once while that
is within ``burst * interval`` of now. ``acquire`` *reserves* its slot and then sleeps until it,
so concurrent callers queue fairly without polling.

Two implementations share the :class:`RateLimiter` protocol: :class:`MemoryRateLimiter` for one
process and :class:`RedisRateLimiter`, whose state lives in Redis and is updated by one Lua
script, so every bot instance draws from the same budget.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

#: Waits below this are float noise, not a limit.
_EPSILON: Final = 1e-6


@dataclass(frozen=True)
class Limit:
    """``count`` requests per ``period`` seconds, at most ``burst`` at once."""

    period: float
    count: int
    burst: int

    @property
    def interval(self) -> float:
        return self.period / self.count


#: Groups and their limits per token kind. "personal" covers personal, service and
#: base-with-secret tokens (same row in WB's tables) and is used for every type without its
#: own row; "base" is WB's Base column. Test tokens (sandbox only) get the personal values.
LIMITS: Final[Mapping[str, Mapping[str, Limit]]] = {
    # Feedbacks and questions share one bucket.
    "feedbacks": {"personal": Limit(1.0, 3, 6), "base": Limit(3600.0, 5, 1)},
    "chat": {"personal": Limit(10.0, 10, 10), "base": Limit(3600.0, 1, 1)},
    "chat_download": {"personal": Limit(10.0, 10, 10), "base": Limit(3600.0, 10, 1)},
    "content": {"personal": Limit(60.0, 100, 5), "base": Limit(60.0, 100, 5)},
    "prices": {"personal": Limit(6.0, 10, 5), "base": Limit(3600.0, 4, 1)},
    "common": {"personal": Limit(60.0, 1, 10), "base": Limit(60.0, 1, 10)},
    # "Max 3 requests per 30 s" per host: one per 10 s keeps any 30 s window at 3.
    "ping": {"personal": Limit(30.0, 3, 1), "base": Limit(30.0, 3, 1)},
}

GROUPS: Final[frozenset[str]] = frozenset(LIMITS)


def limit_for(group: str, token_type: str) -> Limit:
    """The limit of ``group`` for a token type. ``ping:<host>`` uses the ``ping`` row."""
    base_group = group.split(":", 1)[0]
    rows = LIMITS.get(base_group)
    if rows is None:
        raise KeyError(f"unknown rate-limit group {group!r}")
    return rows.get(token_type, rows["personal"])


@dataclass(frozen=True)
class LimitsConfig:
    """How the client applies WB's limits.

    ``scale`` multiplies every rate (tests use e.g. 50 to run 50x faster, with the emulator's
    ``limit_scale`` set the same).

    Headroom, so a request that reaches WB a little late or early still fits WB's bucket
    (WB measures arrival, we measure departure): ``burst_reserve`` slots of each burst are
    never used (a burst of 1 stays 1) and ``rate_margin`` makes the steady rate that much
    slower. Set both to 0 for WB's exact values.

    ``max_wait``: if a call would have to wait longer than this for its slot, ``acquire``
    raises :class:`RateLimitExceeded` instead of sleeping (a base token's 12-minute interval
    should reschedule a job, not block it). ``None`` waits without bound.
    """

    enabled: bool = True
    scale: float = 1.0
    max_wait: float | None = 120.0
    burst_reserve: int = 1
    rate_margin: float = 0.05

    def limit(self, group: str, token_type: str) -> Limit:
        raw = limit_for(group, token_type)
        period = raw.period * (1.0 + self.rate_margin) / self.scale
        burst = max(1, raw.burst - self.burst_reserve)
        return Limit(period, raw.count, burst)


class RateLimitExceeded(Exception):
    """The slot is further away than ``LimitsConfig.max_wait``; nothing was reserved."""

    def __init__(self, group: str, retry_after: float) -> None:
        super().__init__(f"rate limit of group {group!r}: next slot in {retry_after:.3g} s")
        self.group = group
        self.retry_after = retry_after


class RateLimiter(Protocol):
    """Waits until a call of ``group`` for seller ``key`` fits WB's limit, then returns."""

    async def acquire(self, key: str, group: str, token_type: str) -> None: ...

    async def penalize(self, key: str, group: str, token_type: str, seconds: float) -> None:
        """WB said 429 with retry in ``seconds``: hold every caller of this bucket that long."""
        ...


class NoRateLimiter:
    """Lets everything through (limits off)."""

    async def acquire(self, key: str, group: str, token_type: str) -> None:
        return None

    async def penalize(self, key: str, group: str, token_type: str, seconds: float) -> None:
        return None


class MemoryRateLimiter:
    """In-process GCRA. Safe for concurrent tasks: the reservation has no await inside."""

    def __init__(
        self,
        config: LimitsConfig | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.config = config or LimitsConfig()
        self._clock = clock
        self._sleep = sleep
        self._tat: dict[tuple[str, str], float] = {}

    def _reserve(self, key: str, group: str, token_type: str) -> float:
        lim = self.config.limit(group, token_type)
        wait = self._gcra((key, group), lim, max_wait=self.config.max_wait)
        if wait < 0:
            raise RateLimitExceeded(group, -wait)
        return wait

    def _gcra(
        self, bucket: tuple[str, str], lim: Limit, *, max_wait: float | None, book: bool = True
    ) -> float:
        """The wait for the next call of `bucket`, booked unless `book` is False or the wait
        is over `max_wait` (then the wait comes back negative, nothing booked)."""
        now = self._clock()
        interval = lim.interval
        new_tat = max(self._tat.get(bucket, now), now) + interval
        wait = new_tat - now - lim.burst * interval
        if wait < _EPSILON:
            wait = 0.0
        if wait > 0 and max_wait is not None and wait > max_wait:
            return -wait
        if book:
            self._tat[bucket] = new_tat
        return wait

    # --- buckets with their own limit (Telegram's, bot/notifier.py): same GCRA ----------

    async def take(self, key: str, lim: Limit) -> None:
        """Book the next slot of `key` and sleep until it."""
        wait = self._gcra((key, ""), lim, max_wait=None)
        if wait > 0:
            await self._sleep(wait)

    async def try_take(self, key: str, lim: Limit) -> float:
        """Book a slot of `key` only if it is free now: 0.0, else the wait (nothing booked)."""
        return abs(self._gcra((key, ""), lim, max_wait=0.0))

    async def peek(self, key: str, lim: Limit) -> float:
        """How long until `key` has a free slot; nothing is booked."""
        return self._gcra((key, ""), lim, max_wait=None, book=False)

    async def hold(self, key: str, lim: Limit, seconds: float) -> None:
        """Nothing of `key` goes for `seconds` (a 429's retry_after)."""
        now = self._clock()
        blocked = now + seconds + (lim.burst - 1) * lim.interval
        self._tat[(key, "")] = max(self._tat.get((key, ""), now), blocked)

    async def acquire(self, key: str, group: str, token_type: str) -> None:
        if not self.config.enabled:
            return
        wait = self._reserve(key, group, token_type)
        if wait > 0:
            log.debug("rate limit %s: waiting %.3f s", group, wait)
            await self._sleep(wait)

    async def penalize(self, key: str, group: str, token_type: str, seconds: float) -> None:
        if not self.config.enabled or seconds <= 0:
            return
        lim = self.config.limit(group, token_type)
        now = self._clock()
        blocked = now + seconds + (lim.burst - 1) * lim.interval
        self._tat[(key, group)] = max(self._tat.get((key, group), now), blocked)


# KEYS[1] bucket key. ARGV: now (s, or "" to use Redis TIME), interval (s), burst,
# max_wait (s, or "" for none), mode ("acquire" | "penalize" | "peek": the wait, nothing
# booked), penalty seconds.
# Returns the wait in seconds as a string; a negative value means "over max_wait, nothing
# reserved" (its absolute value is the wait).
_GCRA_LUA: Final = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[1])
end
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '')
if tat == nil or tat < now then tat = now end
local new_tat
local wait = 0
if ARGV[5] == 'penalize' then
  local blocked = now + tonumber(ARGV[6]) + (burst - 1) * interval
  if blocked > tat then new_tat = blocked else new_tat = tat end
else
  new_tat = tat + interval
  wait = new_tat - now - burst * interval
  if wait < 0.000001 then wait = 0 end
  if wait > 0 and ARGV[4] ~= '' and wait > tonumber(ARGV[4]) then
    return string.format('%.17g', -wait)
  end
  if ARGV[5] == 'peek' then
    return string.format('%.17g', wait)
  end
end
local ttl = math.ceil((new_tat - now) * 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.17g', new_tat), 'PX', ttl)
return string.format('%.17g', wait)
"""


class RedisRateLimiter:
    """GCRA state in Redis (``{prefix}:{sid}:{group}``), shared by all bot instances.

    With ``clock=None`` the script reads Redis' own ``TIME``, so instances on different hosts
    agree on "now"; tests pass a fake clock and its value is sent with each call.

    If Redis fails, calls fall back to an in-process limiter with the same values (this
    instance keeps to WB's limits on its own; instances together may not) and a warning is
    logged once; the shared budget is used again as soon as Redis answers.
    """

    def __init__(
        self,
        redis: Redis,
        config: LimitsConfig | None = None,
        *,
        prefix: str = "wbrep:rl",
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.config = config or LimitsConfig()
        self._redis = redis
        self._prefix = prefix
        self._clock = clock
        self._sleep = sleep
        self._script = redis.register_script(_GCRA_LUA)
        self._fallback = MemoryRateLimiter(self.config, clock=clock or time.monotonic, sleep=sleep)
        self._degraded = False

    def key(self, key: str, group: str) -> str:
        return f"{self._prefix}:{key}:{group}"

    async def _run(
        self, key: str, group: str, token_type: str, mode: str, penalty: float = 0.0
    ) -> float | None:
        """The script's answer, or ``None`` when Redis is unavailable."""
        lim = self.config.limit(group, token_type)
        return await self._script_run(
            self.key(key, group), lim, mode, self.config.max_wait, penalty
        )

    async def _script_run(
        self, bucket: str, lim: Limit, mode: str, max_wait: float | None, penalty: float = 0.0
    ) -> float | None:
        now = "" if self._clock is None else repr(self._clock())
        max_wait_arg = "" if max_wait is None else repr(max_wait)
        try:
            result = await self._script(
                keys=[bucket],
                args=[now, repr(lim.interval), str(lim.burst), max_wait_arg, mode, repr(penalty)],
            )
        except RedisError as exc:
            if not self._degraded:
                log.warning("rate limiter: Redis unavailable (%s); limiting in-process", exc)
                self._degraded = True
            return None
        if self._degraded:
            log.warning("rate limiter: Redis is back; shared limits again")
            self._degraded = False
        text = result.decode() if isinstance(result, bytes) else str(result)
        return float(text)

    async def acquire(self, key: str, group: str, token_type: str) -> None:
        if not self.config.enabled:
            return
        wait = await self._run(key, group, token_type, "acquire")
        if wait is None:
            await self._fallback.acquire(key, group, token_type)
            return
        if wait < 0:
            raise RateLimitExceeded(group, -wait)
        if wait > 0:
            log.debug("rate limit %s: waiting %.3f s", group, wait)
            await self._sleep(wait)

    async def penalize(self, key: str, group: str, token_type: str, seconds: float) -> None:
        if not self.config.enabled or seconds <= 0:
            return
        await self._fallback.penalize(key, group, token_type, seconds)
        await self._run(key, group, token_type, "penalize", seconds)

    # --- buckets with their own limit (Telegram's, bot/notifier.py): shared by instances ---

    async def take(self, key: str, lim: Limit) -> None:
        wait = await self._script_run(f"{self._prefix}:{key}", lim, "acquire", None)
        if wait is None:
            await self._fallback.take(key, lim)
        elif wait > 0:
            await self._sleep(wait)

    async def try_take(self, key: str, lim: Limit) -> float:
        wait = await self._script_run(f"{self._prefix}:{key}", lim, "acquire", 0.0)
        return await self._fallback.try_take(key, lim) if wait is None else abs(wait)

    async def peek(self, key: str, lim: Limit) -> float:
        wait = await self._script_run(f"{self._prefix}:{key}", lim, "peek", None)
        return await self._fallback.peek(key, lim) if wait is None else wait

    async def hold(self, key: str, lim: Limit, seconds: float) -> None:
        await self._fallback.hold(key, lim, seconds)
        await self._script_run(f"{self._prefix}:{key}", lim, "penalize", None, seconds)
