"""Publish claims: a row per object while a text of ours goes to WB, so it goes once.

A publish (a review reply, a question answer, a chat message) first claims its object with a
short committed upsert (state 'publishing', or 'sending' for chats), then calls WB holding no
lock and no connection, then records the result and drops the claim. WB failing surely drops
the claim (the next press may try again); WB not confirming marks it 'unknown'. A claim in
flight longer than `stale` lost its process (killed between the claim and WB's answer): like
'unknown', it is taken again only when the person says they checked WB (`confirm`).

The tables differ only in names: `review_publishes` (review_id, text), `question_publishes`
(question_id, action, text), `chat_sends` (chat_id, text; in flight is 'sending'). One
`PublishClaims` per table holds its statements; the names are constants of this package,
never input.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from db.pool import Conn


class PublishClaims:
    """The claim statements of one table: `key` is its primary key column, `columns` what a
    claim records besides its state and start (in the order `claim` takes them), `busy` the
    state of a claim in flight."""

    def __init__(
        self, table: str, key: str, columns: tuple[str, ...], *, busy: str = "publishing"
    ) -> None:
        self.table = table
        self.key = key
        self.columns = columns
        self.busy = busy
        values = ", ".join(f"${i}" for i in range(2, len(columns) + 2))
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
        n = len(columns) + 2
        self._claim = f"""
            INSERT INTO {table} AS p ({key}, state, {", ".join(columns)}, started_at)
            VALUES ($1, '{busy}', {values}, now())
            ON CONFLICT ({key}) DO UPDATE
               SET state = '{busy}', {updates}, started_at = now()
             WHERE ${n} AND (p.state = 'unknown' OR p.started_at < now() - ${n + 1}::interval)
            RETURNING p.{key}
            """
        self._blocker = (
            f"SELECT state FROM {table} WHERE {key} = $1"
            " AND (state = 'unknown' OR started_at < now() - $2::interval)"
        )
        self._release = f"DELETE FROM {table} WHERE {key} = $1"
        self._unknown = f"UPDATE {table} SET state = 'unknown' WHERE {key} = $1"

    async def claim(
        self, conn: Conn, key: str, *values: Any, confirm: bool, stale: timedelta
    ) -> bool:
        """True when this call now holds the claim: there was none, or the earlier one is
        unknown or stale and the person confirmed. `values`: one per `columns`."""
        if len(values) != len(self.columns):
            raise TypeError(f"{self.table} claims take {self.columns}, got {len(values)} values")
        return await conn.fetchval(self._claim, key, *values, confirm, stale) is not None

    async def blocker(self, conn: Conn, key: str, stale: timedelta) -> str | None:
        """Why a claim was refused: the earlier claim's state when it is unknown or stale
        (the person may confirm and send again), None when a publish is simply in flight."""
        state: str | None = await conn.fetchval(self._blocker, key, stale)
        return state

    async def release(self, conn: Conn, key: str) -> None:
        """Done, or WB surely did not take the text: the object is free again."""
        await conn.execute(self._release, key)

    async def mark_unknown(self, conn: Conn, key: str) -> None:
        """WB did not confirm: nothing is sent again until a person checks."""
        await conn.execute(self._unknown, key)
