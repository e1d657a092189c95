"""Identities and roles kept in the process while a LISTEN hears their changes (migration
0034, db/listen.py, services/access_cache.py), against the real PostgreSQL: every change of
who may act reaches the cache from another connection, a sync's writes to a store do not,
and a lost listening connection stops the keeping until it is back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from db.listen import ChannelWatch
from services.access import AccessService, add_user
from services.access_cache import AccessCache, watching
from services.members import Members
from tests.support.stores import make_product, make_review, make_store, make_user

TG_ID = 5_551_001


@pytest.fixture
async def cache(db_url: str) -> AsyncIterator[tuple[AccessCache, ChannelWatch]]:
    kept = AccessCache()
    async with watching(kept, db_url, "wbrep-listen-test") as watch:
        await asyncio.wait_for(watch.up.wait(), 10)
        yield kept, watch


async def _settled(cache: AccessCache) -> None:
    """Until the setup's own writes have been heard: no notification for 0.2 s (a read
    kept before one arrives would be forgotten, and the test would count a miss)."""
    while True:
        generation = cache.generation
        await asyncio.sleep(0.2)
        if cache.generation == generation:
            return


async def _heard(cache: AccessCache, generation: int) -> None:
    """Until a notification after `generation` reached the cache."""
    for _ in range(200):
        if cache.generation != generation:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no notification in 2 s")


async def test_identity_is_read_once_then_kept_until_it_changes(
    pool: asyncpg.Pool, db_url: str, cache: tuple[AccessCache, ChannelWatch]
) -> None:
    kept, _ = cache
    reg = await add_user(pool, "kept@example.com", telegram_id=TG_ID, approve=True)
    await _settled(kept)
    access = AccessService(pool, kept)
    first = await access.identity(TG_ID)
    assert first is not None and first[1] is not None and first[1].is_approved
    misses = kept.misses
    assert await access.identity(TG_ID) == first
    assert kept.misses == misses  # served from the cache: no statement

    # Rejected from another connection (another replica, the CLI): the next read says so.
    generation = kept.generation
    other = await asyncpg.connect(db_url)
    try:
        await other.execute("UPDATE users SET is_approved = FALSE WHERE id = $1", reg.user.id)
    finally:
        await other.close()
    await _heard(kept, generation)
    after = await access.identity(TG_ID)
    assert after is not None and after[1] is not None and not after[1].is_approved


async def test_preferences_come_back_as_a_copy(
    pool: asyncpg.Pool, cache: tuple[AccessCache, ChannelWatch]
) -> None:
    kept, _ = cache
    reg = await add_user(pool, "prefs@example.com", telegram_id=TG_ID, approve=True)
    generation = kept.generation
    await pool.execute(
        "INSERT INTO user_preferences (user_id, language) VALUES ($1, 'en')", reg.user.id
    )
    await _heard(kept, generation)
    access = AccessService(pool, kept)
    found = await access.identity(TG_ID)
    assert found is not None and found[2] is not None
    found[2]["language"] = "changed by a handler"
    again = await access.identity(TG_ID)
    assert again is not None and again[2] is not None and again[2]["language"] == "en"


@pytest.mark.parametrize(
    ("change", "role"),
    [
        ("DELETE FROM store_members WHERE user_id = $1", None),
        ("UPDATE users SET is_approved = FALSE WHERE id = $1", None),
        ("UPDATE stores SET owner_id = $1", "owner"),
    ],
)
async def test_every_change_of_a_role_is_heard(
    pool: asyncpg.Pool, cache: tuple[AccessCache, ChannelWatch], change: str, role: str | None
) -> None:
    kept, _ = cache
    owner, manager = await make_user(pool), await make_user(pool)
    store = await make_store(pool, owner, "token")
    await pool.execute(
        "INSERT INTO store_members (store_id, user_id) VALUES ($1, $2)", store, manager
    )
    review = await make_review(pool, await make_product(pool, store))
    await _settled(kept)
    members = Members(pool, kept)
    assert await members.role(manager, store) == "manager"
    assert await members.object_role(manager, "review", review) == (store, "manager")
    misses = kept.misses
    assert await members.object_role(manager, "review", review) == (store, "manager")
    assert kept.misses == misses  # the store and role found for the review were kept

    generation = kept.generation
    await pool.execute(change, manager)
    await _heard(kept, generation)
    assert await members.role(manager, store) == role
    found = await members.object_role(manager, "review", review)
    assert found == ((store, role) if role else None)


async def test_a_syncs_writes_to_a_store_are_not_a_change(
    pool: asyncpg.Pool, cache: tuple[AccessCache, ChannelWatch]
) -> None:
    kept, _ = cache
    owner = await make_user(pool)
    store = await make_store(pool, owner, "token")
    await _settled(kept)
    generation = kept.generation
    await pool.execute(
        "UPDATE stores SET total_reviews = 5, last_chat_update_next = 7, "
        "last_review_update_status = 'success', last_review_update_date = now() WHERE id = $1",
        store,
    )
    await asyncio.sleep(0.3)
    assert kept.generation == generation
    await pool.execute("DELETE FROM stores WHERE id = $1", store)
    await _heard(kept, generation)


async def test_a_pickers_stores_follow_renames_pauses_and_new_stores(
    pool: asyncpg.Pool, cache: tuple[AccessCache, ChannelWatch]
) -> None:
    kept, _ = cache
    owner = await make_user(pool)
    store = await make_store(pool, owner, "token", name="Пледы")
    await _settled(kept)
    members = Members(pool, kept)

    async def shown() -> list[tuple[str, bool, str]]:
        return [(s.name, s.is_active, role) for s, role in await members.store_refs(owner)]

    assert await shown() == [("Пледы", True, "owner")]
    misses = kept.misses
    assert await shown() == [("Пледы", True, "owner")]
    assert kept.misses == misses
    for change, expected in [
        ("UPDATE stores SET name = 'Подушки' WHERE id = $1", [("Подушки", True, "owner")]),
        ("UPDATE stores SET status = 'inactive' WHERE id = $1", [("Подушки", False, "owner")]),
    ]:
        generation = kept.generation
        await pool.execute(change, store)
        await _heard(kept, generation)
        assert await shown() == expected
    generation = kept.generation
    await make_store(pool, owner, "token", name="Ковры")
    await _heard(kept, generation)
    assert [name for name, _, _ in await shown()] == ["Ковры", "Подушки"]


async def test_a_lost_listening_connection_stops_the_keeping_until_it_is_back(
    pool: asyncpg.Pool, cache: tuple[AccessCache, ChannelWatch]
) -> None:
    kept, watch = cache
    await add_user(pool, "lost@example.com", telegram_id=TG_ID, approve=True)
    await _settled(kept)
    access = AccessService(pool, kept)
    await access.identity(TG_ID)
    assert kept.live
    killed = await pool.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = 'wbrep-listen-test' AND datname = current_database()"
    )
    assert killed == 1
    for _ in range(200):
        if not kept.live:
            break
        await asyncio.sleep(0.01)
    assert not kept.live
    misses = kept.misses
    await access.identity(TG_ID)
    await access.identity(TG_ID)
    assert kept.misses == misses + 2  # read each time while changes cannot be heard
    await asyncio.wait_for(watch.up.wait(), 10)  # it connects again by itself
    assert kept.live and watch.connections == 2
    await access.identity(TG_ID)
    misses = kept.misses
    await access.identity(TG_ID)
    assert kept.misses == misses


async def test_the_watch_outlives_an_unexpected_error(
    db_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    kept = AccessCache()
    real = ChannelWatch._watch_once
    calls = 0

    async def first_fails(self: ChannelWatch) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("something nobody foresaw")
        await real(self)

    monkeypatch.setattr(ChannelWatch, "_watch_once", first_fails)
    async with watching(kept, db_url, "wbrep-listen-test") as watch:
        await asyncio.wait_for(watch.up.wait(), 10)  # it tried again, and is up
        assert kept.live and calls == 2
    assert not kept.live
    assert "listening on wbrep_access failed" in caplog.text
