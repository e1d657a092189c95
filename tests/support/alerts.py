"""Test helper: a store whose queued negative reviews make a batch of alerts to many people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from db.repos import alerts as alerts_repo
from db.repos import users as users_repo
from tests.support.stores import make_product, make_review, make_store, make_user


async def add_recipients(
    pool: asyncpg.Pool, store_id: str, owner_id: str, people: int, *, first_tg: int
) -> list[int]:
    """The owner and `people - 1` managers with alerts on, linked to Telegram ids from
    `first_tg`; their Telegram ids."""
    ids = [first_tg + i for i in range(people)]
    await users_repo.link_telegram(pool, ids[0], owner_id)
    for tid in ids[1:]:
        user = await make_user(pool)
        await users_repo.link_telegram(pool, tid, user)
        await pool.execute(
            "INSERT INTO store_members (store_id, user_id, alerts_enabled) VALUES ($1, $2, TRUE)",
            store_id,
            user,
        )
    return ids


async def queue_reviews(
    pool: asyncpg.Pool, store_id: str, product_id: str, texts: list[str]
) -> list[str]:
    """One-star reviews in the new-review queue, drafting decided: the next sweep alerts."""
    now = datetime.now(UTC)
    ids = [
        await make_review(pool, product_id, text=t, date=now - timedelta(minutes=30)) for t in texts
    ]
    await alerts_repo.enqueue_new_reviews(pool, store_id, ids, now=now)
    await pool.execute(
        "UPDATE new_reviews SET draft_done_at = $2 WHERE review_id = ANY($1::text[])", ids, now
    )
    return ids


async def alert_batch(
    pool: asyncpg.Pool, *, people: int, reviews: int, first_tg: int = 50_000
) -> tuple[str, list[int], list[str]]:
    """A store, `people` recipients and `reviews` queued one-star reviews: store id,
    Telegram ids, review texts (each unique, so a message names its review)."""
    owner = await make_user(pool)
    store = await make_store(pool, owner, "token")
    product = await make_product(pool, store)
    tg_ids = await add_recipients(pool, store, owner, people, first_tg=first_tg)
    texts = [f"Брак, отзыв номер {i:04d}" for i in range(reviews)]
    await queue_reviews(pool, store, product, texts)
    return store, tg_ids, texts
