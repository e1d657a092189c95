"""Products: sync upserts from WB cards, lookups for people."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from asyncpg import Record

from db.models import ProductRow
from db.pool import Conn

_PRODUCT = ProductRow.columns()


@dataclass(frozen=True, slots=True)
class CardUpsert:
    wb_product_id: str
    name: str
    vendor_code: str
    image_url: str | None
    wb_api_data: Any


async def upsert_cards(
    conn: Conn, store_id: str, owner_id: str, cards: Sequence[CardUpsert]
) -> tuple[int, int]:
    """Insert new products and refresh WB-owned fields of known ones; (inserted, updated).

    `is_active`, `work_status` and compensation settings belong to the seller and are kept.
    """
    if not cards:
        return 0, 0
    rows = await conn.fetch(
        """
        INSERT INTO products AS p (id, store_id, owner_id, name, wb_product_id, vendor_code,
                                   image_url, wb_api_data)
        SELECT gen_random_uuid()::text, $1, $2, c.name, c.nm, c.vc, c.img, c.data
          FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
               AS c(nm, name, vc, img, data)
        ON CONFLICT (store_id, wb_product_id) DO UPDATE
           SET name = EXCLUDED.name, vendor_code = EXCLUDED.vendor_code,
               image_url = EXCLUDED.image_url, wb_api_data = EXCLUDED.wb_api_data
         WHERE (p.name, p.vendor_code, p.image_url, p.wb_api_data)
               IS DISTINCT FROM
               (EXCLUDED.name, EXCLUDED.vendor_code, EXCLUDED.image_url, EXCLUDED.wb_api_data)
        RETURNING (p.xmax = 0) AS inserted
        """,
        store_id,
        owner_id,
        [c.wb_product_id for c in cards],
        [c.name for c in cards],
        [c.vendor_code for c in cards],
        [c.image_url for c in cards],
        [c.wb_api_data for c in cards],
    )
    inserted = sum(1 for r in rows if r["inserted"])
    return inserted, len(rows) - inserted


async def set_prices(conn: Conn, store_id: str, prices: dict[str, int]) -> int:
    if not prices:
        return 0
    status = await conn.execute(
        """
        UPDATE products p SET price = x.price
          FROM unnest($2::text[], $3::int[]) AS x(nm, price)
         WHERE p.store_id = $1 AND p.wb_product_id = x.nm AND p.price IS DISTINCT FROM x.price
        """,
        store_id,
        list(prices),
        list(prices.values()),
    )
    return int(status.split()[-1])


async def get_product(conn: Conn, product_id: str) -> ProductRow | None:
    row = await conn.fetchrow(f"SELECT {_PRODUCT} FROM products WHERE id = $1", product_id)
    return ProductRow.from_record(row) if row else None


def like_contains(text: str) -> str:
    """A LIKE pattern (escape character `\\`) that matches `text` anywhere, literally: `\\`,
    `%` and `_` typed by a person are searched for, not taken as wildcards."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def page(
    conn: Conn,
    store_id: str,
    *,
    query: str,
    after: tuple[str, str] | None,
    limit: int,
) -> list[ProductRow]:
    """Up to `limit` products by (vendor_code, id) after the cursor; a non-empty `query` is
    the exact nmId, or a part of the article or the name (case-insensitive, literally)."""
    rows = await conn.fetch(
        f"""
        SELECT {_PRODUCT} FROM products p
         WHERE p.store_id = $1
           AND ($2 = '' OR p.wb_product_id = $2 OR p.vendor_code ILIKE $3 ESCAPE '\\'
                OR p.name ILIKE $3 ESCAPE '\\')
           AND ($4::text IS NULL OR (p.vendor_code, p.id) > ($4, $5))
         ORDER BY p.vendor_code, p.id
         LIMIT $6
        """,
        store_id,
        query,
        like_contains(query),
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [ProductRow.from_record(r) for r in rows]


async def set_work_status(conn: Conn, product_id: str, status: str) -> None:
    await conn.execute(
        "UPDATE products SET work_status = $2::work_status_enum WHERE id = $1", product_id, status
    )


async def toggle_active(conn: Conn, product_id: str) -> None:
    await conn.execute(
        "UPDATE products SET is_active = NOT COALESCE(is_active, TRUE) WHERE id = $1", product_id
    )


async def work_products(conn: Conn, store_id: str, product_ids: list[str]) -> None:
    """The products are worked ('active'), as applying the default rules means."""
    await conn.execute(
        """UPDATE products SET work_status = 'active'
            WHERE store_id = $1 AND id = ANY($2::text[]) AND work_status <> 'active'""",
        store_id,
        product_ids,
    )


async def stop_work(conn: Conn, store_id: str, product_ids: list[str]) -> int:
    """How many products stopped being worked."""
    status = await conn.execute(
        """UPDATE products SET work_status = 'not_working'
            WHERE store_id = $1 AND id = ANY($2::text[])""",
        store_id,
        product_ids,
    )
    return int(status.split()[-1])


async def wb_product_ids(conn: Conn, store_id: str) -> set[int]:
    """WB's article numbers of the store's products."""
    rows = await conn.fetch("SELECT wb_product_id FROM products WHERE store_id = $1", store_id)
    return {int(r["wb_product_id"]) for r in rows if r["wb_product_id"].isdigit()}


async def filter_page(
    conn: Conn, store_id: str, *, query: str, offset: int, limit: int
) -> list[Record]:
    """Products to pick for the reviews list's product filter, the most negative reviews
    first, every product of the store page by page; `query` as in `page`."""
    return await conn.fetch(
        """
        SELECT p.id, p.name, p.vendor_code,
               (SELECT count(*) FROM reviews r WHERE r.product_id = p.id AND r.rating <= 3)
                 AS negatives
          FROM products p
         WHERE p.store_id = $1
           AND ($2 = '' OR p.wb_product_id = $2 OR p.vendor_code ILIKE $3 ESCAPE '\\'
                OR p.name ILIKE $3 ESCAPE '\\')
         ORDER BY negatives DESC, p.name, p.id
         OFFSET $4 LIMIT $5
        """,
        store_id,
        query,
        like_contains(query),
        offset,
        limit,
    )
