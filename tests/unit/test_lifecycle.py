"""The graceful stop: running update handlers and jobs finish within the grace time;
`stopping` is set when it is over; what still runs after `finish` more is cancelled."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher
from aiogram.types import Chat, Message, Update, User

from bot.health import observe
from bot.lifecycle import Lifecycle
from tests.fakes.telegram.server import DEFAULT_TOKEN


def update(n: int) -> Update:
    user = User(id=5, is_bot=False, first_name="A")
    message = Message(
        message_id=n,
        date=datetime.now(UTC),
        chat=Chat(id=5, type="private"),
        from_user=user,
        text="hi",
    )
    return Update(update_id=n, message=message)


async def test_a_running_update_finishes_and_a_long_job_is_stopped_then_cancelled() -> None:
    lifecycle = Lifecycle(grace=0.5, finish=0.3)
    dp = Dispatcher()
    observe(dp, lifecycle)
    done: list[str] = []

    @dp.message()
    async def slow(message: Message) -> None:
        await asyncio.sleep(0.2)
        done.append("update")

    async def job() -> None:
        lifecycle.track()
        await lifecycle.stopping.wait()  # a batch checks it before each item
        done.append("job saw stopping")
        await asyncio.sleep(10)  # the one item in flight that never ends
        done.append("never")

    bot = Bot(DEFAULT_TOKEN)
    try:
        feed = asyncio.create_task(dp.feed_update(bot, update(1)))
        running = asyncio.create_task(job())
        await asyncio.sleep(0.01)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await lifecycle.drain()
        took = loop.time() - started
        assert done == ["update", "job saw stopping"]
        assert running.cancelled() and feed.done()
        assert 0.5 <= took < 1.5, took
    finally:
        await bot.session.close()
