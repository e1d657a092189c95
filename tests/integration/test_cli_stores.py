"""`wbrep store add` as a real process against the WB emulator."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from services import access
from tests.fakes.wb.app import WBEmulator
from tests.fakes.wb.generator import generate_shop
from tests.support.processes import wbrep


async def test_store_add_takes_a_token_pasted_with_bearer(
    db_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """Issue 10, item 10: "Bearer <token>" was pinged and stored with its prefix."""
    await access.add_user(pool, "seller@example.com", telegram_id=42, approve=True)
    async with WBEmulator(generate_shop(3, reviews=5, products=2, questions=0, chats=0)) as wb:
        env = {
            "DATABASE_URL": db_url,
            "DATA_DIR": str(tmp_path),
            **{f"WB_{host.upper()}_URL": url for host, url in wb.urls.items()},
        }
        token = wb.token()
        code, out, err = await wbrep(
            "store", "add", "--owner", "seller@example.com", "--name", "Пледы", "--token", "-",
            env=env,
            stdin=f"Bearer {token}\n",
        )  # fmt: skip
        assert code == 0, err
        assert token not in out + err
        store_id = out.strip().splitlines()[-1]
        # The stored token is the one WB takes (a stored prefix reached WB twice over).
        _, out, err = await wbrep("store", "check", store_id, env=env)
        assert "feedbacks  ok" in out, out + err
