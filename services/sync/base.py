"""What every sync kind shares: one run per store and kind, status bookkeeping, results.

`run_sync` claims the (store, kind) with a lease in `sync_state` (holder and expiry, taken by
a conditional upsert), so any number of processes may try at once and only one works. No
connection is held across WB calls: each page takes one from the pool for its write. The
lease is renewed before every page is written (and every third of its time while WB is
waited for) and released at the end; a killed process's lease expires, and its
`pending` status then reads as interrupted (`db/repos/stores.py`). A run whose lease was
taken over (it stalled past the expiry) stops before its next write. `run_sync` writes
`stores.last_<kind>_update_*` (pending, then success or error with the reason) and parks a
store whose token WB refuses until the token changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal, TypeVar

import asyncpg

from db.models import StoreRow
from db.repos import stores as stores_repo
from db.secrets import SecretUnreadable
from services.wb.errors import WBAuthError, WBError
from services.wb.factory import TOKEN_UNREADABLE, store_tokens

log = logging.getLogger(__name__)

SyncKind = Literal["products", "reviews", "questions", "chats"]
KINDS: tuple[SyncKind, ...] = ("products", "reviews", "questions", "chats")

Progress = Callable[[str, int], None]
"""Called as `progress(what, count_so_far)` while a sync runs (CLI progress bars); `what`
is a `SyncStep`."""


class SyncStep(StrEnum):
    """What a running sync reports progress on; the bot has a label for each."""

    PRODUCTS = "products"
    REVIEWS = "reviews"
    QUESTIONS = "questions"
    CHAT_EVENTS = "chat events"


ALREADY_RUNNING = "already running"
"""`SyncResult.skipped` when another process holds this store and kind."""

PARKED_BY_WB = "token refused by WB"
"""How `SyncResult.skipped` starts for a store parked until its token changes."""

TAKEN_OVER = "interrupted: another process took over"
"""`SyncResult.error` of a run that stalled past its lease while another process took it."""

INTERNAL_ERROR = "internal error"
"""How `SyncResult.error` and the stored status start for a failure that is not WB's."""


DEFAULT_LEASE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """Page sizes, caps and windows; WB's values by default, tests shrink them."""

    feedbacks_take: int = 5000
    feedbacks_skip_cap: int = 199_990
    questions_take: int = 5000
    questions_window_cap: int = 10_000
    incremental_overlap: timedelta = timedelta(hours=3)
    history_start: datetime = datetime(2018, 1, 1, tzinfo=UTC)
    max_event_pages: int = 500
    vanish_max_share: float = 0.3
    vanish_window: int = 100
    """Reviews per window of the vanished check (in date order); see `mark_vanished`."""
    lease: timedelta = DEFAULT_LEASE
    """How long a run's claim lasts without a heartbeat: how soon a killed run reads as
    interrupted and another process may sync the kind."""


@dataclass(frozen=True, slots=True)
class NewReview:
    id: str
    rating: int
    date: datetime


@dataclass(frozen=True, slots=True)
class NewMessage:
    chat_id: str
    message_id: str
    sender: str
    text: str | None
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class SetAside:
    id: str
    reason: str


