"""The reviews list's maintained count (migration 0032) equals count(*) of its filter after
every way reviews change: sync upserts (insert and update), status changes, vanished
reviews, deletes and a store's delete. Also: the pool leaves no session state behind."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import asyncpg

from db.models import ReviewRow
from db.repos import review_pages
from db.repos import reviews as reviews_repo
from db.repos.review_pages import ReviewFilter
from tests.support.stores import make_product, make_review, make_store, make_user

_FILTERS = [
    ReviewFilter(),
    ReviewFilter(ratings=None, complaint_statuses=None, active_products_only=False),
    ReviewFilter(ratings=(1,), answered=False),
    ReviewFilter(ratings=(4, 5), answered=True, complaint_statuses=None),
    ReviewFilter(complaint_statuses=("sent", "approved"), active_products_only=False),
    ReviewFilter(ratings=(1, 2, 3, 4, 5), complaint_statuses=("not_sent",)),
]


async def _assert_exact(pool: asyncpg.Pool, store: str) -> None:
    for f in _FILTERS:
        kept = await review_pages.count(pool, store, f)
        scanned = await review_pages.scanned_count(pool, store, f)
        assert kept == scanned, f
    buckets = await pool.fetchval(
        "SELECT count(*) FROM review_counts WHERE store_id = $1 AND n <= 0", store
    )
    assert buckets == 0, "no empty or negative buckets are kept"


def _stage(i: int, nm: str, rating: int, *, answered: bool = False, sfv: int | None = None):  # type: ignore[no-untyped-def]
    return (
        f"wb{i}",
        nm,
        "Товар",
        "V1",
        rating,
        "текст",
        "",
        "",
        "Покупатель",
        datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=i),
        '{"text": "ok"}' if answered else None,
        None,
        None,
        sfv,
        None,
        answered,
    )


async def test_maintained_count_equals_count_star_through_every_change(
    pool: asyncpg.Pool,
) -> None:
    owner = await make_user(pool)
    store = await make_store(pool, owner, "t")
    other = await make_store(pool, owner, "t2")
    product = await make_product(pool, store)
    nm = await pool.fetchval("SELECT wb_product_id FROM products WHERE id = $1", product)
    for i, rating in zip(range(12), itertools.cycle([1, 2, 3, 4, 5])):
        await make_review(pool, product, rating=rating, has_answer=i % 2 == 0)
    await make_review(pool, await make_product(pool, other), rating=1)
    await _assert_exact(pool, store)

    # sync upserts: a page of new reviews, then the same page changed (ratings, answers, a
    # complaint seen on WB), in one statement each
    rows = [_stage(i, nm, 1 + i % 5) for i in range(40)]
    async with pool.acquire() as conn:
        await reviews_repo.upsert_page(conn, store, owner, rows)
    await _assert_exact(pool, store)
    changed = [
        _stage(i, nm, 5 - i % 5, answered=i % 3 == 0, sfv=1 if i % 7 == 0 else None)
        for i in range(40)
    ]
    async with pool.acquire() as conn:
        await reviews_repo.upsert_page(conn, store, owner, changed)
    await _assert_exact(pool, store)

    # status changes and a product going inactive
    await pool.execute(
        "UPDATE reviews SET complaint_status = 'draft' WHERE store_id = $1 AND rating = 1", store
    )
    await pool.execute(
        "UPDATE reviews SET complaint_status = 'approved' WHERE store_id = $1 AND rating = 5",
        store,
    )
    await pool.execute("UPDATE reviews SET is_product_active = FALSE WHERE id = 'wb3'")
    await pool.execute("UPDATE reviews SET has_answer = NULL WHERE id = 'wb4'")
    await _assert_exact(pool, store)

    # vanished: the sync marks reviews it no longer sees
    seen = [f"wb{i}" for i in range(40) if i % 10 != 0]
    async with pool.acquire() as conn:
        await reviews_repo.mark_vanished(
            conn,
            store,
            seen,
            now=datetime.now(UTC),
            until=datetime(2027, 1, 1, tzinfo=UTC),
            max_share=0.9,
        )
    await _assert_exact(pool, store)

    # deletes, one and cascaded from a product and from the store
    await pool.execute("DELETE FROM reviews WHERE id = 'wb5'")
    await _assert_exact(pool, store)
    await pool.execute("DELETE FROM products WHERE id = $1", product)
    await _assert_exact(pool, store)
    assert await review_pages.count(pool, store, _FILTERS[1]) == 0
    await pool.execute("DELETE FROM stores WHERE id = $1", other)
    assert await pool.fetchval("SELECT count(*) FROM review_counts WHERE store_id = $1", other) == 0


async def test_counts_of_a_product_or_period_scan_only_that(pool: asyncpg.Pool) -> None:
    owner = await make_user(pool)
    store = await make_store(pool, owner, "t")
    a, b = await make_product(pool, store), await make_product(pool, store)
    await make_review(pool, a, rating=1)
    await make_review(pool, b, rating=2)
    await make_review(pool, b, rating=2, date=datetime(2020, 1, 1, tzinfo=UTC))
    assert await review_pages.count(pool, store, ReviewFilter(product_id=b)) == 2
    since = ReviewFilter(date_from=datetime(2025, 1, 1, tzinfo=UTC))
    assert await review_pages.count(pool, store, since) == 2


async def test_a_released_connection_keeps_no_session_state(pool: asyncpg.Pool) -> None:
    """The pool's reset is a no-op (docs/decisions.md): what the project does on a pooled
    connection leaves nothing that the next user of the connection would inherit."""
    async with pool.acquire() as conn:
        pid = await conn.fetchval("SELECT pg_backend_pid()")
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(17, 17)")
            await conn.execute("SET LOCAL work_mem = '64MB'")
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT pg_backend_pid()") == pid
        locks = await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = $1", pid
        )
        assert locks == 0
        assert await conn.fetchval("SHOW work_mem") != "64MB"
        assert not conn.is_in_transaction()


async def test_titled_line_page_is_the_name_and_the_page_in_one_statement(
    pool: asyncpg.Pool,
) -> None:
    owner = await make_user(pool)
    store = await make_store(pool, owner, "tok", name="Лавка <1>")
    product = await make_product(pool, store)
    for i in range(7):
        await make_review(
            pool, product, rating=1 + i % 5, date=datetime(2026, 1, 1 + i, tzinfo=UTC)
        )
    for f in _FILTERS:
        after = None
        while True:
            expected = await review_pages.page(pool, store, f, after=after, limit=3)
            name, lines = await review_pages.titled_line_page(pool, store, f, after=after, limit=3)
            assert name == "Лавка <1>"
            assert [_line_of(r) for r in expected] == [
                (x.id, x.rating, x.date, x.excerpt, x.has_answer, x.complaint_status, x.photos)
                for x in lines
            ], f
            assert {x.product_name for x in lines} <= {"Плед флисовый"}
            if len(lines) < 3:
                break
            after = lines[-1].cursor
    empty = ReviewFilter(ratings=(1,), complaint_statuses=("approved",))
    assert await review_pages.titled_line_page(pool, store, empty) == ("Лавка <1>", [])
    assert await review_pages.titled_line_page(pool, "no-such-store") == ("", [])


def _line_of(review: ReviewRow) -> tuple[object, ...]:
    """What a list line of this review holds, from the whole row."""
    text = review.text or review.cons or review.pros or ""
    photos = len(review.photo_links) if isinstance(review.photo_links, list) else 0
    return (
        review.id,
        review.rating,
        review.date,
        text[: review_pages.EXCERPT_CHARS],
        review.has_answer,
        review.complaint_status,
        photos,
    )


async def test_a_list_line_reads_the_start_of_the_text_and_counts_photos(
    pool: asyncpg.Pool,
) -> None:
    owner = await make_user(pool)
    store = await make_store(pool, owner, "tok")
    product = await make_product(pool, store)
    long = await make_review(pool, product, rating=1)
    await pool.execute(
        "UPDATE reviews SET text = $2, pros = $3, cons = $3, photo_links = $4 WHERE id = $1",
        long,
        "Я" * 5000,
        "п" * 5000,
        ["https://a/1.jpg", "https://a/2.jpg"],
    )
    only_cons = await make_review(pool, product, rating=2)
    await pool.execute(
        "UPDATE reviews SET text = '', pros = NULL, cons = 'брак', photo_links = $2 WHERE id = $1",
        only_cons,
        {"not": "a list"},
    )
    _, lines = await review_pages.titled_line_page(pool, store, ReviewFilter(ratings=None))
    by_id = {x.id: x for x in lines}
    assert by_id[long].excerpt == "Я" * review_pages.EXCERPT_CHARS
    assert by_id[long].photos == 2
    assert (by_id[only_cons].excerpt, by_id[only_cons].photos) == ("брак", 0)
