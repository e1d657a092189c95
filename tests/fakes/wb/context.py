"""Configuration, counters and the per-request context shared by the emulator's handlers."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.wb.state import DAY, SellerState
from tests.fakes.wb.tokens import TokenInfo


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class EmulatorConfig:
    """Knobs a test may change at any time (they are read on every request).

    `clock` is monotonic seconds for rate limits; `now` is the wall clock for data rules
    (token expiry, the 30-day archive, the 60-day edit window, new message timestamps).
    """

    limits_enabled: bool = True
    limit_scale: float = 1.0
    scope_error_status: int = 401  # 401 `token scope not allowed` or 403 (newest WB)
    events_page_size: int = 100
    clock: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = _utcnow
    answer_state: str = "wbRu"  # answer.state right after POST (WB: wbRu or reviewRequired)
    archive_days: int = 30
    edit_window_days: int = 60
    fractional_limit_headers: bool = False  # X-Ratelimit-Retry/Reset as "0.250" not "1"
    auto_create_sellers: bool = True  # unknown token sid -> empty shop (else 401)

    @property
    def edit_window(self) -> int:
        return self.edit_window_days * DAY


@dataclass
class Stats:
    """What tests assert on: traffic per limit group, 429s, faults, and accepted writes."""

    requests: Counter[str] = field(default_factory=Counter)  # per limit group (authenticated)
    throttled: Counter[str] = field(default_factory=Counter)  # 429s per group (incl. forced)
    statuses: Counter[int] = field(default_factory=Counter)
    paths: Counter[str] = field(default_factory=Counter)  # "GET /feedbacks/api/v1/feedbacks"
    faults: Counter[str] = field(default_factory=Counter)
    auth_failures: Counter[str] = field(default_factory=Counter)
    feedback_answers: list[tuple[str, str, str]] = field(default_factory=list)  # sid, id, text
    feedback_edits: list[tuple[str, str, str]] = field(default_factory=list)
    question_patches: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    messages_sent: list[tuple[str, str, str]] = field(default_factory=list)  # sid, chat, text
    ignored_writes: list[tuple[str, str, str]] = field(default_factory=list)  # sid, kind, id

    def reset(self) -> None:
        fresh = Stats()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))


@dataclass(slots=True)
class Ctx:
    request: web.Request
    seller: SellerState
    token: TokenInfo
    config: EmulatorConfig
    stats: Stats
    now: datetime

    @property
    def now_ts(self) -> int:
        return int(self.now.timestamp())

    @property
    def now_ms(self) -> int:
        return int(self.now.timestamp() * 1000)

    @property
    def archive_cutoff(self) -> int:
        return self.now_ts - self.config.archive_days * DAY


Handler = Callable[[Ctx], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    host: str  # path prefix: feedbacks, chat, content, common, prices
    method: str
    path: str
    handler: Handler
    group: str  # rate-limit group ("ping" becomes "ping:<host>")
    write: bool = False  # refused for read-only tokens
