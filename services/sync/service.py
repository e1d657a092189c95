"""The entry point for syncing: one call per store and kind, or all kinds in order.

An incremental reviews run queues what it found new (`new_reviews`, the queue alerts and
auto-drafting work from) with each page it writes, before it returns or fails, so every
caller (the scheduler, "sync now", the CLI) gets the alerts. `sync_all` runs each kind on
its own: one kind's failure, whatever it is, is that kind's result and the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import asyncpg

from db.models import StoreRow
from services.sync.base import (
    INTERNAL_ERROR,
    KINDS,
    Progress,
    SyncKind,
    SyncOptions,
    SyncResult,
    SyncRun,
    run_sync,
)
from services.sync.chats import sync_chats
from services.sync.products import sync_products
from services.sync.questions import sync_questions
from services.sync.reviews import sync_reviews
from services.wb.factory import WBClientFactory, store_tokens
from services.wb.models import HostName

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

_HOST_OF_KIND: dict[SyncKind, HostName] = {
    "products": "content",
    "reviews": "feedbacks",
    "questions": "feedbacks",
    "chats": "chat",
}


def _token_for(kind: SyncKind) -> Callable[[StoreRow], str]:
    """The token a kind's sync uses (a category token if the store has one)."""
    host = _HOST_OF_KIND[kind]

    def pick(store: StoreRow) -> str:
        return store_tokens(store).for_host(host)

    return pick


class SyncService:
    def __init__(
        self,
        pool: asyncpg.Pool,
        wb: WBClientFactory,
        options: SyncOptions | None = None,
    ) -> None:
        self.pool = pool
        self.wb = wb
        self.options = options or SyncOptions()

    async def sync(
        self,
        store_id: str,
        kind: SyncKind,
        *,
        full: bool = False,
        now: datetime | None = None,
        progress: Progress | None = None,
    ) -> SyncResult:
        """Sync one kind of one store; returns what was new (see `SyncResult`)."""
        options = self.options

        async def runner(
            run: SyncRun,
            store: StoreRow,
            result: SyncResult,
            at: datetime,
            since: datetime | None,
        ) -> None:
            client = self.wb.for_store(store)
            if kind == "reviews":
                await sync_reviews(
                    run,
                    store,
                    result,
                    at,
                    client=client,
                    options=options,
                    since=since,
                    progress=progress,
                )
            elif kind == "questions":
                await sync_questions(
                    run,
                    store,
                    result,
                    at,
                    client=client,
                    options=options,
                    since=since,
                    progress=progress,
                )
            elif kind == "chats":
                await sync_chats(
                    run, store, result, client=client, options=options, progress=progress
                )
            else:
                await sync_products(run, store, result, client=client, progress=progress)

        return await run_sync(
            self.pool,
            store_id,
            kind,
            runner,
            full=full,
            now=now,
            token_for_kind=_token_for(kind),
            lease=options.lease,
        )

    async def sync_all(
        self,
        store_id: str,
        *,
        kinds: tuple[SyncKind, ...] = KINDS,
        full: bool = False,
        now: datetime | None = None,
        progress: Progress | None = None,
    ) -> list[SyncResult]:
        """Products first, so reviews and chats find their products' names. Each kind runs
        whatever happened to the one before; an unexpected failure is logged and becomes
        that kind's `internal error` result."""
        results = []
        for kind in kinds:
            try:
                result = await self.sync(store_id, kind, full=full, now=now, progress=progress)
            except Exception as exc:
                log.exception("sync %s of store %s failed", kind, store_id)
                result = SyncResult(
                    store_id=store_id,
                    kind=kind,
                    full=full,
                    error=f"{INTERNAL_ERROR}: {type(exc).__name__}",
                )
            results.append(result)
        return results
