"""The one way a batch of messages to our own people is sent (domain-rules "Delivery").

Every kind of alert (reviews, review digests, buyer messages, questions, automatic-reply
announcements, the weekly digest, sequence refusal notices) claims its rows in PostgreSQL
first, then hands the claimed messages here, in one queue per person:

- the people are served at once (`at_once`): the notifier's pacer keeps Telegram's limits
  and is the real queue, so one slow person never holds up the others;
- a person's messages go one after another, in the order given;
- before each message the process may be stopping (`stopping`, set by bot/lifecycle.py when
  the grace time is over): then the person's unsent messages are handed to `release`, which
  gives their claims back at once (any instance's next run takes them, not after the stale
  window), and nothing more is sent;
- right after Telegram answers, `record` writes the outcome; it is shielded, so a
  cancellation that comes now cannot leave a sent message unrecorded (sent twice later);
- a person who blocked the bot ("blocked") ends their queue: the rest are recorded blocked
  without a send.

`send` answers None when there is nobody to send to (no chat): recorded like that, no send.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from services.notifier import Delivery

log = logging.getLogger(__name__)

M = TypeVar("M")
K = TypeVar("K", bound=Hashable)

AT_ONCE = 1000
"""People served at once; their sends wait in the pacer (see services/alerts.py)."""


def per_person_and_store(
    rows: Iterable[Any], order: Callable[[Any], Any] | None = None, *, newest_first: bool = False
) -> dict[str, list[list[Any]]]:
    """Claimed rows (with `user_id` and `store_id`) as `deliver`'s queues: one message per
    person and store, a person's stores in a fixed order, each message's rows by `order`."""
    groups: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        groups.setdefault((row["user_id"], row["store_id"]), []).append(row)
    queues: dict[str, list[list[Any]]] = {}
    for (user_id, _), mine in sorted(groups.items(), key=lambda kv: kv[0]):
        if order is not None:
            mine.sort(key=order, reverse=newest_first)
        queues.setdefault(user_id, []).append(mine)
    return queues


async def deliver(
    queues: Mapping[K, Sequence[M]],
    *,
    send: Callable[[K, M], Awaitable[Delivery | None]],
    record: Callable[[K, M, Delivery | None], Awaitable[object]],
    release: Callable[[K, Sequence[M]], Awaitable[object]],
    stopping: asyncio.Event,
    at_once: int = AT_ONCE,
) -> None:
    """Send each person's queue (see the module's docstring); returns when all are done."""
    gate = asyncio.Semaphore(at_once)

    async def one_person(key: K, mine: Sequence[M]) -> None:
        async with gate:
            rest = list(mine)
            while rest:
                if stopping.is_set():
                    await release(key, rest)
                    return
                message = rest.pop(0)
                try:
                    outcome = await send(key, message)
                except Exception:
                    log.exception("a send to %s failed", key)
                    outcome = "failed"
                # Recorded even if this task is cancelled now: Telegram has answered.
                await asyncio.shield(record(key, message, outcome))
                if outcome == "blocked":  # the rest would be refused too
                    for other in rest:
                        await asyncio.shield(record(key, other, "blocked"))
                    return

    await asyncio.gather(*(one_person(k, mine) for k, mine in queues.items()))
