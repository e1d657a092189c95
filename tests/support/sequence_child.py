"""A sender run in a process of its own that stops dead between the WB call and the record,
for the test that SIGKILLs it there.

`python -m tests.support.sequence_child DSN URLS_JSON NOW_ISO`: prints `SENT` after WB has
answered the send, then waits to be killed before it records anything.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import datetime

import httpx

from db.pool import create_pool
from db.secrets import Key, Keyring, configure
from services.sequences import SequenceService
from services.wb.client import RetryPolicy, WBUrls
from services.wb.factory import WBClientFactory
from services.wb.limits import LimitsConfig, MemoryRateLimiter


def _hold() -> None:
    print("SENT", flush=True)
    time.sleep(600)  # blocks the loop: nothing after the WB call runs until the kill


async def main(dsn: str, urls: str, now: datetime) -> None:
    from tests.conftest import TEST_SECRET_KEY  # the key the tests sealed the token with

    configure(Keyring(Key.from_secret(TEST_SECRET_KEY)))
    pool = await create_pool(dsn, max_size=2)
    http = httpx.AsyncClient(timeout=httpx.Timeout(30.0))
    factory = WBClientFactory(
        WBUrls.from_mapping(json.loads(urls)),
        http,
        MemoryRateLimiter(LimitsConfig(scale=200.0)),
        RetryPolicy(max_attempts=2, base_backoff=0.01, max_backoff=0.05, jitter=False),
    )
    await SequenceService(pool, factory, crash_after_send=_hold).run_due(now=now)


if __name__ == "__main__":
    dsn, urls, now = sys.argv[1:4]
    asyncio.run(main(dsn, urls, datetime.fromisoformat(now)))
