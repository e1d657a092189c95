"""Adding and managing stores (WB seller accounts).

A token is checked before it is saved: decoded (type, categories, read-only, expiry), then
pinged on the feedbacks host. Problems come back as stable codes; the bot and the CLI turn
them into words. One WB seller account is one store here (`stores.wb_seller_id`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

import asyncpg

from db.models import StoreRow
from db.pool import Connection
from db.repos import stores as stores_repo
from db.secrets import SecretUnreadable
from services.wb.client import StoreTokens
from services.wb.errors import WBAuthError, WBError
from services.wb.factory import WBClientFactory, store_tokens
from services.wb.tokens import TokenFormatError, TokenInfo, bare_token, inspect_token, warnings


# Problems that stop a token from being saved, and warnings that do not.
class TokenProblem(StrEnum):
    """Why a token cannot be saved (`StoreTokenError.problems`)."""

    MALFORMED = "malformed"
    EXPIRED = "expired"
    READ_ONLY = "read_only"
    TEST_TOKEN = "test_token"  # noqa: S105 - a code, not a secret
    NO_FEEDBACKS_CATEGORY = "no_feedbacks_category"
    REJECTED_BY_WB = "rejected_by_wb"
    WB_UNREACHABLE = "wb_unreachable"
    SELLER_TAKEN = "seller_taken"
    SELLER_ADDED = "seller_added"
    OTHER_SELLER = "other_seller"


class TokenWarning(StrEnum):
    """What the seller should know about a token that was saved (`TokenCheck.warnings`)."""

    BASE_TOKEN_LIMITS = "base_token_limits"  # noqa: S105 - a code, not a secret
    EXPIRES_SOON = "expires_soon"
    NO_CHAT_CATEGORY = "no_chat_category"
    NO_CONTENT_CATEGORY = "no_content_category"
    NO_EXPIRY = "no_expiry"
    LEGACY_TOKEN = "legacy_token"  # noqa: S105 - a code, not a secret


BLOCKING = ("malformed", "expired", "read_only", "test_token", "no_feedbacks_category")


class StoreTokenError(Exception):
    """The token cannot be used; `problems` are codes, `detail` WB's own words if any."""

    def __init__(self, problems: list[str], detail: str | None = None) -> None:
        super().__init__(", ".join(problems) + (f": {detail}" if detail else ""))
        self.problems = problems
        self.detail = detail


class StoreError(Exception):
    """A store request that cannot be done (not found, name empty...)."""


@dataclass(frozen=True, slots=True)
class TokenCheck:
    info: TokenInfo
    warnings: list[str] = field(default_factory=list)


def check_token_offline(token: str, now: datetime | None = None) -> TokenCheck:
    """Decode and judge a token without calling WB; raise StoreTokenError when unusable."""
    token = bare_token(token)
    try:
        info = inspect_token(token)
    except TokenFormatError:
        raise StoreTokenError(["malformed"]) from None
    codes = warnings(info, now)
    if not info.has("feedbacks"):
        codes.append("no_feedbacks_category")
    if not info.has("chat"):
        codes.append("no_chat_category")
    if not info.has("content"):
        codes.append("no_content_category")
    blocking = [c for c in codes if c in BLOCKING]
    if blocking:
        raise StoreTokenError(blocking)
    return TokenCheck(info=info, warnings=codes)


async def check_token(wb: WBClientFactory, token: str, now: datetime | None = None) -> TokenCheck:
    """Offline checks, then one `/ping` on the feedbacks host with this token."""
    check = check_token_offline(token, now)
    client = wb.for_tokens(StoreTokens(api_token=bare_token(token)))
    try:
        await client.ping("feedbacks")
    except WBAuthError as exc:
        raise StoreTokenError(["rejected_by_wb"], exc.reason) from None
    except WBError as exc:
        raise StoreTokenError(["wb_unreachable"], str(exc)) from None
    return check


def token_readable(store: StoreRow) -> bool:
    """False when the current SECRET_KEY cannot open the store's stored token: the card says
    so, and the owner replaces the token or the operator restores the key."""
    try:
        store_tokens(store)
    except SecretUnreadable:
        return False
    return True


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise StoreError("store name is empty")
    return name[:100]


