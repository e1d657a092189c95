"""Benchmark: the chat board on a store with 10,000 chats (issue 13): the counts screen and a
column page (first and a deep keyset page, with and without filters), median of 20 runs each.

Run with `make bench` (or `pytest -s -o python_files='bench_*.py' -o addopts=''
tests/bench/bench_chat_board.py`). Target: a page under 50 ms.
"""

from __future__ import annotations

import statistics
import time

import asyncpg

from services.ai.client import AIClient, AIConfig
from services.ai.tasks import AITasks
from services.chats.service import ChatService, ChatStatus
from tests.support.stores import make_store, make_user

CHATS = 10_000
RUNS = 20
TARGET_MS = 50.0


async def test_board_page_time(pool: asyncpg.Pool) -> None:
    owner = await make_user(pool)
    store = await make_store(pool, owner, "token")
    await pool.execute(
        """
        INSERT INTO chats (id, store_id, owner_id, client_name, reply_sign, product_nm_id,
                           last_message_date, last_message_text, last_message_sender, tag, status)
        SELECT '1:' || g, $1, $2, 'Покупатель ' || g, 'sign' || g, (100 + g % 40)::text,
               now() - g * interval '1 minute', 'Сообщение ' || g,
               CASE WHEN g % 3 = 0 THEN 'seller' ELSE 'client' END,
               (ARRAY['active','deletion_candidate','refund_requested','untagged'])[1 + g % 4],
               (ARRAY['inbox','in_progress','awaiting_reply','resolved','closed'])[1 + g % 5]
          FROM generate_series(1, $3) g
        """,
        store,
        owner,
        CHATS,
    )
    await pool.execute("ANALYZE chats")
    client = AIClient(AIConfig(base_url="http://127.0.0.1:9", default_api_key="x"))
    service = ChatService(pool, AITasks(client, pool), None)  # type: ignore[arg-type]

    async def timed(label: str, call: object) -> float:
        times = []
        for _ in range(RUNS):
            t = time.perf_counter()
            await call()  # type: ignore[operator]
            times.append((time.perf_counter() - t) * 1000)
        ms = statistics.median(times)
        print(f"chat board {label}: median {ms:.2f} ms over {RUNS} runs ({CHATS} chats)")
        return ms

    first = await service.column([store], ChatStatus.INBOX)
    deep = first
    for _ in range(100):
        assert deep.next_after is not None
        deep = await service.column([store], ChatStatus.INBOX, after=deep.next_after)
    after = deep.next_after
    figures = [
        await timed("counts", lambda: service.board([store])),
        await timed("inbox first page", lambda: service.column([store], ChatStatus.INBOX)),
        await timed(
            "inbox page 101", lambda: service.column([store], ChatStatus.INBOX, after=after)
        ),
        await timed(
            "inbox waiting+tag",
            lambda: service.column([store], ChatStatus.INBOX, tag="refund_requested", waiting=True),
        ),
    ]
    await client.aclose()
    assert max(figures) < TARGET_MS
