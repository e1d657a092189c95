"""What the scheduler runs. Every job takes the current time (`now`) as a parameter, so tests
run them under a controlled clock, and every job is safe on several instances at once:

- a store's sync slot is claimed in `sync_schedule` (a conditional upsert moves it forward),
  and the sync itself holds a lease per store and kind in `sync_state` (`run_sync`);
- new reviews go to the durable `new_reviews` queue (the sync writes it); drafting claims
  queue rows with FOR UPDATE SKIP LOCKED; alerts are claimed by their `review_alerts` row
  (services/alerts.py);
- owner notices are claimed by a row or flag before the send (services/reminders.py).

Paused stores (`status = 'inactive'`) and stores whose owner is not approved are skipped by
every job (a rejection pauses the owner's stores as well).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from db.claims import STALE_CLAIM
from db.repos import alerts as alerts_repo
from db.repos import stores as stores_repo
from db.repos.user_settings import get_user_settings
from services import metrics
from services.ai.errors import AIError
from services.alerts import AlertService, DispatchReport
from services.chats.alerts import ChatAlertService
from services.chats.tagger import ChatTagger
from services.complaints import ComplaintError, ComplaintService
from services.msk import MSK
from services.reminders import ReminderReport, ReminderService
from services.sequences import RunReport, SequenceService
from services.settings import Settings
from services.sync.base import ALREADY_RUNNING, KINDS, PARKED_BY_WB, SyncKind, SyncResult
from services.sync.service import SyncService

log = logging.getLogger(__name__)

FULL_KINDS: tuple[SyncKind, ...] = ("reviews", "questions")
"""Kinds the nightly full sync re-reads (products are read whole every run; chats follow
WB's event cursor)."""


@dataclass(frozen=True, slots=True)
class JobConfig:
    intervals: dict[str, int] = field(
        default_factory=lambda: {"reviews": 300, "questions": 600, "chats": 300, "products": 21600}
    )
    full_sync_hour: int = 3
    tz: ZoneInfo = MSK
    stores_at_once: int = 4
    drafts_per_run: int = 20
    """Auto-drafts per store and run; the rest wait for the next run."""
    drafts_at_once: int = 3
    draft_attempts: int = 3
    draft_stale: timedelta = STALE_CLAIM
    slot_tolerance: timedelta = timedelta(seconds=1)
    """A sync slot due this soon counts as due: a tick that fires a little early takes it."""
    busy_retries: tuple[float, ...] = (30.0, 60.0, 120.0)
    """Waits before a nightly full sync tries a kind again that an incremental run held."""

    @classmethod
    def from_settings(cls, s: Settings) -> JobConfig:
        return cls(
            intervals={
                "reviews": s.sync_reviews_seconds,
                "questions": s.sync_questions_seconds,
                "chats": s.sync_chats_seconds,
                "products": s.sync_products_seconds,
            },
            full_sync_hour=s.full_sync_hour,
            tz=s.tz,
        )


@dataclass
class DraftReport:
    drafted: int = 0
    refused: int = 0
    failed: int = 0
    deferred: int = 0
    """Met a person drafting the same review: left for a later run, no attempt used."""


class Jobs:
    def __init__(
        self,
        pool: asyncpg.Pool,
        sync: SyncService,
        complaints: ComplaintService,
        alerts: AlertService,
        reminders: ReminderService,
        config: JobConfig | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sequences: SequenceService | None = None,
    ) -> None:
        self.pool = pool
        self.sequences = sequences
        self.sync = sync
        self.complaints = complaints
        self.alerts = alerts
        self.reminders = reminders
        self.config = config or JobConfig()
        self.clock = clock
        self.chat_tagger: ChatTagger | None = None
        """Tags chats with new messages after each chat sync (set by the app when it runs)."""
        self.chat_alerts: ChatAlertService | None = None
        """Alerts people of new buyer messages after each chat sync; swept with the alerts."""
        """Real time: a tick's `now` is moved forward by the time its work took, so claims
        written after a long sync are not born stale (another instance would take them over)."""

    def _later(self, now: datetime, started: datetime) -> datetime:
        """`now` plus the time spent since `started` (both by `clock`)."""
        return now + max(self.clock() - started, timedelta(0))

    # --- syncs ------------------------------------------------------------------------------

    async def sync_due(self, kind: SyncKind, *, now: datetime) -> list[SyncResult]:
        """Sync every active store whose `kind` is due; a slot goes to one instance only."""
        started = self.clock()
        interval = timedelta(seconds=self.config.intervals[kind])
        tolerance = self.config.slot_tolerance
        due = await alerts_repo.due_stores(self.pool, kind, now=now, tolerance=tolerance)
        gate = asyncio.Semaphore(self.config.stores_at_once)
        results: list[SyncResult] = []

        async def one(store_id: str) -> None:
            async with gate:
                if self.alerts.stopping.is_set():  # the process is stopping: start no more
                    return
                if not await alerts_repo.claim_slot(
                    self.pool, store_id, kind, now=now, interval=interval, tolerance=tolerance
                ):
                    return
                results.append(await self.sync_store(store_id, kind, now=now, started=started))

        await asyncio.gather(*(one(store_id) for store_id in due))
        return results

    async def full_sync(self, *, now: datetime) -> list[SyncResult]:
        """The nightly full sync (vanished reviews, answers given in the portal): backfill only."""
        started = self.clock()
        stores = await stores_repo.list_stores(self.pool, only_active=True)
        results: list[SyncResult] = []
        gate = asyncio.Semaphore(self.config.stores_at_once)

        async def one(store_id: str) -> None:
            async with gate:
                # A store that waited for the gate reads WB up to the moment it starts: with
                # the tick's `now`, reviews stored since by incremental runs would look gone.
                at = self._later(now, started)
                if not await alerts_repo.claim_slot(
                    self.pool, store_id, "full", now=at, interval=timedelta(hours=20)
                ):
                    return
                for kind in FULL_KINDS:
                    results.append(await self._full_kind(store_id, kind, now, started))

        await asyncio.gather(*(one(s.id) for s in stores))
        return results

    async def _full_kind(
        self, store_id: str, kind: SyncKind, now: datetime, started: datetime
    ) -> SyncResult:
        """One kind of the nightly run; a run of it in progress is waited for, a few times."""
        waits = iter(self.config.busy_retries)
        while True:
            at = self._later(now, started)
            result = await self.sync_store(store_id, kind, now=at, full=True)
            wait = next(waits, None)
            if result.skipped != ALREADY_RUNNING or wait is None:
                return result
            await asyncio.sleep(wait)

    async def sync_store(
        self,
        store_id: str,
        kind: SyncKind,
        *,
        now: datetime,
        full: bool = False,
        started: datetime | None = None,
    ) -> SyncResult:
        """One sync and what follows it: draft, alert, tell the owner once if WB refused the
        token. The sync queues its new reviews itself (even when it fails half-way; the
        sweeps pick them up then). What follows uses the time after the sync, not `now`."""
        started = started or self.clock()
        timer = time.perf_counter()
        try:
            result = await self.sync.sync(store_id, kind, full=full, now=now)
        except Exception:
            log.exception("sync %s of store %s failed", kind, store_id)
            metrics.SYNC_RUNS.labels(kind, "error").inc()
            return SyncResult(store_id=store_id, kind=kind, error="internal error")
        outcome = "skipped" if result.skipped else ("error" if result.error else "ok")
        metrics.SYNC_RUNS.labels(kind, outcome).inc()
        if not result.skipped:
            metrics.SYNC_SECONDS.labels(kind).observe(time.perf_counter() - timer)
            metrics.SYNC_ROWS.labels(kind).inc(result.fetched)
        if result.skipped:
            log.debug("sync %s of %s skipped: %s", kind, store_id, result.skipped)
            if result.skipped.startswith(PARKED_BY_WB):  # a notice whose send was lost
                await self.reminders.auth_failures(store_id)
            return result
        if result.error:
            await self.reminders.auth_failures(store_id)
        if kind == "chats" and self.chat_tagger is not None:
            try:  # tags are a help, never a reason to fail the sync's follow-ups
                await self.chat_tagger.tag_store(store_id)
            except Exception:
                log.exception("tagging chats of store %s failed", store_id)
        if kind == "chats" and self.chat_alerts is not None and result.new_messages:
            await self.chat_alerts.on_sync(
                store_id, result.new_messages, now=self._later(now, started)
            )
        if kind == "reviews":
            await self.auto_draft(store_id, now=self._later(now, started))
            await self.alerts.dispatch(now=self._later(now, started), store_id=store_id)
        return result

    # --- auto-drafting ------------------------------------------------------------------------

    async def auto_draft(self, store_id: str, *, now: datetime) -> DraftReport:
        """Draft complaints for queued new reviews that pass the automatic gates (product
        rules included), at most `drafts_per_run`; the rest wait for the next run."""
        report = DraftReport()
        cfg = self.config
        store = await stores_repo.get_store(self.pool, store_id)
        if store is None or not store.is_active:
            return report
        ids = await alerts_repo.claim_drafting(
            self.pool, store_id, now=now, limit=cfg.drafts_per_run, stale=cfg.draft_stale
        )
        if not ids:
            return report
        owner_settings = await get_user_settings(self.pool, store.owner_id)
        concurrency = owner_settings.effective_concurrency if owner_settings else cfg.drafts_at_once
        at_once = max(1, min(cfg.drafts_at_once, concurrency))
        gate = asyncio.Semaphore(at_once)

        async def one(review_id: str) -> None:
            async with gate:
                try:
                    await self.complaints.draft(review_id, automatic=True, settings=owner_settings)
                except ComplaintError as exc:
                    if exc.code == "in_progress":  # a person is drafting it now; that may fail
                        await alerts_repo.put_back_drafting(self.pool, review_id)
                        report.deferred += 1
                        return
                    report.refused += 1
                except Exception as exc:  # AIError is expected; anything else is a bug to log
                    if not isinstance(exc, AIError):
                        log.exception("auto-draft of %s failed", review_id)
                    report.failed += 1
                    await alerts_repo.release_drafting(
                        self.pool, review_id, now=now, max_attempts=cfg.draft_attempts
                    )
                    return
                else:
                    report.drafted += 1
                await alerts_repo.finish_drafting(self.pool, review_id, now=now)

        await asyncio.gather(*(one(r) for r in ids))
        return report

    async def auto_draft_all(self, *, now: datetime) -> DraftReport:
        """Sweep: queued reviews left by a bounded run or a process that died."""
        total = DraftReport()
        for store_id in await alerts_repo.stores_with_queued_drafts(self.pool):
            part = await self.auto_draft(store_id, now=now)
            total.drafted += part.drafted
            total.refused += part.refused
            total.failed += part.failed
            total.deferred += part.deferred
        return total

    # --- alerts and reminders -----------------------------------------------------------------

    async def deliver_alerts(self, *, now: datetime) -> DispatchReport:
        report = await self.alerts.dispatch(now=now)
        if self.chat_alerts is not None:
            await self.chat_alerts.sweep(now=now)
        return report

    async def send_followups(self, *, now: datetime) -> RunReport | None:
        """Due follow-up steps, once each, whichever instance runs it (services/sequences.py)."""
        if self.sequences is None:
            return None
        return await self.sequences.run_due(now=now)

    async def token_reminders(self, *, now: datetime) -> ReminderReport:
        return await self.reminders.token_expiry(now=now)


__all__ = ["KINDS", "DraftReport", "JobConfig", "Jobs"]
