"""Store members and invites: who may act on a store, and the one-time links that add managers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import asyncpg

from db.models import StoreRef, StoreRow
from db.pool import Conn

Role = Literal["owner", "manager"]


_ROLE = """
        SELECT s.id AS store_id,{columns}
               CASE WHEN s.owner_id = $1 THEN 'owner'
                    WHEN m.user_id IS NOT NULL THEN 'manager' END AS role
          FROM stores s
          JOIN users o ON o.id = s.owner_id AND o.is_approved
          JOIN users me ON me.id = $1 AND me.is_approved
          LEFT JOIN store_members m ON m.store_id = s.id AND m.user_id = $1
         WHERE s.id = {store}
"""
"""The person's role on a store; none unless both they and the store's owner are approved (a
rejected owner's managers lose the store with them). `{store}` is the store id's expression;
`{columns}` more columns of `s` to return with it (or nothing)."""


async def store_role(conn: Conn, user_id: str, store_id: str) -> Role | None:
    """The person's role on the store (`_ROLE`)."""
    row = await conn.fetchrow(_ROLE.format(store="$2", columns=""), user_id, store_id)
    return row["role"] if row and row["role"] else None


async def store_and_role(conn: Conn, user_id: str, store_id: str) -> tuple[StoreRow, Role] | None:
    """The store's row and the person's role on it (`_ROLE`) in one round trip: a store's
    card and its actions take both."""
    columns = StoreRow.columns("s") + ","
    row = await conn.fetchrow(_ROLE.format(store="$2", columns=columns), user_id, store_id)
    return (StoreRow.from_record(row), row["role"]) if row and row["role"] else None


async def object_role(
    conn: Conn, user_id: str, entity: str, entity_id: str
) -> tuple[str, Role] | None:
    """The store of a review, complaint, chat, ... and the person's role on it, in one round
    trip (every press on an object asks this); None when either is missing."""
    store = "(" + _STORE_OF[entity].replace("$1", "$2") + ")"  # the object's id is $2 here
    row = await conn.fetchrow(_ROLE.format(store=store, columns=""), user_id, entity_id)
    return (row["store_id"], row["role"]) if row and row["role"] else None


_USER_STORES = """
        SELECT {columns},
               CASE WHEN s.owner_id = $1 THEN 'owner' ELSE 'manager' END AS role
          FROM stores s
          JOIN users o ON o.id = s.owner_id AND o.is_approved
         WHERE (s.owner_id = $1
            OR EXISTS (SELECT 1 FROM store_members m WHERE m.store_id = s.id AND m.user_id = $1))
         ORDER BY (s.owner_id = $1) DESC, s.name, s.id
"""
"""Stores the person owns or was invited to, owned first, then by name; stores whose owner
is not approved are left out (store_role refuses them too)."""


async def user_stores(conn: Conn, user_id: str) -> list[tuple[StoreRow, Role]]:
    """The person's stores (`_USER_STORES`), whole rows."""
    rows = await conn.fetch(_USER_STORES.format(columns=StoreRow.columns("s")), user_id)
    return [(StoreRow.from_record(r), r["role"]) for r in rows]


async def user_store_refs(conn: Conn, user_id: str) -> list[tuple[StoreRef, Role]]:
    """The same stores in the same order, as a picker shows them."""
    rows = await conn.fetch(_USER_STORES.format(columns=StoreRef.columns("s")), user_id)
    return [(StoreRef.from_record(r), r["role"]) for r in rows]


# What each entity's id resolves to: its store, so one check covers them all.
_STORE_OF = {
    "review": "SELECT store_id FROM reviews WHERE id = $1",
    "complaint": "SELECT store_id FROM review_complaints WHERE id = $1",
    "chat": "SELECT store_id FROM chats WHERE id = $1",
    "product": "SELECT store_id FROM products WHERE id = $1",
    "question": "SELECT store_id FROM questions WHERE id = $1",
    "autoreply": "SELECT store_id FROM autoreplies WHERE review_id = $1",
}


async def store_of(conn: Conn, entity: str, entity_id: str) -> str | None:
    return await conn.fetchval(_STORE_OF[entity], entity_id)  # type: ignore[no-any-return]


async def insert_invite(
    conn: Conn, token_hash: str, store_id: str, created_by: str, expires_at: datetime
) -> None:
    await conn.execute(
        """INSERT INTO store_invites (token_hash, store_id, created_by, expires_at)
           VALUES ($1, $2, $3, $4)""",
        token_hash,
        store_id,
        created_by,
        expires_at,
    )


async def lock_invite(conn: Conn, token_hash: str) -> asyncpg.Record | None:
    """The invite with its store's name and owner, locked for the rest of the transaction."""
    return await conn.fetchrow(
        """
        SELECT i.*, s.name AS store_name, s.owner_id
          FROM store_invites i JOIN stores s ON s.id = i.store_id
         WHERE i.token_hash = $1 FOR UPDATE OF i
        """,
        token_hash,
    )


async def is_member(conn: Conn, store_id: str, user_id: str) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM store_members WHERE store_id = $1 AND user_id = $2", store_id, user_id
    )
    return found is not None


async def use_invite(
    conn: Conn, token_hash: str, user_id: str, now: datetime, store_id: str, invited_by: str
) -> None:
    """Mark the invite used and make the person a manager of its store."""
    await conn.execute(
        "UPDATE store_invites SET used_by = $2, used_at = $3 WHERE token_hash = $1",
        token_hash,
        user_id,
        now,
    )
    await conn.execute(
        """
        INSERT INTO store_members (store_id, user_id, invited_by) VALUES ($1, $2, $3)
        ON CONFLICT (store_id, user_id) DO NOTHING
        """,
        store_id,
        user_id,
        invited_by,
    )


async def list_managers(conn: Conn, store_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT u.id, u.email, t.username, t.first_name, m.alerts_enabled, m.created_at
          FROM store_members m
          JOIN users u ON u.id = m.user_id
          LEFT JOIN telegram_accounts t ON t.user_id = u.id
         WHERE m.store_id = $1
         ORDER BY m.created_at
        """,
        store_id,
    )


async def remove_manager(conn: Conn, store_id: str, user_id: str) -> bool:
    status = await conn.execute(
        "DELETE FROM store_members WHERE store_id = $1 AND user_id = $2", store_id, user_id
    )
    return status == "DELETE 1"
