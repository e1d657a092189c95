"""Product rules: which products the bot files complaints for and works chats on."""

from __future__ import annotations

from typing import Any, Final

from db.pool import Conn

RULE_FIELDS: Final = frozenset(
    {
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
        "chat_strategy",
        "offer_compensation",
        "compensation_type",
        "max_compensation",
        "compensation_by",
    }
)

DEFAULTS: Final[dict[str, Any]] = {
    # "Apply defaults": complaints for 1-3 stars, chats for 1-4, strategy both.
    "submit_complaints": True,
    "complaint_rating_1": True,
    "complaint_rating_2": True,
    "complaint_rating_3": True,
    "complaint_rating_4": False,
    "work_in_chats": True,
    "chat_rating_1": True,
    "chat_rating_2": True,
    "chat_rating_3": True,
    "chat_rating_4": True,
    "chat_strategy": "both",
}


async def get_rules(conn: Conn, store_id: str, product_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT * FROM product_rules WHERE product_id = $1 AND store_id = $2",
        product_id,
        store_id,
    )
    return dict(row) if row else None


async def set_rules(
    conn: Conn, store_id: str, product_ids: list[str], changes: dict[str, Any]
) -> int:
    """Upsert rules for products of one store (a missing row is created on first edit).

    Products of other stores are ignored, whatever ids the caller passes.
    """
    unknown = set(changes) - RULE_FIELDS
    if unknown:
        raise ValueError(f"not a product rule: {', '.join(sorted(unknown))}")
    if not changes or not product_ids:
        return 0
    cols = list(changes)
    values = [changes[c] for c in cols]
    assign = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols)
    casts = ["::chat_strategy_enum" if c == "chat_strategy" else "" for c in cols]
    marks = ", ".join(f"${i + 3}{casts[i]}" for i in range(len(cols)))
    status = await conn.execute(
        f"""
        INSERT INTO product_rules (product_id, store_id, {", ".join(cols)})
        SELECT p.id, p.store_id, {marks}
          FROM products p
         WHERE p.store_id = $1 AND p.id = ANY($2::text[])
        ON CONFLICT (product_id) DO UPDATE SET {assign}, updated_at = NOW()
        """,
        store_id,
        product_ids,
        *values,
    )
    return int(status.split()[-1])
