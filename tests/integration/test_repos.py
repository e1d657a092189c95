"""Repositories that serve people: scoped reads, keyset pages, rule upserts, sequence claims."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from db.repos import product_rules, review_pages, sequences
from db.repos import reviews as reviews_repo
from tests.support.stores import make_product, make_review, make_store, make_user


async def test_review_pages_walk_the_default_filter_by_keyset(pool: asyncpg.Pool) -> None:
    owner = await make_user(pool)
    store = await make_store(pool, owner, "t")
    other = await make_store(pool, owner, "t2")
    product = await make_product(pool, store)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    low = [
        await make_review(pool, product, rating=1 + i % 3, date=base + timedelta(hours=i))
        for i in range(25)
    ]
    await make_review(pool, product, rating=5, date=base)
    await make_review(pool, await make_product(pool, other), rating=1)
    assert await review_pages.count(pool, store) == 25
    seen: list[str] = []
    after = None
    while rows := await review_pages.page(pool, store, after=after, limit=10):
        seen.extend(r.id for r in rows)
        after = (rows[-1].date, rows[-1].id)
    assert seen == list(reversed(low)), "newest first, every review once, other store excluded"
    five = review_pages.ReviewFilter(ratings=(5,), complaint_statuses=None)
    assert [r.rating for r in await review_pages.page(pool, store, five)] == [5]


async def test_product_rules_upsert_is_scoped_to_the_store(pool: asyncpg.Pool) -> None:
    owner = await make_user(pool)
    store = await make_store(pool, owner, "t")
    foreign_store = await make_store(pool, owner, "t2")
    mine = await make_product(pool, store)
    foreign = await make_product(pool, foreign_store)
    changed = await product_rules.set_rules(pool, store, [mine, foreign], product_rules.DEFAULTS)
    assert changed == 1
    rules = await product_rules.get_rules(pool, store, mine)
    assert rules is not None and rules["submit_complaints"] and rules["chat_strategy"] == "both"
    assert await product_rules.get_rules(pool, foreign_store, foreign) is None
    await product_rules.set_rules(pool, store, [mine], {"chat_strategy": "delete"})
    assert (await product_rules.get_rules(pool, store, mine) or {})["chat_strategy"] == "delete"
    with pytest.raises(ValueError, match="not a product rule"):
        await product_rules.set_rules(pool, store, [mine], {"owner_id": "x"})


async def test_one_active_sequence_per_chat_and_claims_skip_locked(pool: asyncpg.Pool) -> None:
    owner = await make_user(pool)
    store = await make_store(pool, owner, "t")
    await pool.execute(
        "INSERT INTO chats (id, store_id, owner_id, client_name, reply_sign) "
        "VALUES ('1:a', $1, $2, 'Анна', 's'), ('1:b', $1, $2, 'Олег', 's')",
        store,
        owner,
    )
    now = datetime.now(UTC)
    msgs = [{"day": 1, "text": "Здравствуйте!"}]
    first = await sequences.start_sequence(
        pool, "1:a", messages=msgs, sequence_type="no_reply_followup", next_send_at=now
    )
    assert first is not None
    again = await sequences.start_sequence(
        pool, "1:a", messages=msgs, sequence_type="no_reply_followup", next_send_at=now
    )
    assert again is None, "a chat never runs two sequences"
    await sequences.start_sequence(
        pool, "1:b", messages=msgs, sequence_type="no_reply_followup", next_send_at=now
    )

    async def claim() -> set[str]:
        async with pool.acquire() as conn, conn.transaction():
            rows = await sequences.claim_due(conn, now + timedelta(seconds=1))
            await asyncio.sleep(0.2)  # hold the locks while the other claims
            return {r["chat_id"] for r in rows}

    a, b = await asyncio.gather(claim(), claim())
    assert a | b == {"1:a", "1:b"} and not a & b
    assert await sequences.stop_sequence(pool, "1:a", "manual")
    assert not await sequences.stop_sequence(pool, "1:a", "manual")


async def test_the_newest_reviews_are_judged_in_a_whole_window(pool: asyncpg.Pool) -> None:
    """202 reviews in windows of 100: the newest two join the second window, so losing the
    newest review is 1 of 102, not 1 of 2 (which the 30% safeguard would call a fault)."""
    owner = await make_user(pool)
    store = await make_store(pool, owner, "t")
    product = await make_product(pool, store)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [await make_review(pool, product, date=start + timedelta(hours=i)) for i in range(202)]
    now = start + timedelta(days=30)
    async with pool.acquire() as conn:
        await reviews_repo.prepare_stage(conn)
        report = await reviews_repo.mark_vanished(conn, store, ids[:-1], now=now, until=now)
    assert (report.marked, report.skipped_windows) == (1, 0)
    assert await pool.fetchval("SELECT vanished_at FROM reviews WHERE id = $1", ids[-1]) == now
