"""The one asyncpg pool the process uses."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# What repositories accept: one connection (possibly a pool's proxy) or the pool itself.
Connection = asyncpg.Connection | PoolConnectionProxy
Conn = asyncpg.Pool | asyncpg.Connection | PoolConnectionProxy


async def _init_connection(conn: asyncpg.Connection) -> None:
    # JSONB columns come back as Python objects and accept them on the way in.
    for typ in ("jsonb", "json"):
        await conn.set_type_codec(
            typ, encoder=_dumps, decoder=json.loads, schema="pg_catalog", format="text"
        )


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def create_pool(dsn: str, *, max_size: int = 50, min_size: int = 1) -> asyncpg.Pool:
    """Create the pool; JSON columns are decoded, statements time out after 60 s."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min(min_size, max_size),
        max_size=max_size,
        init=_init_connection,
        command_timeout=60,
        max_inactive_connection_lifetime=300,
    )
    assert pool is not None
    return pool
