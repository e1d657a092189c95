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
from db.secrets import Key, Keyring, configure
from services.sync.base import SyncKind, SyncOptions
from services.sync.service import SyncService
from services.wb.client import RetryPolicy, WBUrls
from services.wb.factory import WBClientFactory
from services.wb.limits import LimitsConfig, MemoryRateLimiter


async def main(dsn: str, store_id: str, kind: SyncKind, urls: str, lease: float) -> None:
    from tests.conftest import TEST_SECRET_KEY  # the key the tests sealed the token with

    configure(Keyring(Key.from_secret(TEST_SECRET_KEY)))
    pool = await create_pool(dsn, max_size=4)
    http = httpx.AsyncClient(timeout=httpx.Timeout(120.0))
    factory = WBClientFactory(
        WBUrls.from_mapping(json.loads(urls)),
        http,
        MemoryRateLimiter(LimitsConfig(scale=200.0)),
        RetryPolicy(max_attempts=2, base_backoff=0.01, max_backoff=0.05, jitter=False),
    )
    options = SyncOptions(feedbacks_take=20, lease=timedelta(seconds=lease))
    await SyncService(pool, factory, options).sync(store_id, kind)


if __name__ == "__main__":
    dsn, store_id, kind, urls, lease = sys.argv[1:6]
    asyncio.run(main(dsn, store_id, kind, urls, float(lease)))  # type: ignore[arg-type]
