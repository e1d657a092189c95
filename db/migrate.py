"""Plain-SQL migrations applied in order under an advisory lock.

Each file in `migrations/` runs once, in its own transaction, and is recorded in
`schema_migrations`. The advisory lock makes two instances that start together take turns
instead of racing to apply the same file.
"""

from __future__ import annotations

import logging
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# An arbitrary constant key for pg_advisory_lock: "wbrep" migrations.
_LOCK_KEY = 0x77627265_70000001 & 0x7FFFFFFFFFFFFFFF


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[Path]:
    """Files named like `0001_name.sql`, in numeric order."""
    files = [p for p in directory.glob("*.sql") if p.name[:4].isdigit()]
    return sorted(files, key=lambda p: p.name)


async def apply_migrations(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; return the names applied (empty when up to date)."""
    conn = await asyncpg.connect(dsn)
    try:
        return await apply_migrations_on(conn, directory)
    finally:
        await conn.close()


async def apply_migrations_on(
    conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR
) -> list[str]:
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                name       TEXT PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
            )
            """
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for path in migration_files(directory):
            if path.name in done:
                continue
            sql = path.read_text(encoding="utf-8")
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", path.name)
            log.info("applied migration %s", path.name)
            applied.append(path.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied


async def applied_migrations(conn: asyncpg.Connection) -> int:
    """How many migrations this database has recorded (0 before the first run)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT count(*) FROM schema_migrations"))
