"""Benchmark: sync one store of 200,000 reviews from the WB emulator (`make bench`).

The emulator runs in its own process with limits off; the sync runs as `wbrep sync` in
another, so its peak memory is its own. Printed, never asserted against a clock:
- reviews/s for the whole path (HTTP, parsing, database), first (full) sync and a re-sync,
- reviews/s for the database write alone (the same upsert pages, rows prepared up front),
  and for the same pages written again unchanged (what `IS DISTINCT FROM` saves),
- a plain COPY of the same rows into an unindexed temp table (the physical limit),
- the database write with the `review_counts` triggers (migration 0032) and without them
  (`ALTER TABLE reviews DISABLE TRIGGER`), side by side on the same rows, and their ratio,
- the sync process's peak memory.
Targets (issue 3): database >= 15,000/s, whole path >= 10,000/s, peak memory < 300 MB.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from db.repos import reviews as reviews_repo
from services.sync.reviews import feedback_row
from services.wb.models import FeedbackList
from tests.support.stores import make_store, make_user

REVIEWS = int(os.environ.get("BENCH_REVIEWS", "200000"))
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.bench


async def start_emulator() -> tuple[asyncio.subprocess.Process, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.wb",
        "--reviews",
        str(REVIEWS),
        "--products",
        "2000",
        "--questions",
        "10",
        "--chats",
        "5",
        "--no-limits",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    url = token = ""
    while not (url and token):
        line = (await asyncio.wait_for(proc.stdout.readline(), 300)).decode()
        if line.startswith("WB emulator listening on "):
            url = line.split()[-1]
        elif line.startswith("sid="):
            token = line.split("token=")[1].strip()
    return proc, url, token


async def run_sync(db_url: str, url: str, store_id: str, *full: str) -> tuple[float, str]:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "WB_LIMITS_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        **{
            f"WB_{h.upper()}_URL": f"{url}/{h}"
            for h in ("feedbacks", "chat", "content", "common", "prices")
        },
    }
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "sync",
        store_id,
        "--kind",
        "reviews",
        *full,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, err.decode()
    return elapsed, out.decode().strip()


async def fetch_rows(url: str, token: str) -> list[reviews_repo.StageRow]:
    """All reviews as staging rows, fetched and parsed before any timing starts."""
    import httpx

    rows: list[reviews_repo.StageRow] = []
    async with httpx.AsyncClient(timeout=120, headers={"Authorization": f"Bearer {token}"}) as http:
        for path, extra in (
            ("/feedbacks/api/v1/feedbacks", {"isAnswered": "false"}),
            ("/feedbacks/api/v1/feedbacks", {"isAnswered": "true"}),
            ("/feedbacks/api/v1/feedbacks/archive", {}),
        ):
            skip = 0
            while True:
                resp = await http.get(url + path, params={**extra, "take": 5000, "skip": skip})
                page = FeedbackList.model_validate(resp.json()["data"])
                rows.extend(feedback_row(f) for f in page.feedbacks)
                if len(page.feedbacks) < 5000 or skip + 10000 > 199990:
                    break
                skip += 5000
    unique = {r[0]: r for r in rows}
    return list(unique.values())


COUNT_TRIGGERS = (
    "ALTER TABLE reviews {0} TRIGGER review_counts_ins, {0} TRIGGER review_counts_upd,"
    " {0} TRIGGER review_counts_del"
)


async def write_twice(
    conn: asyncpg.Connection, store_id: str, owner_id: str, rows: list[reviews_repo.StageRow]
) -> tuple[float, float]:
    """Seconds to upsert `rows` page by page into a store, then the same pages unchanged."""
    times = []
    for _ in range(2):
        started = time.perf_counter()
        for i in range(0, len(rows), 5000):
            await reviews_repo.upsert_page(conn, store_id, owner_id, rows[i : i + 5000])
        times.append(time.perf_counter() - started)
    return times[0], times[1]


async def side_by_side(
    conn: asyncpg.Connection,
    owner_id: str,
    off: tuple[str, list[reviews_repo.StageRow]],
    on: tuple[str, list[reviews_repo.StageRow]],
) -> tuple[float, float]:
    """Seconds of the upserts without and with the review_counts triggers, page by page in
    turn; the ALTER TABLE statements are not timed."""
    spent = {False: 0.0, True: 0.0}
    for n, i in enumerate(range(0, len(off[1]), 5000)):
        for triggers in (False, True) if n % 2 == 0 else (True, False):
            store_id, rows = on if triggers else off
            await conn.execute(COUNT_TRIGGERS.format("ENABLE" if triggers else "DISABLE"))
            started = time.perf_counter()
            await reviews_repo.upsert_page(conn, store_id, owner_id, rows[i : i + 5000])
            spent[triggers] += time.perf_counter() - started
    await conn.execute(COUNT_TRIGGERS.format("ENABLE"))
    return spent[False], spent[True]


async def test_bench_sync_200k(pool: asyncpg.Pool, db_url: str) -> None:
    emulator, url, token = await start_emulator()
    try:
        owner = await make_user(pool)
        store_id = await make_store(pool, owner, token)
        first, summary = await run_sync(db_url, url, store_id)
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        stored = await pool.fetchval("SELECT count(*) FROM reviews WHERE store_id = $1", store_id)
        again, summary2 = await run_sync(db_url, url, store_id, "--full")

        rows = await fetch_rows(url, token)
    finally:
        emulator.terminate()
        await emulator.wait()

    # The database write alone: the same pages into a second store, rows already prepared.
    # Review ids are global and sync never moves a review between stores, so the ids get a
    # prefix: unprefixed, every row would be a conflict that writes nothing.
    rows = [(f"w{r[0]}", *r[1:]) for r in rows]
    owner2 = await make_user(pool)
    store2 = await make_store(pool, owner2, token + "x")
    async with pool.acquire() as conn:
        await reviews_repo.prepare_stage(conn)
        db_write, db_rewrite = await write_twice(conn, store2, owner2, rows)
        # The review_counts triggers side by side: the same rows (new ids) into a third store
        # with the triggers off and a fourth with them on, page by page in turn (the order
        # swapped every page), so the table's growth and the machine's load fall on both.
        store3 = await make_store(pool, owner2, token + "y")
        store4 = await make_store(pool, owner2, token + "z")
        off_rows = [(f"x{r[0]}", *r[1:]) for r in rows]
        on_rows = [(f"y{r[0]}", *r[1:]) for r in rows]
        (off_write, on_write), (off_rewrite, on_rewrite) = [
            await side_by_side(conn, owner2, (store3, off_rows), (store4, on_rows))
            for _ in range(2)  # then the same pages again, unchanged
        ]
        await conn.execute("CREATE TEMP TABLE copy_limit (LIKE stage_reviews)")
        started = time.perf_counter()
        for i in range(0, len(rows), 5000):
            await conn.copy_records_to_table(
                "copy_limit", records=rows[i : i + 5000], columns=reviews_repo.STAGE_COLUMNS
            )
        plain_copy = time.perf_counter() - started

    n = len(rows)
    written = await pool.fetchval("SELECT count(*) FROM reviews WHERE store_id = $1", store2)
    assert written == n, f"the database write alone stored {written} of {n} rows"
    for other in (store3, store4):
        stored_other = await pool.fetchval(
            "SELECT count(*) FROM reviews WHERE store_id = $1", other
        )
        assert stored_other == n, f"a side-by-side write stored {stored_other} of {n} rows"
    print()
    print(f"reviews synced: {stored:,} (of {n:,} served) at {datetime.now(UTC):%Y-%m-%d}")
    print(
        f"first full sync, whole path: {first:6.2f} s  {stored / first:10,.0f} reviews/s   [{summary}]"
    )
    print(
        f"re-sync (--full), unchanged: {again:6.2f} s  {stored / again:10,.0f} reviews/s   [{summary2}]"
    )
    print(f"database write alone:        {db_write:6.2f} s  {n / db_write:10,.0f} reviews/s")
    print(
        f"database write, unchanged:   {db_rewrite:6.2f} s  {n / db_rewrite:10,.0f} reviews/s"
        f"   ({db_write / db_rewrite:.1f}x cheaper: IS DISTINCT FROM skips the rows)"
    )
    print(f"plain COPY, unindexed:       {plain_copy:6.2f} s  {n / plain_copy:10,.0f} reviews/s")
    print(
        f"database write, review_counts triggers on:  {on_write:6.2f} s"
        f"  {n / on_write:10,.0f} reviews/s"
    )
    print(
        f"database write, review_counts triggers off: {off_write:6.2f} s"
        f"  {n / off_write:10,.0f} reviews/s   (on/off {on_write / off_write:.2f})"
    )
    print(
        f"unchanged write, triggers on / off:         {on_rewrite:6.2f} s / {off_rewrite:.2f} s"
        f"   (on/off {on_rewrite / off_rewrite:.2f})"
    )
    print(f"sync process peak memory:    {peak_kb / 1024:6.0f} MB")
    assert stored == n