@dataclass
class SyncResult:
    store_id: str
    kind: SyncKind
    full: bool = False
    backfill: bool = False
    """First or full sync: it only fills history, so nothing in it alerts or auto-drafts."""
    skipped: str | None = None
    """Why nothing ran (another process holds the lock, store paused, token parked)."""
    error: str | None = None
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    vanished: int = 0
    vanish_windows_skipped: int = 0
    products_created: int = 0
    set_aside: list[SetAside] = field(default_factory=list)
    """Rows the database refused even after cleaning; the rest of their page was stored."""
    new_reviews: list[NewReview] = field(default_factory=list)
    new_messages: list[NewMessage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and self.skipped is None


class LeaseLost(Exception):
    """Another process took this run's (store, kind) after the lease expired: stop writing."""


class SyncRun:
    """A claimed run: the pool to take a connection from per write, and the lease's heartbeat."""

    def __init__(self, pool: asyncpg.Pool, store_id: str, kind: SyncKind, ttl: timedelta) -> None:
        self.pool = pool
        self.store_id = store_id
        self.kind = kind
        self.holder = uuid.uuid4().hex
        self.ttl = ttl

    async def claim(self) -> bool:
        return await stores_repo.claim_sync_lease(
            self.pool, self.store_id, self.kind, holder=self.holder, ttl=self.ttl
        )

    async def beat(self) -> None:
        """Renew the lease before a write; raise `LeaseLost` if it is no longer ours."""
        if not await stores_repo.renew_sync_lease(
            self.pool, self.store_id, self.kind, holder=self.holder, ttl=self.ttl
        ):
            raise LeaseLost(f"sync {self.kind} of store {self.store_id}: lease taken over")

    async def keep(self) -> None:
        """Renew every third of the lease while WB is waited for (429 pauses, slow pages)."""
        with contextlib.suppress(LeaseLost):
            while True:
                await asyncio.sleep(self.ttl.total_seconds() / 3)
                try:
                    await self.beat()
                except (OSError, asyncpg.PostgresError) as exc:  # the next beat tries again
                    log.warning("sync lease renewal failed: %s", exc)

    async def release(self) -> None:
        await stores_repo.release_sync_lease(
            self.pool, self.store_id, self.kind, holder=self.holder
        )


Runner = Callable[[SyncRun, StoreRow, SyncResult, datetime, datetime | None], Awaitable[None]]
"""(claimed run, store as read under the claim, result, now, last successful run or None)."""


def token_fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def run_sync(
    pool: asyncpg.Pool,
    store_id: str,
    kind: SyncKind,
    runner: Runner,
    *,
    full: bool = False,
    now: datetime | None = None,
    token_for_kind: Callable[[StoreRow], str] | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> SyncResult:
    """Claim (store, kind), run `runner` under the claim, record the outcome, release."""
    now = now or datetime.now(UTC)
    result = SyncResult(store_id=store_id, kind=kind, full=full)
    run = SyncRun(pool, store_id, kind, lease)
    try:
        claimed = await run.claim()
    except asyncpg.ForeignKeyViolationError:
        claimed = None
    if claimed is None or (store := await stores_repo.get_store(pool, store_id)) is None:
        result.skipped = "store not found"
        if claimed:
            await run.release()
        return result
    if not claimed:
        result.skipped = ALREADY_RUNNING
        return result
    keeper = asyncio.create_task(run.keep())
    try:
        await _run_claimed(run, store, result, runner, now, full, token_for_kind)
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        try:
            await run.release()
        except (OSError, asyncpg.PostgresError) as exc:  # it expires by itself
            log.warning("sync %s of store %s: lease not released: %s", kind, store_id, exc)
    return result


async def _run_claimed(
    run: SyncRun,
    store: StoreRow,
    result: SyncResult,
    runner: Runner,
    now: datetime,
    full: bool,
    token_for_kind: Callable[[StoreRow], str] | None,
) -> None:
    pool, store_id, kind = run.pool, run.store_id, run.kind
    if not store.is_active:
        result.skipped = "store is paused"
        return
    state = await stores_repo.get_sync_state(pool, store_id, kind)
    try:
        token = token_for_kind(store) if token_for_kind else store_tokens(store).api_token
    except SecretUnreadable:
        # Not WB's refusal and not a crash: the card says how to fix it.
        log.warning("sync %s of store %s: %s", kind, store_id, TOKEN_UNREADABLE)
        result.error = TOKEN_UNREADABLE
        await stores_repo.set_sync_status(
            pool, store_id, kind, "error", at=now, error=TOKEN_UNREADABLE
        )
        return
    if (
        state is not None
        and state["auth_error"]
        and (state["auth_error_token"] == token_fingerprint(token))
    ):
        result.skipped = f"{PARKED_BY_WB}: {state['auth_error']}"
        return
    first = state is None or state["last_success_at"] is None
    result.full = full or first
    result.backfill = result.full
    await stores_repo.set_sync_status(pool, store_id, kind, "pending", at=now)
    try:
        since = state["last_success_at"] if state is not None else None
        await runner(run, store, result, now, since)
    except WBAuthError as exc:
        result.error = exc.reason
        await stores_repo.record_auth_error(
            pool, store_id, kind, reason=exc.reason, token_hash=token_fingerprint(token)
        )
    except WBError as exc:
        result.error = str(exc)
    except LeaseLost as exc:
        # Another process runs this kind now and keeps the status: write nothing more.
        log.warning("%s", exc)
        result.error = TAKEN_OVER
        return
    except Exception as exc:
        # A bug or a database failure: leave a truthful status, then let it surface.
        await stores_repo.set_sync_status(
            pool,
            store_id,
            kind,
            "error",
            at=now,
            error=f"{INTERNAL_ERROR}: {type(exc).__name__}",
        )
        raise
    if result.error is None:
        await stores_repo.record_sync_success(
            pool,
            store_id,
            kind,
            started_at=now,
            full=result.full,
            new=result.inserted,
        )
        await stores_repo.set_sync_status(pool, store_id, kind, "success", at=now)
    else:
        log.warning("sync %s of store %s failed: %s", kind, store_id, result.error)
        await stores_repo.set_sync_status(
            pool, store_id, kind, "error", at=now, error=result.error[:500]
        )


# --- rows the database refuses ----------------------------------------------------------------

R = TypeVar("R")
W = TypeVar("W")

ROW_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.DataError,
    asyncpg.NotNullViolationError,
    asyncpg.CheckViolationError,
    OverflowError,  # asyncpg's COPY encoder: a number out of the column's range
    UnicodeError,  # asyncpg's COPY encoder: text that is not valid UTF-8
)
"""What one row's values can cause (bad text, out-of-range numbers, a check): worth splitting
the page to find the row. Anything else (connection lost, the store deleted meanwhile, a bug)
fails the run as before."""

MAX_SET_ASIDE = 20
"""More refused rows than this in one page is not a bad row but a fault: the kind fails."""


class TooManyRefused(Exception):
    """The database refused more than MAX_SET_ASIDE rows of one page."""


async def store_rows(
    rows: Sequence[R],
    write: Callable[[Sequence[R]], Awaitable[W]],
    *,
    row_id: Callable[[R], str],
    result: SyncResult,
) -> list[W]:
    """Write `rows` at once; if the database refuses them, write halves, down to single rows.

    A single row still refused is set aside (logged with its id and the reason, and listed in
    `result.set_aside`) and the rest of the page is stored. Each `write` is one transaction,
    so a refused part leaves nothing behind. One bad row in a page of 5,000 costs about 25
    writes instead of stopping the kind's sync for good; a page with more than MAX_SET_ASIDE
    refused rows raises `TooManyRefused` (a fault, not bad rows).
    """
    refused = 0

    async def parts(chunk: Sequence[R]) -> list[W]:
        nonlocal refused
        if not chunk:
            return []
        try:
            return [await write(chunk)]
        except ROW_ERRORS as exc:
            if len(chunk) == 1:
                refused += 1
                if refused > MAX_SET_ASIDE:
                    raise TooManyRefused(
                        f"more than {MAX_SET_ASIDE} rows of a page refused, the last: {exc}"
                    ) from exc
                reason = f"{type(exc).__name__}: {exc}"[:300]
                row = row_id(chunk[0])
                log.warning(
                    "sync %s of store %s: row %s set aside: %s",
                    result.kind,
                    result.store_id,
                    row,
                    reason,
                )
                result.set_aside.append(SetAside(row, reason))
                return []
        mid = len(chunk) // 2
        first = await parts(chunk[:mid])
        return first + await parts(chunk[mid:])

    return await parts(rows)
