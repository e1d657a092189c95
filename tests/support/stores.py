"""Test helpers that put a user and a store straight into the database."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import cast

import asyncpg


async def make_user(pool: asyncpg.Pool, email: str | None = None, *, approved: bool = True) -> str:
    user_id = str(uuid.uuid4())
    await pool.execute(
        "INSERT INTO users (id, email, is_approved) VALUES ($1, $2, $3)",
        user_id,
        email or f"{user_id[:8]}@example.com",
        approved,
    )
    return user_id


async def make_store(
    pool: asyncpg.Pool, owner_id: str, token: str, *, name: str = "Тестовый магазин"
) -> str:
    store_id = str(uuid.uuid4())
    await pool.execute(
        "INSERT INTO stores (id, name, owner_id, api_token, status) VALUES ($1, $2, $3, $4, 'active')",
        store_id,
        name,
        owner_id,
        token,
    )
    return store_id


async def make_products(pool: asyncpg.Pool, store_id: str, owner_id: str, count: int) -> None:
    """`count` products at once for the benchmarks: ids p1..pN, nmIds from 100001."""
    await pool.execute(
        """INSERT INTO products (id, store_id, owner_id, name, wb_product_id, vendor_code)
           SELECT 'p' || g, $1, $2, 'Товар № ' || g, (100000 + g)::text, 'V' || g
             FROM generate_series(1, $3) g""",
        store_id,
        owner_id,
        count,
    )


async def make_product(
    pool: asyncpg.Pool,
    store_id: str,
    *,
    nm_id: str | None = None,
    work_status: str = "active",
    is_active: bool = True,
    rules: Mapping[str, object] | None = None,
) -> str:
    """A product, and its rules row when `rules` is given (columns of product_rules)."""
    product_id = str(uuid.uuid4())
    await pool.execute(
        """INSERT INTO products (id, store_id, owner_id, name, wb_product_id, vendor_code,
                                 work_status, is_active)
           SELECT $1, $2, owner_id, 'Плед флисовый', $3, 'PL-200', $4::work_status_enum, $5
             FROM stores WHERE id = $2""",
        product_id,
        store_id,
        nm_id or str(uuid.uuid4().int % 10**9),
        work_status,
        is_active,
    )
    if rules is not None:
        cols = ", ".join(rules)
        marks = ", ".join(f"${i + 3}" for i in range(len(rules)))
        await pool.execute(
            f"INSERT INTO product_rules (product_id, store_id, {cols}) VALUES ($1, $2, {marks})",
            product_id,
            store_id,
            *rules.values(),
        )
    return product_id


async def make_review(
    pool: asyncpg.Pool,
    product_id: str,
    *,
    rating: int = 1,
    text: str = "Пришёл брак, продавец обманщик",
    date: datetime | None = None,
    review_id: str | None = None,
    **fields: object,
) -> str:
    review_id = review_id or uuid.uuid4().hex[:20]
    cols = ", ".join(
        ["id", "product_id", "store_id", "owner_id", "rating", "text", "author", "date", *fields]
    )
    extra = ", ".join(f"${i + 6}" for i in range(len(fields)))
    await pool.execute(
        f"""INSERT INTO reviews ({cols})
            SELECT $1, p.id, p.store_id, p.owner_id, $3, $4, 'Иван', $5{", " + extra if extra else ""}
              FROM products p WHERE p.id = $2""",
        review_id,
        product_id,
        rating,
        text,
        date or datetime.now(UTC) - timedelta(days=1),
        *fields.values(),
    )
    return review_id


async def work_every_product(pool: asyncpg.Pool, store_id: str) -> None:
    """Every product of the store worked on the default rules, as the seller's button does."""
    from services.products import apply_defaults

    rows = await pool.fetch("SELECT id FROM products WHERE store_id = $1", store_id)
    await apply_defaults(pool, store_id, [r["id"] for r in rows])


OTHER_SECRET_KEY = "another-secret-key-the-bot-does-not-have-0002"


def sealed_with_another_key(token: str) -> str:
    """A token as a store row holds it after SECRET_KEY was lost or changed."""
    from db.secrets import Key, Keyring

    return Keyring(Key.from_secret(OTHER_SECRET_KEY)).seal(token)


@contextlib.asynccontextmanager
async def sync_held_elsewhere(
    pool: asyncpg.Pool, store_id: str, kind: str, *, ttl: timedelta = timedelta(minutes=5)
) -> AsyncIterator[str]:
    """Another process's sync run of this store and kind holds its lease until the block ends."""
    from db.repos import stores as stores_repo

    holder = f"elsewhere-{uuid.uuid4().hex[:8]}"
    kind_ = cast(stores_repo.SyncKind, kind)
    assert await stores_repo.claim_sync_lease(pool, store_id, kind_, holder=holder, ttl=ttl)
    try:
        yield holder
    finally:
        await stores_repo.release_sync_lease(pool, store_id, kind_, holder=holder)
