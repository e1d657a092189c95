"""A store runs only for an approved owner: rejection pauses it, and every job and access
check asks for an approved owner even where a store was left active."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services import access, members
from services import stores as stores_svc
from services.stores import StoreError
from tests.integration.test_alerts import World, add_manager, land, now_utc, person, world

__all__ = ["world"]


async def test_rejecting_an_owner_stops_every_job_and_approval_resumes_nothing(
    world: World,
) -> None:
    w = world
    jobs = w.jobs()
    manager = await person(w.pool, 9301)
    await add_manager(w.pool, w.store, manager)
    now = now_utc()
    assert [r.ok for r in await jobs.sync_due("reviews", now=now)] == [True]

    decision = await access.decide(w.pool, w.owner, False, admin_name="test")
    assert decision.changed and decision.paused == 1
    assert await w.pool.fetchval("SELECT status FROM stores WHERE id = $1", w.store) == "inactive"
    land(w, now, 1)
    for kind in ("reviews", "questions", "chats", "products"):
        assert await jobs.sync_due(kind, now=now + timedelta(hours=7)) == []
    assert await jobs.full_sync(now=now + timedelta(hours=12)) == []
    await jobs.deliver_alerts(now=now + timedelta(hours=7))
    assert w.notifier.alerts == []
    assert await members.store_role(w.pool, manager, w.store) is None
    assert await members.user_stores(w.pool, manager) == []

    with pytest.raises(StoreError):  # a resume racing the rejection does not reopen it
        await stores_svc.set_paused(w.pool, w.store, False)
    # Rejecting again pauses a store that was resumed meanwhile (by hand, in the database).
    await w.pool.execute("UPDATE stores SET status = 'active' WHERE id = $1", w.store)
    again = await access.decide(w.pool, w.owner, False)
    assert not again.changed and again.paused == 1

    approved = await access.decide(w.pool, w.owner, True)
    assert approved.changed and approved.paused == 0
    assert await w.pool.fetchval("SELECT status FROM stores WHERE id = $1", w.store) == "inactive"
    assert await jobs.sync_due("reviews", now=now + timedelta(hours=8)) == []
    assert await members.store_role(w.pool, manager, w.store) == "manager"


async def test_an_active_store_of_an_owner_not_approved_is_neither_synced_nor_worked(
    world: World,
) -> None:
    """Defence in depth: a store left active (imported data, an approval withdrawn outside
    the bot) does not run while its owner is not approved."""
    w = world
    jobs = w.jobs()
    manager = await person(w.pool, 9302)
    await add_manager(w.pool, w.store, manager)
    now = now_utc()
    await w.pool.execute("UPDATE users SET is_approved = FALSE WHERE id = $1", w.owner)
    assert await w.pool.fetchval("SELECT status FROM stores WHERE id = $1", w.store) == "active"
    assert await jobs.sync_due("reviews", now=now) == []
    assert await jobs.full_sync(now=now) == []
    assert await members.store_role(w.pool, manager, w.store) is None
    assert await members.store_role(w.pool, w.owner, w.store) is None
    assert await members.store_and_role(w.pool, manager, w.store) is None
    assert await members.store_and_role(w.pool, w.owner, w.store) is None
    await w.pool.execute("UPDATE users SET is_approved = TRUE WHERE id = $1", w.owner)
    stranger = await person(w.pool, 9303)
    for who, role in ((w.owner, "owner"), (manager, "manager"), (stranger, None)):
        found = await members.store_and_role(w.pool, who, w.store)
        assert (
            (found[1] if found else None) == role == await members.store_role(w.pool, who, w.store)
        )
        if found:  # the row the stores router's handlers take, read with the check
            assert found[0] == await stores_svc.get_store(w.pool, w.store)
    assert await members.store_and_role(w.pool, w.owner, "no-such-store") is None
    assert [r.ok for r in await jobs.sync_due("reviews", now=now)] == [True]


async def test_withdrawing_an_approval_from_the_cli_pauses_the_stores(world: World) -> None:
    await access.set_approval(world.pool, world.owner, False)
    status = await world.pool.fetchval("SELECT status FROM stores WHERE id = $1", world.store)
    assert status == "inactive"
