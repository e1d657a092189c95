"""Cancel-window announcements of automatic replies are delivered as every alert is
(services/delivery.py): one message per person and store, held by quiet hours (then saying
which windows closed meanwhile), and a stopping process gives back what it did not send, so
another instance sends it at once; every announcement arrives once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from db.repos import autoreplies as repo
from services.autoreplies import AutoReplyJob, Scheduled
from services.msk import MSK
from services.notifier import Delivery, Recipient
from tests.integration.test_alerts import add_manager, person
from tests.support.stores import make_product, make_review, make_store


class Recorder:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str, list[Scheduled]]] = []

    async def announce(
        self, to: Recipient, store_name: str, items: Sequence[Scheduled]
    ) -> Delivery:
        await asyncio.sleep(0.05)
        self.messages.append((to.user_id, items[0].store_id, list(items)))
        return "sent"


class Leaving(Recorder):
    """A process that gets SIGTERM mid-batch: `stopping` is set after the first message."""

    def __init__(self, stopping: asyncio.Event) -> None:
        super().__init__()
        self.stopping = stopping

    async def announce(
        self, to: Recipient, store_name: str, items: Sequence[Scheduled]
    ) -> Delivery:
        outcome = await super().announce(to, store_name, items)
        self.stopping.set()
        return outcome


def job(pool: asyncpg.Pool, announcer: Any, stopping: asyncio.Event | None = None) -> AutoReplyJob:
    return AutoReplyJob(pool, None, None, holder="t", announcer=announcer, stopping=stopping)  # type: ignore[arg-type]


async def schedule(pool: asyncpg.Pool, store: str, n: int, now: datetime) -> list[str]:
    """`n` replies waiting out their cancel window, announced as the job's intake does."""
    product = await make_product(pool, store)
    ids = []
    for i in range(n):
        review = await make_review(pool, product, rating=5, text=f"Отличный плед {i}")
        await pool.execute(
            """INSERT INTO autoreplies (review_id, store_id, product_id, rating, state, text,
                                        due_at)
               VALUES ($1, $2, $3, 5, 'scheduled', 'Спасибо!', $4)""",
            review,
            store,
            product,
            now + timedelta(minutes=15),
        )
        async with pool.acquire() as conn:
            await repo.enqueue_announcements(conn, review)
        ids.append(review)
    return ids


async def test_stop_quiet_hours_and_one_message_per_person_and_store(
    pool: asyncpg.Pool,
) -> None:
    now = datetime.now(UTC)
    hour = now.astimezone(MSK).hour
    owner = await person(pool, 9301)
    sleepy = await person(pool, 9302, quiet_start=hour, quiet_end=(hour + 1) % 24)
    stores = [await make_store(pool, owner, f"t{i}", name=f"Магазин {i}") for i in range(3)]
    replies: dict[str, list[str]] = {}
    for store in stores:
        await add_manager(pool, store, sleepy)
        replies[store] = await schedule(pool, store, 2, now)

    stopping = asyncio.Event()
    leaving = Leaving(stopping)
    assert await job(pool, leaving, stopping).announce(now) == 1
    assert [(u, len(items)) for u, _, items in leaving.messages] == [(owner, 2)]
    assert (
        await pool.fetchval("SELECT count(*) FROM autoreply_announcements WHERE status = 'pending'")
        == 4 + 6
    ), "the owner's two other stores given back; the sleeper's rows wait"

    staying = Recorder()
    await job(pool, staying).announce(now + timedelta(seconds=30))
    assert {u for u, _, _ in staying.messages} == {owner}  # quiet hours hold the sleeper's
    # One window closes during the quiet hours: the message says so and offers no button.
    closed = replies[stores[0]][0]
    await pool.execute("UPDATE autoreplies SET state = 'sent' WHERE review_id = $1", closed)
    await job(pool, staying).announce(now + timedelta(hours=1, minutes=5))

    got = Counter((u, s) for u, s, _ in leaving.messages + staying.messages)
    assert got == Counter((u, s) for u in (owner, sleepy) for s in stores)
    told = Counter(
        (u, i.review_id) for u, _, items in leaving.messages + staying.messages for i in items
    )
    assert told == Counter((u, r) for u in (owner, sleepy) for ids in replies.values() for r in ids)
    (late,) = [i for u, _, items in staying.messages if u == sleepy for i in items if not i.open]
    assert late.review_id == closed
    assert (
        await pool.fetchval("SELECT count(*) FROM autoreply_announcements WHERE status = 'sent'")
        == 12
    )
