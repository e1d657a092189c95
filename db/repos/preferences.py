"""A person's bot preferences (`user_preferences`): language, alert threshold, quiet hours."""

from __future__ import annotations

from typing import Literal

import asyncpg

from db.pool import Conn

PreferenceColumn = Literal["language", "alert_threshold"]


async def get_row(conn: Conn, user_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT language, alert_threshold, quiet_start, quiet_end
             FROM user_preferences WHERE user_id = $1""",
        user_id,
    )


async def set_quiet(conn: Conn, user_id: str, start: int | None, end: int | None) -> None:
    await conn.execute(
        """INSERT INTO user_preferences (user_id, quiet_start, quiet_end) VALUES ($1, $2, $3)
           ON CONFLICT (user_id) DO UPDATE
              SET quiet_start = EXCLUDED.quiet_start, quiet_end = EXCLUDED.quiet_end""",
        user_id,
        start,
        end,
    )


async def upsert(conn: Conn, user_id: str, column: PreferenceColumn, value: object) -> None:
    assert column in ("language", "alert_threshold")  # never user input
    await conn.execute(
        f"""INSERT INTO user_preferences (user_id, {column}) VALUES ($1, $2)
            ON CONFLICT (user_id) DO UPDATE SET {column} = EXCLUDED.{column}""",
        user_id,
        value,
    )
