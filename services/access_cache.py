"""What was read of who may act, kept in this process while no change can go unnoticed.

Every update reads the identity of the person writing (account, user, preferences), and most
button presses their role on the store the button names: two of a press's three database
round trips in the press benchmark (issue 17), for rows that change a few times a day.

The rule that keeps it right across replicas: an entry is served only while this process
LISTENs on `wbrep_access` (db/listen.py), which migration 0034's triggers notify after any
statement that changes those rows commits, from any process. A notification forgets every
entry; so does the listening connection going down (and nothing is kept until it is up
again). A read that was under way when a notification came is not kept
(`generation`): it may have seen the rows before the change. Entries also expire after
`ttl` seconds, a bound for a notification lost some way nobody foresaw.

What is left is the time between a change's commit and its notification reaching this
process (milliseconds on one network): a press that arrives within it is judged as it
would have been a moment earlier. A person learns of a decision about them from a message
sent after the commit, so their next press comes later than that. A listening connection
cut without a word (a network partition) is noticed by its ping within 15 s
(`db.listen.PING_SECONDS` + `PING_TIMEOUT`); changes made meanwhile wait that long.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import TypeVar

from db.listen import ACCESS_CHANNEL, ChannelWatch
from services import metrics

T = TypeVar("T")

TTL_SECONDS = 60.0
MAX_ENTRIES = 50_000


class AccessCache:
    def __init__(
        self,
        *,
        ttl: float = TTL_SECONDS,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[Hashable, tuple[float, object]] = {}
        self.generation = 0
        """Bumped by every change: a read begun before it is not kept."""
        self.live = False
        """Whether changes are being heard; nothing is served or kept otherwise."""
        self.hits = 0
        self.misses = 0

    def changed(self) -> None:
        """Something may have changed: forget everything, and what is being read now."""
        self.generation += 1
        self._entries.clear()

    def set_live(self, live: bool) -> None:
        """Changes are heard from now on (True), or no longer (False). Either way what was
        kept may have missed one."""
        self.changed()
        self.live = live

    async def get(
        self, key: Hashable, load: Callable[[], Awaitable[T]], *, keep_none: bool = True
    ) -> T:
        """The kept value of `key`, else `load()`'s, kept if nothing changed meanwhile (and,
        with `keep_none=False`, if it is not None: an absence no trigger reports). Values
        must be immutable: every caller gets the same object."""
        if self.live:
            found = self._entries.get(key)
            if found is not None and found[0] > self._clock():
                self.hits += 1
                return found[1]  # type: ignore[return-value]
        self.misses += 1
        generation = self.generation
        value = await load()
        kept = value is not None or keep_none
        if kept and self.live and generation == self.generation:
            if len(self._entries) >= self._max_entries:
                del self._entries[next(iter(self._entries))]  # the oldest kept
            self._entries[key] = (self._clock() + self._ttl, value)
        return value


@contextlib.asynccontextmanager
async def watching(
    cache: AccessCache, dsn: str, application_name: str = "wbrep-listen"
) -> AsyncIterator[ChannelWatch]:
    """Keep `cache` live while the block runs: a connection of its own LISTENs for changes."""
    watch = ChannelWatch(
        dsn,
        ACCESS_CHANNEL,
        on_change=cache.changed,
        on_live=cache.set_live,
        application_name=application_name,
    )
    metrics.watch_access_cache(lambda: cache.live, lambda: cache.hits, lambda: cache.misses)
    task = asyncio.create_task(watch.run(), name="access-changes")
    try:
        yield watch
    finally:
        task.cancel()
        await asyncio.wait({task}, timeout=5)  # bounded: a stop never hangs on it
        cache.set_live(False)
