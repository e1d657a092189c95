"""Stores (WB seller accounts) and their sync bookkeeping.

Token columns are written sealed (`db.secrets.seal`) and read back as stored: `StoreRow`
carries them sealed, and `services.wb.factory.store_tokens` is the one place they are opened.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import asyncpg

from db.models import StoreRow
from db.pool import Conn
from db.secrets import seal

SyncKind = Literal["products", "reviews", "questions", "chats"]

_STORE = StoreRow.columns()
# stores.last_<x>_update_* column stem per sync kind (the seed schema's names).
_STATUS_STEM: dict[str, str] = {
    "products": "last_product_update",
    "reviews": "last_review_update",
    "questions": "last_question_update",
    "chats": "last_chat_update",
}


async def create_store(
    conn: Conn, store_id: str, *, owner_id: str, name: str, api_token: str
) -> StoreRow:
    row = await conn.fetchrow(
        f"""
        INSERT INTO stores (id, name, owner_id, api_token, status)
        VALUES ($1, $2, $3, $4, 'active') RETURNING {_STORE}
        """,
        store_id,
        name,
        owner_id,
        seal(api_token),
    )
    assert row is not None
    return StoreRow.from_record(row)


async def get_store(conn: Conn, store_id: str) -> StoreRow | None:
    row = await conn.fetchrow(f"SELECT {_STORE} FROM stores WHERE id = $1", store_id)
    return StoreRow.from_record(row) if row else None


async def store_name(conn: Conn, store_id: str) -> str:
    """Just the name, for screen titles ("" for a store that is gone)."""
    return str(await conn.fetchval("SELECT name FROM stores WHERE id = $1", store_id) or "")


async def list_stores(
    conn: Conn, *, owner_id: str | None = None, only_active: bool = False
) -> list[StoreRow]:
    rows = await conn.fetch(
        f"""
        SELECT {_STORE} FROM stores
        WHERE ($1::text IS NULL OR owner_id = $1)
          AND (NOT $2 OR (status = 'active'
                          AND EXISTS (SELECT 1 FROM users u
                                       WHERE u.id = stores.owner_id AND u.is_approved)))
        ORDER BY name, id
        """,
        owner_id,
        only_active,
    )
    return [StoreRow.from_record(r) for r in rows]


async def rename_store(conn: Conn, store_id: str, name: str) -> bool:
    return await conn.execute("UPDATE stores SET name = $2 WHERE id = $1", store_id, name) == (
        "UPDATE 1"
    )


async def pause_owned(conn: Conn, owner_id: str) -> int:
    """Pause every active store of this owner (a rejection); how many were running."""
    status = await conn.execute(
        "UPDATE stores SET status = 'inactive' WHERE owner_id = $1 AND status = 'active'",
        owner_id,
    )
    return int(status.split()[-1])


async def count_paused(conn: Conn, owner_id: str) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM stores WHERE owner_id = $1 AND status <> 'active'", owner_id
        )
    )


async def set_store_status(conn: Conn, store_id: str, status: str) -> bool:
    """False for a store that is gone, or resumed while its owner is not approved (a
    rejection at the same moment paused it)."""
    result = await conn.execute(
        """UPDATE stores SET status = $2 WHERE id = $1
              AND ($2 <> 'active'
                   OR EXISTS (SELECT 1 FROM users u WHERE u.id = owner_id AND u.is_approved))""",
        store_id,
        status,
    )
    return result == "UPDATE 1"


async def set_api_token(conn: Conn, store_id: str, api_token: str) -> bool:
    """Replace the main token (sealed); category tokens are cleared so the new one is used
    everywhere."""
    result = await conn.execute(
        """
        UPDATE stores SET api_token = $2, feedbacks_api_token = NULL,
               chat_api_token = NULL, content_api_token = NULL
        WHERE id = $1
        """,
        store_id,
        seal(api_token),
    )
    return result == "UPDATE 1"


async def delete_store(conn: Conn, store_id: str) -> bool:
    return await conn.execute("DELETE FROM stores WHERE id = $1", store_id) == "DELETE 1"


async def set_sync_status(
    conn: Conn,
    store_id: str,
    kind: SyncKind,
    status: str,
    *,
    at: datetime,
    error: str | None = None,
) -> None:
    """Write `stores.last_<kind>_update_status/date/error` (pending, success, error)."""
    stem = _STATUS_STEM[kind]
    await conn.execute(
        f"UPDATE stores SET {stem}_status = $2, {stem}_date = $3, {stem}_error = $4 WHERE id = $1",
        store_id,
        status,
        at,
        error,
    )


async def set_chat_cursor(conn: Conn, store_id: str, next_cursor: str) -> None:
    await conn.execute(
        "UPDATE stores SET last_chat_update_next = $2 WHERE id = $1", store_id, next_cursor
    )


# --- the sync's lease per store and kind (services/sync/base.py) ------------------------------
# Times are the database's clock (`clock_timestamp()`), the one clock every instance shares;
# the `now` a sync is given may be a test's or a scheduler tick's.


async def claim_sync_lease(
    conn: Conn, store_id: str, kind: SyncKind, *, holder: str, ttl: timedelta
) -> bool:
    """Take the (store, kind) if nobody holds it or the holder's lease expired."""
    row = await conn.fetchval(
        """
        INSERT INTO sync_state (store_id, kind, lease_holder, lease_started_at, lease_expires_at)
        VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp() + $4::interval)
        ON CONFLICT (store_id, kind) DO UPDATE
           SET lease_holder = EXCLUDED.lease_holder,
               lease_started_at = EXCLUDED.lease_started_at,
               lease_expires_at = EXCLUDED.lease_expires_at
         WHERE sync_state.lease_holder IS NULL
            OR sync_state.lease_expires_at <= clock_timestamp()
        RETURNING 1
        """,
        store_id,
        kind,
        holder,
        ttl,
    )
    return row is not None


