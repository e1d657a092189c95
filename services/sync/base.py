"""What every sync kind shares: one run per store and kind, status bookkeeping, results.

`run_sync` claims the (store, kind) with a PostgreSQL advisory lock held on its own
connection for the whole run, so any number of processes may try at once and only one works.
It writes `stores.last_<kind>_update_*` (pending, then success or error with the reason) and
parks a store whose token WB refuses until the token changes.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import asyncpg

from db.models import StoreRow
from db.pool import Connection
from db.repos import stores as stores_repo
from db.secrets import SecretUnreadable
from services.wb.errors import WBAuthError, WBError
from services.wb.factory import TOKEN_UNREADABLE, store_tokens

log = logging.getLogger(__name__)

SyncKind = Literal["products", "reviews", "questions", "chats"]
KINDS: tuple[SyncKind, ...] = ("products", "reviews", "questions", "chats")
SYNC_LOCK_CLASS: dict[str, int] = {
    "products": 71001,
    "reviews": 71002,
    "questions": 71003,
    "chats": 71004,
}

Progress = Callable[[str, int], None]
"""Called as `progress(what, count_so_far)` while a sync runs (CLI progress bars)."""


ALREADY_RUNNING = "already running"
"""`SyncResult.skipped` when another process holds this store and kind."""


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
    new_reviews: list[NewReview] = field(default_factory=list)
    new_messages: list[NewMessage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and self.skipped is None


Runner = Callable[[Connection, StoreRow, SyncResult, datetime, datetime | None], Awaitable[None]]
"""(claimed connection, store, result, now, last successful run of this kind or None)."""


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
) -> SyncResult:
    """Claim (store, kind), run `runner` on the claimed connection, record the outcome."""
    now = now or datetime.now(UTC)
    result = SyncResult(store_id=store_id, kind=kind, full=full)
    async with pool.acquire() as conn:
        locked = await conn.fetchval(
            "SELECT pg_try_advisory_lock($1, hashtext($2))", SYNC_LOCK_CLASS[kind], store_id
        )
        if not locked:
            result.skipped = ALREADY_RUNNING
            return result
        try:
            store = await stores_repo.get_store(conn, store_id)
            if store is None:
                result.skipped = "store not found"
                return result
            if not store.is_active:
                result.skipped = "store is paused"
                return result
            state = await stores_repo.get_sync_state(conn, store_id, kind)
            try:
                token = token_for_kind(store) if token_for_kind else store_tokens(store).api_token
            except SecretUnreadable:
                # Not WB's refusal and not a crash: the card says how to fix it.
                log.warning("sync %s of store %s: %s", kind, store_id, TOKEN_UNREADABLE)
                result.error = TOKEN_UNREADABLE
                await stores_repo.set_sync_status(
                    conn, store_id, kind, "error", at=now, error=TOKEN_UNREADABLE
                )
                return result
            if (
                state is not None
                and state["auth_error"]
                and (state["auth_error_token"] == token_fingerprint(token))
            ):
                result.skipped = f"token refused by WB: {state['auth_error']}"
                return result
            first = state is None or state["last_success_at"] is None
            result.full = full or first
            result.backfill = result.full
            await stores_repo.set_sync_status(conn, store_id, kind, "pending", at=now)
            try:
                since = state["last_success_at"] if state is not None else None
                await runner(conn, store, result, now, since)
            except WBAuthError as exc:
                result.error = exc.reason
                await stores_repo.record_auth_error(
                    conn, store_id, kind, reason=exc.reason, token_hash=token_fingerprint(token)
                )
            except WBError as exc:
                result.error = str(exc)
            except Exception as exc:
                # A bug or a database failure: leave a truthful status, then let it surface.
                await stores_repo.set_sync_status(
                    conn,
                    store_id,
                    kind,
                    "error",
                    at=now,
                    error=f"internal error: {type(exc).__name__}",
                )
                raise
            if result.error is None:
                await stores_repo.record_sync_success(
                    conn,
                    store_id,
                    kind,
                    started_at=now,
                    full=result.full,
                    new=result.inserted,
                )
                await stores_repo.set_sync_status(conn, store_id, kind, "success", at=now)
            else:
                log.warning("sync %s of store %s failed: %s", kind, store_id, result.error)
                await stores_repo.set_sync_status(
                    conn, store_id, kind, "error", at=now, error=result.error[:500]
                )
        finally:
            await conn.execute(
                "SELECT pg_advisory_unlock($1, hashtext($2))", SYNC_LOCK_CLASS[kind], store_id
            )
    return result
