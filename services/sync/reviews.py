"""Reviews sync: WB feedback lists and the archive into `reviews`.

Plan of a run (domain-rules.md, "Reviews sync" and "Decisions"):
- both lists (`isAnswered=false` and `true`) are walked oldest first inside a date window;
  `skip` is capped by WB, so when a window gets close to the cap the walk restarts from the
  date of the last review seen (the window is split there; upserts absorb the overlap);
- incremental runs read from the last successful run minus 3 hours; the archive (no date
  filter) is paged newest first until a page holds reviews we already know;
- full runs (the first one, and nightly) read all history and the whole archive, remember
  every id they saw, and afterwards mark what WB no longer shows as vanished.
Pages are fetched while the previous one is written, through a queue of two; a full run
fetches both lists and the archive at once (one writer still writes every page).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from db.models import StoreRow
from db.repos import products as products_repo
from db.repos import reviews as reviews_repo
from db.repos import stores as stores_repo
from services.sequences import SequenceService
from services.sync.base import (
    NewReview,
    Progress,
    SyncOptions,
    SyncResult,
    SyncRun,
    SyncStep,
    store_rows,
)
from services.wb.client import WBClient
from services.wb.models import Feedback
from services.wb.records import FeedbackRecords, json_text

RECENT_FOR_ALERTS_HOURS = 48


def feedback_row(fb: Feedback) -> reviews_repo.StageRow:
    """One WB feedback as a staging row; WB's missing fields mapped as domain-rules decides."""
    pd = fb.product_details
    raw = fb.raw
    answer = (
        raw.get("answer") if raw else (fb.answer.model_dump(by_alias=True) if fb.answer else None)
    )
    has_answer = bool(fb.answer is not None and fb.answer.text.strip())
    return (
        fb.id,
        str(pd.nm_id),
        pd.product_name or f"Товар {pd.nm_id}",
        pd.supplier_article or "",
        fb.product_valuation,
        fb.text,
        fb.pros,
        fb.cons,
        fb.user_name,
        fb.created_date,
        reviews_repo.json_or_none(answer) if answer else None,
        reviews_repo.json_or_none(raw.get("photoLinks") if raw else None),
        reviews_repo.json_or_none(raw.get("video") if raw else None),
        fb.supplier_feedback_valuation or None,
        fb.supplier_product_valuation or None,
        has_answer,
    )


def _answer_text(raw: msgspec.Raw) -> str | None:
    """The answer as stored: an empty object is no answer, as `feedback_row` reads it."""
    text = json_text(raw)
    return None if text is None or text.replace(" ", "") == "{}" else text


def stage_rows(records: FeedbackRecords) -> list[reviews_repo.StageRow]:
    """A page read for sync as staging rows: the values `feedback_row` gives (as jsonb)."""
    rows: list[reviews_repo.StageRow] = []
    for fb, checked in zip(records.feedbacks, records.answers, strict=True):
        pd = fb.product_details
        has_answer = bool(checked is not None and checked.text and checked.text.strip())
        rows.append(
            (
                fb.id,
                str(pd.nm_id),
                pd.product_name or f"Товар {pd.nm_id}",
                pd.supplier_article or "",
                fb.product_valuation,
                "" if fb.text is None else fb.text,
                "" if fb.pros is None else fb.pros,
                "" if fb.cons is None else fb.cons,
                "" if fb.user_name is None else fb.user_name,
                fb.created_date,
                _answer_text(fb.answer),
                json_text(fb.photo_links),
                json_text(fb.video),
                fb.supplier_feedback_valuation or None,
                fb.supplier_product_valuation or None,
                has_answer,
            )
        )
    return rows


async def _walk_list(
    client: WBClient,
    is_answered: bool,
    date_from: datetime,
    date_to: datetime,
    options: SyncOptions,
) -> AsyncIterator[list[reviews_repo.StageRow]]:
    """Pages of one list, oldest first, splitting the window before the skip cap."""
    start = int(date_from.timestamp())
    end = int(date_to.timestamp())
    take = options.feedbacks_take
    while True:
        skip = 0
        last_date: int | None = None
        while True:
            page = await client.list_feedback_records(
                is_answered, take, skip, order="dateAsc", date_from=start, date_to=end
            )
            items = stage_rows(page)
            del page  # WB's dicts are not needed past this point
            if items:
                last_date = int(items[-1][9].timestamp())
                yield items
            if len(items) < take:
                return
            skip += take
            if skip + take > options.feedbacks_skip_cap:
                break
        # Close to the cap: continue the walk in a new window from the last date seen.
        if last_date is None or last_date <= start:
            raise RuntimeError("more reviews in one second than WB lets us page through")
        start = last_date


@dataclass
class _Page:
    rows: list[reviews_repo.StageRow]
    known: asyncio.Future[int] | None = None
    """Set for incremental archive pages: the writer answers how many were already known."""


async def _archive_pages(
    client: WBClient,
    queue: asyncio.Queue[_Page | None],
    *,
    full: bool,
    options: SyncOptions,
    nm_ids: Callable[[], Awaitable[list[int]]],
) -> None:
    """Newest first; an incremental walk stops after a page that holds known reviews.

    The archive has no date filter, so a full walk that reaches WB's skip cap starts over
    product by product (`nmId`), each of which fits under the cap.
    """
    walk = functools.partial(_archive_walk, client, queue, full=full, options=options)
    if not await walk(nm_id=None):
        for nm_id in await nm_ids():
            await walk(nm_id=nm_id)


