"""Products of a store and their rules, as the bot's product screens need them.

A product's rules decide what is worked automatically (services/complaints.py `auto_gate`):
`is_active`, `work_status = 'active'`, `submit_complaints` and `complaint_rating_N`. A missing
`product_rules` row means "all off"; it is created on the first edit (db/repos/product_rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import asyncpg

from db.models import ProductRow
from db.repos import product_rules as rules_repo
from db.repos import products as products_repo
from db.repos import stores as stores_repo

WORK_STATUSES: Final = ("active", "not_working", "paused", "completed")
CHAT_STRATEGIES: Final = ("both", "upgrade_to_5", "delete")
COMPENSATION_TYPES: Final = ("кешбэк", "частичный возврат", "полный возврат")
MAX_COMPENSATIONS: Final = ("10%", "20%", "30%", "50%", "100%")
COMPENSATION_BY: Final = ("продавец",)
BOOL_RULES: Final = (
    "submit_complaints",
    "complaint_rating_1",
    "complaint_rating_2",
    "complaint_rating_3",
    "complaint_rating_4",
    "work_in_chats",
    "chat_rating_1",
    "chat_rating_2",
    "chat_rating_3",
    "chat_rating_4",
    "offer_compensation",
)
CHOICE_RULES: Final[dict[str, tuple[str, ...]]] = {
    "chat_strategy": CHAT_STRATEGIES,
    "compensation_type": COMPENSATION_TYPES,
    "max_compensation": MAX_COMPENSATIONS,
    "compensation_by": COMPENSATION_BY,
}
EMPTY_RULES: Final[dict[str, Any]] = {
    **dict.fromkeys(BOOL_RULES, False),
    "chat_strategy": "both",
    "compensation_type": None,
    "max_compensation": None,
    "compensation_by": None,
}


class ProductError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class ProductCard:
    product: ProductRow
    rules: dict[str, Any]
    has_rules: bool


@dataclass(frozen=True, slots=True)
class ProductPage:
    items: list[ProductRow]
    has_more: bool


async def list_products(
    pool: asyncpg.Pool,
    store_id: str,
    *,
    query: str | None = None,
    after: tuple[str, str] | None = None,
    limit: int = 8,
) -> ProductPage:
    """Products by (vendor_code, id), keyset-paged; `query` matches article, name or nmId."""
    q = (query or "").strip()
    rows = await products_repo.page(pool, store_id, query=q, after=after, limit=limit + 1)
    return ProductPage(rows[:limit], len(rows) > limit)


async def product_card(pool: asyncpg.Pool, product_id: str) -> ProductCard:
    product = await products_repo.get_product(pool, product_id)
    if product is None:
        raise ProductError("not_found")
    rules = await rules_repo.get_rules(pool, product.store_id, product_id)
    merged = dict(EMPTY_RULES)
    if rules:
        merged.update({k: rules[k] for k in EMPTY_RULES if rules.get(k) is not None})
    return ProductCard(product, merged, rules is not None)


async def toggle_rule(pool: asyncpg.Pool, product_id: str, field: str) -> ProductCard:
    if field not in BOOL_RULES:
        raise ProductError("bad_field")
    card = await product_card(pool, product_id)
    await rules_repo.set_rules(
        pool, card.product.store_id, [product_id], {field: not card.rules[field]}
    )
    return await product_card(pool, product_id)


async def set_choice(pool: asyncpg.Pool, product_id: str, field: str, value: str) -> ProductCard:
    choices = CHOICE_RULES.get(field)
    if choices is None:
        raise ProductError("bad_field")
    card = await product_card(pool, product_id)
    if value == "" and field != "chat_strategy":
        chosen: str | None = None
    elif value in choices:
        chosen = value
    else:
        raise ProductError("bad_value")
    await rules_repo.set_rules(pool, card.product.store_id, [product_id], {field: chosen})
    return await product_card(pool, product_id)


async def set_work_status(pool: asyncpg.Pool, product_id: str, status: str) -> ProductCard:
    if status not in WORK_STATUSES:
        raise ProductError("bad_value")
    await products_repo.set_work_status(pool, product_id, status)
    return await product_card(pool, product_id)


async def toggle_active(pool: asyncpg.Pool, product_id: str) -> ProductCard:
    await products_repo.toggle_active(pool, product_id)
    return await product_card(pool, product_id)


async def apply_defaults(pool: asyncpg.Pool, store_id: str, product_ids: list[str]) -> int:
    """Standard rules (complaints 1-3, chats 1-4, strategy both) and work the products.

    "Apply defaults" means "work these products the usual way", so `work_status` becomes
    'active' too (auto-drafting needs it); compensation settings are left as they were.
    """
    async with pool.acquire() as conn, conn.transaction():
        changed = await rules_repo.set_rules(conn, store_id, product_ids, dict(rules_repo.DEFAULTS))
        await products_repo.work_products(conn, store_id, product_ids)
    return changed


async def stop_work(pool: asyncpg.Pool, store_id: str, product_ids: list[str]) -> int:
    status = await products_repo.stop_work(pool, store_id, product_ids)
    return status


class Products:
    """The product screens' calls on the app's pool: built once and injected as `products`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def page(
        self,
        store_id: str,
        *,
        query: str | None = None,
        after: tuple[str, str] | None = None,
        limit: int = 8,
    ) -> ProductPage:
        return await list_products(self._pool, store_id, query=query, after=after, limit=limit)

    async def card(self, product_id: str) -> ProductCard:
        return await product_card(self._pool, product_id)

    async def toggle_rule(self, product_id: str, field: str) -> ProductCard:
        return await toggle_rule(self._pool, product_id, field)

    async def set_choice(self, product_id: str, field: str, value: str) -> ProductCard:
        return await set_choice(self._pool, product_id, field, value)

    async def set_work_status(self, product_id: str, status: str) -> ProductCard:
        return await set_work_status(self._pool, product_id, status)

    async def toggle_active(self, product_id: str) -> ProductCard:
        return await toggle_active(self._pool, product_id)

    async def apply_defaults(self, store_id: str, product_ids: list[str]) -> int:
        return await apply_defaults(self._pool, store_id, product_ids)

    async def stop_work(self, store_id: str, product_ids: list[str]) -> int:
        return await stop_work(self._pool, store_id, product_ids)

    async def store_name(self, store_id: str) -> str:
        return await stores_repo.store_name(self._pool, store_id)
