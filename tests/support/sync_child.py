"""A sync run in a process of its own, for tests that kill it mid-run.

`python -m tests.support.sync_child DSN STORE_ID KIND URLS_JSON LEASE_SECONDS`
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta

import httpx

from db.pool import create_pool
from services.sync.base import SyncKind, SyncOptions
from services.sync.service import SyncService
from tests.support.keys import use_test_key
from tests.support.wb import wb_factory


async def main(dsn: str, store_id: str, kind: SyncKind, urls: str, lease: float) -> None:
    use_test_key()  # the key the parent test sealed the store's token with
    pool = await create_pool(dsn, max_size=4)
    http = httpx.AsyncClient(timeout=httpx.Timeout(120.0))
    factory = wb_factory(json.loads(urls), http)
    options = SyncOptions(feedbacks_take=20, lease=timedelta(seconds=lease))
    await SyncService(pool, factory, options).sync(store_id, kind)


if __name__ == "__main__":
    dsn, store_id, kind, urls, lease = sys.argv[1:6]
    asyncio.run(main(dsn, store_id, kind, urls, float(lease)))  # type: ignore[arg-type]
