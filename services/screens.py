"""Screen queries the bot's lists and cards show: review and complaint cards, keyset pages,
counts, filter choices, store names. The SQL lives in `db/repos/review_pages.py` and
`db/repos/stores.py`; these are the calls handlers make, so `bot` never imports `db`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import asyncpg

from db.models import StoreRow
from db.pool import Conn
from db.repos import products as products_repo
from db.repos import review_pages
from db.repos import stores as stores_repo
from db.repos.review_pages import (
    DEFAULT_FILTER,
    ComplaintCard,
    ReviewCard,
    ReviewFilter,
    ReviewLine,
)

Cursor = tuple[datetime, str]


async def card(conn: Conn, review_id: str) -> ReviewCard | None:
    return await review_pages.card(conn, review_id)


async def titled_line_page(
    conn: Conn,
    store_id: str,
    f: ReviewFilter = DEFAULT_FILTER,
    *,
    after: Cursor | None = None,
    limit: int = 10,
) -> tuple[str, list[ReviewLine]]:
    return await review_pages.titled_line_page(conn, store_id, f, after=after, limit=limit)


async def count(conn: Conn, store_id: str, f: ReviewFilter = DEFAULT_FILTER) -> int:
    return await review_pages.count(conn, store_id, f)


async def filter_products(conn: Conn, store_id: str, *, limit: int = 8) -> list[asyncpg.Record]:
    return await review_pages.filter_products(conn, store_id, limit=limit)


async def product_label(conn: Conn, product_id: str) -> str | None:
    return await review_pages.product_label(conn, product_id)


async def complaint_card(conn: Conn, complaint_id: str) -> ComplaintCard | None:
    return await review_pages.complaint_card(conn, complaint_id)


async def complaint_page(
    conn: Conn,
    store_id: str,
    statuses: tuple[str, ...],
    *,
    after: Cursor | None = None,
    limit: int = 10,
) -> list[ComplaintCard]:
    return await review_pages.complaint_page(conn, store_id, statuses, after=after, limit=limit)


async def complaint_count(conn: Conn, store_id: str, statuses: tuple[str, ...]) -> int:
    return await review_pages.complaint_count(conn, store_id, statuses)


async def average_complaint_cost(conn: Conn, store_id: str) -> Decimal | None:
    return await review_pages.average_complaint_cost(conn, store_id)


async def get_store(conn: Conn, store_id: str) -> StoreRow | None:
    return await stores_repo.get_store(conn, store_id)


async def store_name(conn: Conn, store_id: str) -> str:
    return await stores_repo.store_name(conn, store_id)


class Screens:
    """The screen queries above on the app's pool: built once (`bot/context.py`) and injected
    as `screens`, so a view asks for its data without holding the pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def card(self, review_id: str) -> ReviewCard | None:
        return await card(self._pool, review_id)

    async def titled_line_page(
        self,
        store_id: str,
        f: ReviewFilter = DEFAULT_FILTER,
        *,
        after: Cursor | None = None,
        limit: int = 10,
    ) -> tuple[str, list[ReviewLine]]:
        """The store's name and a page of list lines in one statement (a list screen's data)."""
        return await titled_line_page(self._pool, store_id, f, after=after, limit=limit)

    async def count(self, store_id: str, f: ReviewFilter = DEFAULT_FILTER) -> int:
        return await count(self._pool, store_id, f)

    async def filter_product_page(
        self, store_id: str, *, query: str = "", page: int = 0, size: int = 8
    ) -> tuple[list[asyncpg.Record], bool]:
        """One page of the product filter's choices (every product of the store, the most
        negative first; `query`: nmId, or part of the article or name) and whether more follow."""
        rows = await products_repo.filter_page(
            self._pool, store_id, query=query.strip(), offset=page * size, limit=size + 1
        )
        return rows[:size], len(rows) > size

    async def product_label(self, product_id: str) -> str | None:
        return await product_label(self._pool, product_id)

    async def complaint_card(self, complaint_id: str) -> ComplaintCard | None:
        return await complaint_card(self._pool, complaint_id)

    async def complaint_page(
        self,
        store_id: str,
        statuses: tuple[str, ...],
        *,
        after: Cursor | None = None,
        limit: int = 10,
    ) -> list[ComplaintCard]:
        return await complaint_page(self._pool, store_id, statuses, after=after, limit=limit)

    async def complaint_count(self, store_id: str, statuses: tuple[str, ...]) -> int:
        return await complaint_count(self._pool, store_id, statuses)

    async def average_complaint_cost(self, store_id: str) -> Decimal | None:
        return await average_complaint_cost(self._pool, store_id)

    async def get_store(self, store_id: str) -> StoreRow | None:
        return await get_store(self._pool, store_id)

    async def store_name(self, store_id: str) -> str:
        return await store_name(self._pool, store_id)
