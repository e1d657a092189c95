"""services.stores and services.members against the WB emulator and a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from db.secrets import unseal
from services import members
from services import stores as stores_svc
from services.stores import StoreError, StoreTokenError
from services.wb.client import RetryPolicy, WBUrls
from services.wb.factory import WBClientFactory
from services.wb.limits import LimitsConfig, MemoryRateLimiter
from tests.fakes.wb.app import WBEmulator
from tests.fakes.wb.context import EmulatorConfig
from tests.fakes.wb.generator import generate_shop
from tests.support.stores import make_product, make_review, make_store, make_user

SCALE = 200.0


@pytest.fixture
async def wb() -> AsyncIterator[WBEmulator]:
    shop = generate_shop(3, reviews=5, products=2, questions=1, chats=1)
    async with WBEmulator(shop, config=EmulatorConfig(limit_scale=SCALE)) as emulator:
        yield emulator


@pytest.fixture
async def factory(wb: WBEmulator) -> AsyncIterator[WBClientFactory]:
    http = httpx.AsyncClient(timeout=httpx.Timeout(2.0))
    limiter = MemoryRateLimiter(LimitsConfig(scale=SCALE))
    retry = RetryPolicy(max_attempts=3, base_backoff=0.01, max_backoff=0.02, jitter=False)
    yield WBClientFactory(WBUrls.from_mapping(wb.urls), http, limiter, retry)
    await http.aclose()


async def test_add_store_checks_and_keeps_one_store_per_seller(
    pool: asyncpg.Pool, wb: WBEmulator, factory: WBClientFactory
) -> None:
    owner, other = await make_user(pool), await make_user(pool)
    store, check = await stores_svc.add_store(
        pool, factory, owner_id=owner, name="  Пледы \n и  подушки ", token=wb.token()
    )
    assert store.name == "Пледы и подушки" and check.info.seller_id == wb.state.sid
    assert "no_chat_category" not in check.warnings
    for who, code in ((owner, "seller_added"), (other, "seller_taken")):
        with pytest.raises(StoreTokenError) as caught:
            await stores_svc.add_store(pool, factory, owner_id=who, name="x", token=wb.token())
        assert caught.value.problems == [code]
    expired = wb.token(sid="s2", expires_at=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(StoreTokenError) as caught:
        await stores_svc.add_store(pool, factory, owner_id=other, name="x", token=expired)
    assert caught.value.problems == ["expired"]
    with pytest.raises(StoreError):
        await stores_svc.add_store(pool, factory, owner_id=other, name="  ", token=wb.token("s3"))
    assert await pool.fetchval("SELECT count(*) FROM stores") == 1


async def test_rename_pause_and_delete(
    pool: asyncpg.Pool, wb: WBEmulator, factory: WBClientFactory
) -> None:
    owner = await make_user(pool)
    store, _ = await stores_svc.add_store(
        pool, factory, owner_id=owner, name="Пледы", token=wb.token()
    )
    assert await stores_svc.rename_store(pool, store.id, "  Новое   имя ") == "Новое имя"
    with pytest.raises(StoreError):
        await stores_svc.rename_store(pool, store.id, " \n ")
    with pytest.raises(StoreError):
        await stores_svc.rename_store(pool, "no-such-store", "x")
    await stores_svc.set_paused(pool, store.id, True)
    assert await pool.fetchval("SELECT status FROM stores") == "inactive"
    await stores_svc.set_paused(pool, store.id, False)
    assert await pool.fetchval("SELECT status FROM stores") == "active"

    manager = await make_user(pool)
    await members.accept_invite(pool, await members.create_invite(pool, store.id, owner), manager)
    await make_review(pool, await make_product(pool, store.id))
    assert await stores_svc.delete_store(pool, store.id)
    for table in ("stores", "store_members", "store_invites", "products", "reviews"):
        assert await pool.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    assert not await stores_svc.delete_store(pool, store.id)


async def test_replace_token_keeps_the_seller_account(
    pool: asyncpg.Pool, wb: WBEmulator, factory: WBClientFactory
) -> None:
    owner = await make_user(pool)
    store, _ = await stores_svc.add_store(
        pool, factory, owner_id=owner, name="Пледы", token=wb.token()
    )
    with pytest.raises(StoreTokenError) as caught:
        await stores_svc.replace_token(pool, factory, store.id, wb.token(sid="other"))
    assert caught.value.problems == ["other_seller"]
    fresh = wb.token(categories=("feedbacks",))
    check = await stores_svc.replace_token(pool, factory, store.id, fresh)
    assert {"no_chat_category", "no_content_category"} <= set(check.warnings)
    assert unseal(await pool.fetchval("SELECT api_token FROM stores")) == fresh


async def test_roles_and_managers(
    pool: asyncpg.Pool, wb: WBEmulator, factory: WBClientFactory
) -> None:
    owner, manager, stranger = [await make_user(pool) for _ in range(3)]
    store, _ = await stores_svc.add_store(
        pool, factory, owner_id=owner, name="Пледы", token=wb.token()
    )
    await members.accept_invite(pool, await members.create_invite(pool, store.id, owner), manager)
    assert await members.store_role(pool, owner, store.id) == "owner"
    assert await members.store_role(pool, manager, store.id) == "manager"
    assert await members.store_role(pool, stranger, store.id) is None
    assert await members.store_role(pool, owner, "no-such-store") is None
    assert [role for _, role in await members.user_stores(pool, manager)] == ["manager"]
    assert [r["id"] for r in await members.list_managers(pool, store.id)] == [manager]
    assert await members.remove_manager(pool, store.id, manager)
    assert not await members.remove_manager(pool, store.id, manager)
    assert await members.store_role(pool, manager, store.id) is None


async def test_a_store_without_a_seller_id_takes_the_new_tokens_and_no_one_elses(
    pool: asyncpg.Pool, wb: WBEmulator, factory: WBClientFactory
) -> None:
    owner, other = await make_user(pool), await make_user(pool)
    await stores_svc.add_store(pool, factory, owner_id=other, name="Чужой", token=wb.token())
    bare = await make_store(pool, owner, "old-token")  # saved before seller ids were kept
    with pytest.raises(StoreTokenError) as caught:
        await stores_svc.replace_token(pool, factory, bare, wb.token())
    assert caught.value.problems == ["seller_taken"]
    stored = await pool.fetchval("SELECT api_token FROM stores WHERE id = $1", bare)
    assert unseal(stored) == "old-token"
    await stores_svc.replace_token(pool, factory, bare, wb.token(sid="s-new"))
    assert await pool.fetchval("SELECT wb_seller_id FROM stores WHERE id = $1", bare) == "s-new"
