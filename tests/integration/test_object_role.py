"""`Members.object_role`: the store of an object and the person's role on it in one statement,
the check every press on a review, complaint, chat, product, question or automatic reply
passes through (`bot/middlewares/access.py`)."""

from __future__ import annotations

import asyncpg

from services.members import Members
from tests.support.stores import make_product, make_review, make_store, make_user


async def test_the_objects_store_and_the_role_on_it(pool: asyncpg.Pool) -> None:
    owner, manager, stranger = [await make_user(pool) for _ in range(3)]
    store = await make_store(pool, owner, "token")
    await pool.execute(
        "INSERT INTO store_members (store_id, user_id) VALUES ($1, $2)", store, manager
    )
    product = await make_product(pool, store)
    review = await make_review(pool, product)
    members = Members(pool)

    assert await members.object_role(owner, "review", review) == (store, "owner")
    assert await members.object_role(manager, "product", product) == (store, "manager")
    assert await members.object_role(stranger, "review", review) is None
    assert await members.object_role(owner, "review", "no-such-review") is None
    assert await members.object_role(None, "review", review) is None
    assert await members.may_act(manager, "review", review) == store

    # A rejected owner's store is no one's to act on, their managers' included.
    await pool.execute("UPDATE users SET is_approved = FALSE WHERE id = $1", owner)
    assert await members.object_role(owner, "review", review) is None
    assert await members.object_role(manager, "review", review) is None
