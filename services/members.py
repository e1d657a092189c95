"""Who may act on a store: its owner, and the managers the owner invited.

Every bot handler that names a store, review, complaint, chat or product asks here first;
callback data is never trusted. Invites are one-time links that expire.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from db.models import StoreRef, StoreRow
from db.pool import Conn
from db.repos import members as members_repo
from db.repos.members import (
    Role,
    list_managers,
    object_role,
    remove_manager,
    store_and_role,
    store_of,
    store_role,
    user_store_refs,
    user_stores,
)
from db.secrets import token_hash
from services.access_cache import AccessCache

__all__ = [
    "Role",
    "list_managers",
    "remove_manager",
    "store_and_role",
    "store_of",
    "store_role",
    "user_stores",
]
INVITE_TTL = timedelta(days=7)


class InviteError(Exception):
    """An invite that cannot be used; `code` is one of: unknown, used, expired, own_store,
    removed (the person used it and was removed from the store since)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def create_invite(
    conn: Conn, store_id: str, created_by: str, *, now: datetime | None = None
) -> str:
    """A new one-time invite: the token goes into the link shown once; only its hash is kept."""
    token = secrets.token_urlsafe(12)
    now = now or datetime.now(UTC)
    await members_repo.insert_invite(
        conn, token_hash(token), store_id, created_by, now + INVITE_TTL
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
        row = await members_repo.lock_invite(conn, ref.token_hash)
        if row is None:
            raise InviteError("unknown")
        if row["owner_id"] == user_id:
            raise InviteError("own_store")
        if row["used_at"] is not None:
            if row["used_by"] != user_id:
                raise InviteError("used")
            member = await members_repo.is_member(conn, row["store_id"], user_id)
            if not member:
                raise InviteError("removed")  # they used it, then the owner removed them
            return AcceptedInvite(row["store_id"], row["store_name"], row["owner_id"], first=False)
        if row["expires_at"] <= now:
            raise InviteError("expired")
        await members_repo.use_invite(
            conn, ref.token_hash, user_id, now, row["store_id"], row["created_by"]
        )
    return AcceptedInvite(row["store_id"], row["store_name"], row["owner_id"])


STORE_FIXED = frozenset({"review", "product", "chat", "question"})
"""Objects whose store never changes and whose rows go only with their store or its owner
(a cascade from a `stores` or `users` DELETE, which notifies): the store and role found for
such an id are kept (`AccessCache`). Not a refusal: the object may come with the next sync,
which does not notify. Complaints and automatic replies are deleted on their own, so they
are read each time."""


class Members:
    """Who may act on which store, on the app's pool: built once and injected as `members`.
    Every id from callback or FSM data is checked here before a handler acts on it. Roles
    (also on a review, product, chat or question) come from `cache` while it is live
    (services/access_cache.py)."""

    def __init__(self, pool: asyncpg.Pool, cache: AccessCache | None = None) -> None:
        self._pool = pool
        self._cache = cache or AccessCache()

    async def may_act(self, user_id: str | None, entity: str, entity_id: str) -> str | None:
        """The store of the object if this person may act on it, else None (unknown or not
        theirs: the caller shows one refusal for both, so a forged id learns nothing)."""
        found = await self.object_role(user_id, entity, entity_id)
        return found[0] if found is not None else None

    async def object_role(
        self, user_id: str | None, entity: str, entity_id: str
    ) -> tuple[str, Role] | None:
        """The object's store and this person's role on it (one round trip, none when kept),
        or None."""
        if user_id is None or not entity_id:
            return None
        if entity not in STORE_FIXED:
            return await object_role(self._pool, user_id, entity, entity_id)
        return await self._cache.get(
            ("object_role", user_id, entity, entity_id),
            lambda: object_role(self._pool, user_id, entity, entity_id),
            keep_none=False,
        )

    async def store_of(self, entity: str, entity_id: str) -> str | None:
        """The store of a review, complaint, chat, product, question or automatic reply;
        None when there is no such object. Says nothing of who may act on it (`may_act`)."""
        if not entity_id:
            return None
        return await store_of(self._pool, entity, entity_id)

    async def role(self, user_id: str | None, store_id: str) -> Role | None:
        if user_id is None or not store_id:
            return None
        return await self._cache.get(
            ("role", user_id, store_id), lambda: store_role(self._pool, user_id, store_id)
        )

    async def store_and_role(
        self, user_id: str | None, store_id: str
    ) -> tuple[StoreRow, Role] | None:
        """The store's row and this person's role on it, one round trip, or None."""
        if user_id is None or not store_id:
            return None
        return await store_and_role(self._pool, user_id, store_id)

    async def user_stores(self, user_id: str) -> list[tuple[StoreRow, Role]]:
        return await user_stores(self._pool, user_id)

    async def store_refs(self, user_id: str) -> tuple[tuple[StoreRef, Role], ...]:
        """The person's stores as a picker shows them (`user_stores`' order), kept with the
        roles: a section's button reads them on every press."""

        async def load() -> tuple[tuple[StoreRef, Role], ...]:
            return tuple(await user_store_refs(self._pool, user_id))

        return await self._cache.get(("stores", user_id), load)

    async def list_managers(self, store_id: str) -> list[asyncpg.Record]:
        return await list_managers(self._pool, store_id)

    async def remove_manager(self, store_id: str, user_id: str) -> bool:
        return await remove_manager(self._pool, store_id, user_id)

    async def create_invite(self, store_id: str, created_by: str) -> str:
        return await create_invite(self._pool, store_id, created_by)
