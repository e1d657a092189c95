"""The database steps of start-up, shared by `wbrep run` (bot/app.py) and every CLI command
(bot/cli.py). A module of its own so the CLI gets them without importing aiogram (seconds
per command)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg

from db.database import database_dsn
from db.migrate import apply_migrations
from db.pool import create_pool
from db.repos.sealed import SealReport, prepare_secrets
from db.secrets import Keyring
from services.settings import Settings


@dataclass(frozen=True)
class Database:
    """An open database and what start-up did to it."""

    pool: asyncpg.Pool
    dsn: str = field(repr=False)
    """Where the pool connects (for a connection of its own, such as a LISTEN)."""
    applied: list[str]
    """Migrations applied now."""
    sealed: SealReport
    """Stored secrets sealed or re-sealed now, and those no key opens."""


@contextlib.asynccontextmanager
async def open_database(
    settings: Settings,
    *,
    max_size: int,
    application_name: str | None = None,
    keyring: Keyring | None = None,
) -> AsyncIterator[Database]:
    """The database steps of start-up, for `wbrep run` and every CLI command alike: the DSN
    (DATABASE_URL, else the embedded server in DATA_DIR), the migrations, a pool, and stored
    secrets sealed with `keyring` (default: the settings' keys), which becomes this process'
    keyring. The pool is closed on the way out."""
    keyring = keyring or settings.build_keyring()
    url = settings.database_url.get_secret_value() if settings.database_url else None
    async with database_dsn(url, settings.data_dir) as dsn:
        applied = await apply_migrations(dsn)
        pool = await create_pool(dsn, max_size=max_size, application_name=application_name)
        try:
            sealed = await prepare_secrets(pool, keyring)
            yield Database(pool, dsn, applied, sealed)
        finally:
            await pool.close()
