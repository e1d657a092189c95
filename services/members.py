"""Who may act on a store: its owner, and the managers the owner invited.

Every bot handler that names a store, review, complaint, chat or product asks here first;
callback data is never trusted. Invites are one-time links that expire.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import asyncpg

from db.models import StoreRow
from db.pool import Conn
from db.secrets import token_hash

Role = Literal["owner", "manager"]
INVITE_TTL = timedelta(days=7)


class InviteError(Exception):
    """An invite that cannot be used; `code` is one of: unknown, used, expired, own_store,
    removed (the person used it and was removed from the store since)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def store_role(conn: Conn, user_id: str, store_id: str) -> Role | None:
    """The person's role on the store; None unless both they and the store's owner are
    approved (a rejected owner's managers lose the store with them)."""
    row = await conn.fetchrow(
        """
        SELECT CASE WHEN s.owner_id = $1 THEN 'owner'
                    WHEN m.user_id IS NOT NULL THEN 'manager' END AS role
          FROM stores s
          JOIN users o ON o.id = s.owner_id AND o.is_approved
          JOIN users me ON me.id = $1 AND me.is_approved
          LEFT JOIN store_members m ON m.store_id = s.id AND m.user_id = $1
         WHERE s.id = $2
        """,
        user_id,
        store_id,
    )
    return row["role"] if row and row["role"] else None


async def user_stores(conn: Conn, user_id: str) -> list[tuple[StoreRow, Role]]:
    """Stores the person owns or was invited to, owned first, then by name; stores whose
    owner is not approved are left out (store_role refuses them too)."""
    rows = await conn.fetch(
        f"""
        SELECT {StoreRow.columns("s")},
               CASE WHEN s.owner_id = $1 THEN 'owner' ELSE 'manager' END AS role
          FROM stores s
          JOIN users o ON o.id = s.owner_id AND o.is_approved
         WHERE (s.owner_id = $1
            OR EXISTS (SELECT 1 FROM store_members m WHERE m.store_id = s.id AND m.user_id = $1))
         ORDER BY (s.owner_id = $1) DESC, s.name, s.id
        """,
        user_id,
    )
    return [(StoreRow.from_record(r), r["role"]) for r in rows]


# What each entity's id resolves to: its store, so one check covers them all.
_STORE_OF = {
    "review": "SELECT store_id FROM reviews WHERE id = $1",
    "complaint": "SELECT store_id FROM review_complaints WHERE id = $1",
    "chat": "SELECT store_id FROM chats WHERE id = $1",
    "product": "SELECT store_id FROM products WHERE id = $1",
    "question": "SELECT store_id FROM questions WHERE id = $1",
}


async def store_of(conn: Conn, entity: str, entity_id: str) -> str | None:
    return await conn.fetchval(_STORE_OF[entity], entity_id)  # type: ignore[no-any-return]


async def create_invite(
    conn: Conn, store_id: str, created_by: str, *, now: datetime | None = None
) -> str:
    """A new one-time invite: the token goes into the link shown once; only its hash is kept."""
    token = secrets.token_urlsafe(12)
    now = now or datetime.now(UTC)
    await conn.execute(
        """INSERT INTO store_invites (token_hash, store_id, created_by, expires_at)
           VALUES ($1, $2, $3, $4)""",
        token_hash(token),
        store_id,
        created_by,
        now + INVITE_TTL,
    )
    return token


@dataclass(frozen=True, slots=True)
class InviteRef:
    """An invite known by its hash, all the database keeps of it (a waiting invite in
    `pending_invites` has no token any more)."""

    token_hash: str

    @classmethod
    def of(cls, invite: str | InviteRef) -> InviteRef:
        return invite if isinstance(invite, InviteRef) else cls(token_hash(invite))


@dataclass(frozen=True, slots=True)
class AcceptedInvite:
    store_id: str
    store_name: str
    owner_id: str
    first: bool = True
    """False when this person had already used the invite (opening it again is no news)."""


async def accept_invite(
    pool: asyncpg.Pool, invite: str | InviteRef, user_id: str, *, now: datetime | None = None
) -> AcceptedInvite:
    """Use a one-time invite (its token, or the ref of a waiting one): the person becomes a
    manager of its store."""
    now = now or datetime.now(UTC)
    ref = InviteRef.of(invite)
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            """
            SELECT i.*, s.name AS store_name, s.owner_id
              FROM store_invites i JOIN stores s ON s.id = i.store_id
             WHERE i.token_hash = $1 FOR UPDATE OF i
            """,
            ref.token_hash,
        )
        if row is None:
            raise InviteError("unknown")
        if row["owner_id"] == user_id:
            raise InviteError("own_store")
        if row["used_at"] is not None:
            if row["used_by"] != user_id:
                raise InviteError("used")
            member = await conn.fetchval(
                "SELECT 1 FROM store_members WHERE store_id = $1 AND user_id = $2",
                row["store_id"],
                user_id,
            )
            if member is None:
                raise InviteError("removed")  # they used it, then the owner removed them
            return AcceptedInvite(row["store_id"], row["store_name"], row["owner_id"], first=False)
        if row["expires_at"] <= now:
            raise InviteError("expired")
        await conn.execute(
            "UPDATE store_invites SET used_by = $2, used_at = $3 WHERE token_hash = $1",
            ref.token_hash,
            user_id,
            now,
        )
        await conn.execute(
            """
            INSERT INTO store_members (store_id, user_id, invited_by) VALUES ($1, $2, $3)
            ON CONFLICT (store_id, user_id) DO NOTHING
            """,
            row["store_id"],
            user_id,
            row["created_by"],
        )
    return AcceptedInvite(row["store_id"], row["store_name"], row["owner_id"])


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
