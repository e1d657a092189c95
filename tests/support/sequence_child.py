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
from services.sequences import SequenceService
from tests.support.keys import use_test_key
from tests.support.wb import wb_factory


def _hold() -> None:
    print("SENT", flush=True)
    time.sleep(600)  # blocks the loop: nothing after the WB call runs until the kill


async def main(dsn: str, urls: str, now: datetime) -> None:
    use_test_key()  # the key the parent test sealed the store's token with
    pool = await create_pool(dsn, max_size=2)
    http = httpx.AsyncClient(timeout=httpx.Timeout(30.0))
    factory = wb_factory(json.loads(urls), http)
    await SequenceService(pool, factory, crash_after_send=_hold).run_due(now=now)


if __name__ == "__main__":
    dsn, urls, now = sys.argv[1:4]
    asyncio.run(main(dsn, urls, datetime.fromisoformat(now)))