async def add_store(
    pool: asyncpg.Pool,
    wb: WBClientFactory,
    *,
    owner_id: str,
    name: str,
    token: str,
    now: datetime | None = None,
) -> tuple[StoreRow, TokenCheck]:
    name = _clean_name(name)
    token = bare_token(token)  # "Bearer <token>" as pasted: the token alone is stored
    check = await check_token(wb, token, now or datetime.now(UTC))
    seller = check.info.seller_id
    async with pool.acquire() as conn, conn.transaction():
        store = await stores_repo.create_store(
            conn, str(uuid.uuid4()), owner_id=owner_id, name=name, api_token=token.strip()
        )
        if seller:
            await _claim_seller(conn, store.id, owner_id, seller)
    return store, check


async def _claim_seller(conn: Connection, store_id: str, owner_id: str, seller: str) -> None:
    """One WB seller account is one store: give it to this store unless another holds it.

    Two owners adding the same account at once meet the unique index; the loser hears the
    same refusal as if it had come second."""
    taken = await stores_repo.seller_holder(conn, seller, store_id)
    if taken is not None:
        raise StoreTokenError(["seller_taken" if taken != owner_id else "seller_added"])
    try:
        async with conn.transaction():
            await stores_repo.set_seller(conn, store_id, seller)
    except asyncpg.UniqueViolationError:
        raise StoreTokenError(["seller_taken"]) from None


async def replace_token(
    pool: asyncpg.Pool, wb: WBClientFactory, store_id: str, token: str
) -> TokenCheck:
    """A new token for a store: checked like a new one; must be the same seller account."""
    token = bare_token(token)
    check = await check_token(wb, token)
    store = await stores_repo.get_store(pool, store_id)
    if store is None:
        raise StoreError("store not found")
    new_seller = check.info.seller_id
    async with pool.acquire() as conn, conn.transaction():
        seller = await stores_repo.lock_seller(conn, store_id)
        if seller and new_seller and seller != new_seller:
            raise StoreTokenError(["other_seller"])
        if not seller and new_seller:  # saved without one: the rule of a new store applies
            await _claim_seller(conn, store_id, store.owner_id, new_seller)
        await stores_repo.set_api_token(conn, store_id, token.strip())
    return check


async def rename_store(pool: asyncpg.Pool, store_id: str, name: str) -> str:
    """Rename a store; returns the cleaned name (raises StoreError when empty or gone)."""
    name = _clean_name(name)
    if not await stores_repo.rename_store(pool, store_id, name):
        raise StoreError("store not found")
    return name


async def set_paused(pool: asyncpg.Pool, store_id: str, paused: bool) -> None:
    """Pause (`inactive`: every job skips the store) or resume (`active`)."""
    if not await stores_repo.set_store_status(pool, store_id, "inactive" if paused else "active"):
        raise StoreError("store not found")


async def get_store(pool: asyncpg.Pool, store_id: str) -> StoreRow | None:
    return await stores_repo.get_store(pool, store_id)


async def list_stores(pool: asyncpg.Pool, *, owner_id: str | None = None) -> list[StoreRow]:
    """Every store, or one owner's, as the operator's `wbrep store list` shows them."""
    return await stores_repo.list_stores(pool, owner_id=owner_id)


async def delete_store(pool: asyncpg.Pool, store_id: str) -> bool:
    """Delete a store and, by cascade, everything synced or drafted for it."""
    return await stores_repo.delete_store(pool, store_id)


class StoreService:
    """A store's own settings on the app's pool and WB clients: built once and injected as
    `stores` (adding a store, its token, name, pause, deletion)."""

    def __init__(self, pool: asyncpg.Pool, wb: WBClientFactory) -> None:
        self._pool = pool
        self._wb = wb

    async def add(self, *, owner_id: str, name: str, token: str) -> tuple[StoreRow, TokenCheck]:
        return await add_store(self._pool, self._wb, owner_id=owner_id, name=name, token=token)

    async def get(self, store_id: str) -> StoreRow | None:
        return await get_store(self._pool, store_id)

    async def replace_token(self, store_id: str, token: str) -> TokenCheck:
        return await replace_token(self._pool, self._wb, store_id, token)

    async def rename(self, store_id: str, name: str) -> str:
        return await rename_store(self._pool, store_id, name)

    async def set_paused(self, store_id: str, paused: bool) -> None:
        await set_paused(self._pool, store_id, paused)

    async def delete(self, store_id: str) -> bool:
        return await delete_store(self._pool, store_id)