async def renew_sync_lease(
    conn: Conn, store_id: str, kind: SyncKind, *, holder: str, ttl: timedelta
) -> bool:
    """Move the expiry on; False when the lease is no longer this holder's."""
    return (
        await conn.execute(
            """
            UPDATE sync_state SET lease_expires_at = clock_timestamp() + $4::interval
             WHERE store_id = $1 AND kind = $2 AND lease_holder = $3
            """,
            store_id,
            kind,
            holder,
            ttl,
        )
        == "UPDATE 1"
    )


async def release_sync_lease(conn: Conn, store_id: str, kind: SyncKind, *, holder: str) -> None:
    await conn.execute(
        """
        UPDATE sync_state SET lease_holder = NULL, lease_expires_at = NULL
         WHERE store_id = $1 AND kind = $2 AND lease_holder = $3
        """,
        store_id,
        kind,
        holder,
    )


async def get_sync_state(conn: Conn, store_id: str, kind: SyncKind) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM sync_state WHERE store_id = $1 AND kind = $2", store_id, kind
    )


async def record_sync_success(
    conn: Conn, store_id: str, kind: SyncKind, *, started_at: datetime, full: bool, new: int
) -> None:
    await conn.execute(
        """
        INSERT INTO sync_state (store_id, kind, last_success_at, last_full_sync_at, last_run_new)
        VALUES ($1, $2, $3::timestamptz, CASE WHEN $4::boolean THEN $3::timestamptz END, $5)
        ON CONFLICT (store_id, kind) DO UPDATE
           SET last_success_at = EXCLUDED.last_success_at,
               last_full_sync_at = COALESCE(EXCLUDED.last_full_sync_at,
                                            sync_state.last_full_sync_at),
               last_run_new = EXCLUDED.last_run_new,
               auth_error = NULL, auth_error_token = NULL, auth_error_notified = FALSE
        """,
        store_id,
        kind,
        started_at,
        full,
        new,
    )


async def record_auth_error(
    conn: Conn, store_id: str, kind: SyncKind, *, reason: str, token_hash: str
) -> None:
    await conn.execute(
        """
        INSERT INTO sync_state (store_id, kind, auth_error, auth_error_token)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (store_id, kind) DO UPDATE
           SET auth_error = EXCLUDED.auth_error,
               auth_error_notified = sync_state.auth_error_notified
                                     AND sync_state.auth_error_token = EXCLUDED.auth_error_token,
               auth_error_token = EXCLUDED.auth_error_token
        """,
        store_id,
        kind,
        reason,
        token_hash,
    )


async def refresh_review_counts(conn: Conn, store_id: str) -> None:
    """Recount `stores.total_reviews` and `products.review_count` for one store."""
    await conn.execute(
        """
        UPDATE products p SET review_count = c.n
        FROM (SELECT pr.id, count(r.id) AS n
                FROM products pr LEFT JOIN reviews r ON r.product_id = pr.id
               WHERE pr.store_id = $1 GROUP BY pr.id) c
        WHERE p.id = c.id AND p.review_count IS DISTINCT FROM c.n
        """,
        store_id,
    )
    await conn.execute(
        """
        UPDATE stores SET total_reviews = c.n
        FROM (SELECT count(*) AS n FROM reviews WHERE store_id = $1) c
        WHERE id = $1 AND total_reviews IS DISTINCT FROM c.n
        """,
        store_id,
    )


async def refresh_chat_counts(conn: Conn, store_id: str) -> None:
    """Recount `stores.total_chats` and `stores.chat_tag_counts`."""
    await conn.execute(
        """
        UPDATE stores s SET total_chats = c.total, chat_tag_counts = c.tags
        FROM (SELECT COALESCE(sum(n), 0)::int AS total,
                     COALESCE(jsonb_object_agg(tag, n) FILTER (WHERE tag IS NOT NULL), '{}'::jsonb)
                       AS tags
                FROM (SELECT tag, count(*) AS n FROM chats WHERE store_id = $1 GROUP BY tag) t
             ) c
        WHERE s.id = $1
          AND (s.total_chats IS DISTINCT FROM c.total OR s.chat_tag_counts IS DISTINCT FROM c.tags)
        """,
        store_id,
    )


async def seller_holder(conn: Conn, seller: str, store_id: str) -> str | None:
    """The owner of another store that holds this WB seller account, if any."""
    owner: str | None = await conn.fetchval(
        "SELECT owner_id FROM stores WHERE wb_seller_id = $1 AND id <> $2", seller, store_id
    )
    return owner


async def set_seller(conn: Conn, store_id: str, seller: str) -> None:
    await conn.execute("UPDATE stores SET wb_seller_id = $2 WHERE id = $1", store_id, seller)


async def lock_seller(conn: Conn, store_id: str) -> str | None:
    """The store's WB seller account, the row locked for the rest of the transaction."""
    seller: str | None = await conn.fetchval(
        "SELECT wb_seller_id FROM stores WHERE id = $1 FOR UPDATE", store_id
    )
    return seller


async def store_exists(conn: Conn, store_id: str) -> bool:
    return await conn.fetchval("SELECT 1 FROM stores WHERE id = $1", store_id) is not None
