"""Where the database is: the configured URL, or an embedded server started for us."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from db.embedded import EmbeddedPostgres


@contextlib.asynccontextmanager
async def database_dsn(url: str | None, data_dir: Path) -> AsyncIterator[str]:
    """Yield a DSN; with no URL, run an embedded PostgreSQL in `data_dir` meanwhile."""
    if url:
        yield url
        return
    embedded = EmbeddedPostgres(data_dir)
    dsn = await asyncio.to_thread(embedded.start)
    try:
        yield dsn
    finally:
        await asyncio.to_thread(embedded.stop)
