"""`wbrep user add/reject` with the email rules and owner pauses, as a real process."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from services import access
from services.access import AccessError
from tests.support.processes import wbrep
from tests.support.stores import make_store


async def test_cli_users_are_link_only_normalised_and_rejection_pauses_stores(
    db_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path)}
    code, out, err = await wbrep("user", "add", "Iv\u200ban@Example.COM", env=env)
    assert code == 0, err
    assert "added: ivan@example.com" in out and "link_" in out
    code, _, err = await wbrep("user", "add", "iv\u0430n@example.com", env=env)
    assert code == 1 and "not a valid email" in err and len(err.strip().splitlines()) == 1

    # Created by the operator: typing the email in the bot binds nobody.
    with pytest.raises(AccessError) as refused:
        await access.register(
            pool, "ivan@example.com", telegram_id=77, username=None, first_name=None,
            language_code=None,
        )  # fmt: skip
    assert refused.value.code == "needs_link"

    user = await access.find_user(pool, "IVAN@example.com")
    assert user is not None
    await access.decide(pool, user.id, True)
    store = await make_store(pool, user.id, "tok")
    code, out, err = await wbrep("user", "reject", "ivan@example.com", env=env)
    assert code == 0, err
    assert "paused 1 store(s)" in out and "rejected: ivan@example.com" in out
    assert await pool.fetchval("SELECT status FROM stores WHERE id = $1", store) == "inactive"
