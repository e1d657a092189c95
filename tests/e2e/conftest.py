"""End-to-end fixtures: `bot_env` runs the whole bot against the fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.e2e.harness import BotEnv, running_bot


@pytest.fixture
async def bot_env(pool: asyncpg.Pool, db_url: str) -> AsyncIterator[BotEnv]:
    async with running_bot(pool, dsn=db_url) as env:
        yield env
