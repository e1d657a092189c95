"""Token-bucket rate limits with WB's values (wb-api.md §2.4-2.5).

A bucket belongs to (seller `sid`, limit group, token type). It holds up to `burst` requests and
refills at `limit / period` requests per second; `limit_scale` multiplies that rate so tests can
run a realistic sequence quickly. Time comes from an injectable monotonic clock, so tests move
time with `ManualClock.advance` instead of sleeping.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Limit:
    """`limit` requests per `period` seconds, at most `burst` at once."""

    period: float
    limit: int
    burst: int

    @property
    def rate(self) -> float:
        return self.limit / self.period


HOUR = 3600.0

# group -> token type -> limit; "personal" is the fallback for every other type.
LIMITS: dict[str, dict[str, Limit]] = {
    # all Feedbacks & Questions methods share one bucket
    "feedbacks": {"personal": Limit(1.0, 3, 6), "base": Limit(HOUR, 5, 1)},
    "chat": {"personal": Limit(10.0, 10, 10), "base": Limit(HOUR, 1, 1)},
    "chat_download": {"personal": Limit(10.0, 10, 10), "base": Limit(HOUR, 10, 1)},
    "content": {"personal": Limit(60.0, 100, 5)},
    "prices": {"personal": Limit(6.0, 10, 5), "base": Limit(HOUR, 4, 1)},
    "seller_info": {"personal": Limit(60.0, 1, 10)},
    # /ping: 3 requests per 30 s on each host separately (groups "ping:<host>")
    "ping": {"personal": Limit(30.0, 3, 3)},
}


def limit_for(group: str, token_kind: str) -> Limit:
    table = LIMITS["ping" if group.startswith("ping:") else group]
    return table.get(token_kind, table["personal"])


class ManualClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(slots=True)
class Decision:
    """The outcome of one request against a bucket, with WB's header values."""

    allowed: bool
    remaining: int
    retry_after: float
    reset_after: float
    burst: int

    def headers(self, *, fractional: bool = False) -> dict[str, str]:
        def fmt(seconds: float) -> str:
            return f"{seconds:.3f}" if fractional else str(max(1, math.ceil(seconds)))

        if self.allowed:
            return {"X-Ratelimit-Remaining": str(self.remaining)}
        return {
            "X-Ratelimit-Retry": fmt(self.retry_after),
            "X-Ratelimit-Limit": str(self.burst),
            "X-Ratelimit-Reset": fmt(self.reset_after),
        }


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Buckets keyed by (sid, group, token kind); rates read per call so config can change."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}

    def reset(self) -> None:
        self._buckets.clear()

    def hit(self, sid: str, group: str, token_kind: str, *, scale: float = 1.0) -> Decision:
        limit = limit_for(group, token_kind)
        rate = limit.rate * scale
        now = self.clock()
        key = (sid, group, token_kind)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(limit.burst), now)
        else:
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(float(limit.burst), bucket.tokens + elapsed * rate)
            bucket.updated = now
        if bucket.tokens >= 1.0 - 1e-9:
            bucket.tokens = max(0.0, bucket.tokens - 1.0)
            return Decision(
                allowed=True,
                remaining=math.floor(bucket.tokens + 1e-9),
                retry_after=0.0,
                reset_after=(limit.burst - bucket.tokens) / rate,
                burst=limit.burst,
            )
        return Decision(
            allowed=False,
            remaining=0,
            retry_after=(1.0 - bucket.tokens) / rate,
            reset_after=(limit.burst - bucket.tokens) / rate,
            burst=limit.burst,
        )

    def rejected(self, group: str, token_kind: str, *, scale: float = 1.0) -> Decision:
        """A 429 that does not come from a bucket (forced by fault injection)."""
        limit = limit_for(group, token_kind)
        rate = limit.rate * scale
        return Decision(False, 0, 1.0 / rate, limit.burst / rate, limit.burst)