async def _archive_walk(
    client: WBClient,
    queue: asyncio.Queue[_Page | None],
    *,
    full: bool,
    options: SyncOptions,
    nm_id: int | None,
) -> bool:
    """One archive walk; False when it stopped at the skip cap with more to read."""
    skip = 0
    take = options.feedbacks_take
    loop = asyncio.get_running_loop()
    while True:
        page = await client.list_archived_feedback_records(
            take, skip, nm_id=nm_id, order="dateDesc"
        )
        items = stage_rows(page)
        del page
        if items:
            known = None if full else loop.create_future()
            await queue.put(_Page(items, known=known))
            if known is not None and await known:
                return True
        if len(items) < take:
            return True
        if skip + 2 * take > options.feedbacks_skip_cap:
            return not full
        skip += take


async def _all(*coros: Coroutine[Any, Any, None]) -> None:
    """Run these at once; the first error cancels the rest and is raised as itself."""
    tasks = [asyncio.create_task(c) for c in coros]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                task.result()
        for task in tasks:
            await task
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _next_page(
    queue: asyncio.Queue[_Page | None], producer: asyncio.Task[None]
) -> _Page | None:
    """The next page, or the producer's error as soon as it fails."""
    getter = asyncio.ensure_future(queue.get())
    try:
        await asyncio.wait({getter, producer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not getter.done():
            getter.cancel()
    if getter.done() and not getter.cancelled():
        return getter.result()
    producer.result()  # raises what stopped the producer
    raise RuntimeError("review pages ended without an end marker")


async def sync_reviews(
    run: SyncRun,
    store: StoreRow,
    result: SyncResult,
    now: datetime,
    *,
    client: WBClient,
    options: SyncOptions,
    since: datetime | None,
    progress: Progress | None = None,
) -> None:
    """Run one reviews sync under its claim (see `services.sync.base.run_sync`); each page
    takes a connection from the pool for its write only."""
    full = result.full
    date_from = (
        options.history_start if full or since is None else since - options.incremental_overlap
    )
    started = time.monotonic()
    pool = run.pool

    queue: asyncio.Queue[_Page | None] = asyncio.Queue(maxsize=2)

    # Products to split the archive by, should it pass WB's skip cap: those we know now and
    # those met in this run's pages.
    known_nm = await products_repo.wb_product_ids(pool, store.id)

    lists_done = asyncio.Event()

    async def product_nm_ids() -> list[int]:
        await lists_done.wait()  # a full run walks the archive alongside the lists
        return sorted(known_nm)

    async def walk(answered: bool) -> None:
        async for rows in _walk_list(client, answered, date_from, now, options):
            known_nm.update(int(r[1]) for r in rows)
            await queue.put(_Page(rows))

    async def lists() -> None:
        await _all(walk(False), walk(True))
        lists_done.set()

    async def archive() -> None:
        await _archive_pages(client, queue, full=full, options=options, nm_ids=product_nm_ids)

    async def produce() -> None:
        # The lists and (in a full run) the archive are fetched at once, so WB serves one
        # page while the previous is parsed and written. An incremental archive walk stops at
        # reviews we know, the lists' included, so it waits for the lists as it always did.
        if full:
            await _all(lists(), archive())
        else:
            await lists()
            await archive()
        await queue.put(None)

    # Every review this run has met (id -> hash of its row): the archive repeats every
    # answered review of the answered list, and writing the same row twice changes nothing;
    # a full run's ids are what it saw, for the vanished check.
    written: dict[str, int] = {}

    producer = asyncio.create_task(produce())
    try:
        while (page := await _next_page(queue, producer)) is not None:
            rows = reviews_repo.unique_by_id(page.rows)
            hashes = {r[0]: hash(r) for r in rows}
            fresh = [r for r in rows if written.get(r[0]) != hashes[r[0]]]
            queue_new = None
            if not result.backfill:
                found_at = now + timedelta(seconds=time.monotonic() - started)
                queue_new = (now - timedelta(hours=RECENT_FOR_ALERTS_HOURS), found_at)
            await run.beat()

            async def write(
                part: Sequence[reviews_repo.StageRow],
                queue_new: tuple[datetime, datetime] | None = queue_new,
            ) -> tuple[list[reviews_repo.UpsertedReview], int]:
                async with pool.acquire() as conn:
                    return await reviews_repo.upsert_page(
                        conn, store.id, store.owner_id, part, queue_new=queue_new
                    )

            changed: list[reviews_repo.UpsertedReview] = []
            created = 0
            for part_changed, part_created in await store_rows(
                fresh, write, row_id=lambda r: r[0], result=result
            ):
                changed += part_changed
                created += part_created
            written.update(hashes)
            inserted = sum(1 for r in changed if r.inserted)
            if page.known is not None:
                page.known.set_result(len(hashes) - inserted)
            result.fetched += len(rows)
            result.products_created += created
            result.inserted += inserted
            result.updated += len(changed) - inserted
            if not result.backfill:
                recent = now - timedelta(hours=RECENT_FOR_ALERTS_HOURS)
                result.new_reviews.extend(
                    NewReview(r.id, r.rating, r.date)
                    for r in changed
                    if r.inserted and r.date >= recent
                )
            if progress:
                progress(SyncStep.REVIEWS, result.fetched)
        await producer
    finally:
        if not producer.done():
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await producer
    if full:
        await run.beat()
        async with pool.acquire() as conn, conn.transaction():
            report = await reviews_repo.mark_vanished(
                conn,
                store.id,
                written.keys(),
                now=now,
                until=now,  # the lists were read up to `now`
                max_share=options.vanish_max_share,
                window=options.vanish_window,
            )
            # A vanished review is resolved: its chats' follow-ups stop with the marking.
            await SequenceService.on_reviews_resolved(conn, report.gone)
        result.vanished = report.marked
        result.vanish_windows_skipped = report.skipped_windows
    if full or result.inserted or result.updated:  # the counts move only with the rows
        await stores_repo.refresh_review_counts(pool, store.id)
