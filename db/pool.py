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


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset on release: nothing beyond asyncpg's own rollback of an open
    transaction. The default reset (`pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL`) is one more round trip on every release, about half of a press's round trips
    (issue 17). The project leaves no session state on a pooled connection: advisory locks are
    transaction-scoped (`pg_advisory_xact_lock`; the migration lock is session-scoped on its own
    connection and released in `finally`), settings are `SET LOCAL`, nothing LISTENs through the
    pool, and the sync's staging temp tables are meant to live as long as the connection
    (`reviews.prepare_stage`). See docs/decisions.md; `tests/integration/test_pool.py` checks."""


BOT_APP_PREFIX = "wbrep-bot"
"""`application_name` of a bot process's connections (`wbrep-bot-<host>-<pid>`): start-up
counts the other bot processes by it to check the server can hold every pool."""


async def create_pool(
    dsn: str, *, max_size: int = 50, min_size: int = 1, application_name: str | None = None
) -> asyncpg.Pool:
    """Create the pool; JSON columns are decoded, statements time out after 60 s."""
    pool = await asyncpg.create_pool(
        dsn,
        server_settings={"application_name": application_name[:63]} if application_name else None,
        min_size=min(min_size, max_size),
        max_size=max_size,
        init=_init_connection,
        command_timeout=60,
        max_inactive_connection_lifetime=300,
        reset=_keep_session,
    )
    assert pool is not None
    return pool


async def connection_capacity(conn: Conn, application_name: str) -> tuple[int, int, int]:
    """The server's `max_connections`, the slots reserved for superusers, and how many other
    bot processes hold connections now (by `application_name`)."""
    row = await conn.fetchrow(
        """
        SELECT current_setting('max_connections')::int AS max_connections,
               current_setting('superuser_reserved_connections')::int AS reserved,
               (SELECT count(DISTINCT application_name) FROM pg_stat_activity
                 WHERE datname = current_database()
                   AND application_name LIKE $1 || '-%' AND application_name <> $2) AS others
        """,
        BOT_APP_PREFIX,
        application_name[:63],
    )
    assert row is not None
    return int(row["max_connections"]), int(row["reserved"]), int(row["others"])


async def ping(pool: asyncpg.Pool) -> None:
    """One round trip: the database answers."""
    await pool.fetchval("SELECT 1")


async def server_version(conn: asyncpg.Connection) -> str:
    version: str = await conn.fetchval("SHOW server_version")
    return version
