"""A person's own settings (user_preferences): language, alert threshold, quiet hours.

These are personal even on a store someone else owns (domain rules, "Whose settings").
The row is created on the first change; until then the defaults below apply.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from db.repos import preferences as prefs_repo

LANGUAGES = ("ru", "en")
DEFAULT_THRESHOLD = 3
# Quiet hours offered on the settings screen: (start, end) in MSK, start inclusive.
QUIET_PRESETS: tuple[tuple[int, int], ...] = ((22, 8), (23, 9), (0, 8))


class PreferenceError(ValueError):
    """A value the settings do not take."""


@dataclass(frozen=True, slots=True)
class Preferences:
    language: str | None = None  # None: follow the Telegram client's language
    alert_threshold: int = DEFAULT_THRESHOLD
    quiet_start: int | None = None
    quiet_end: int | None = None

    @property
    def quiet(self) -> tuple[int, int] | None:
        if self.quiet_start is None or self.quiet_end is None:
            return None
        return self.quiet_start, self.quiet_end


async def get(pool: asyncpg.Pool, user_id: str) -> Preferences:
    row = await prefs_repo.get_row(pool, user_id)
    if row is None:
        return Preferences()
    return Preferences(
        language=row["language"],
        alert_threshold=int(row["alert_threshold"]),
        quiet_start=row["quiet_start"],
        quiet_end=row["quiet_end"],
    )


async def set_language(pool: asyncpg.Pool, user_id: str, language: str) -> Preferences:
    if language not in LANGUAGES:
        raise PreferenceError(f"unknown language {language!r}")
    await prefs_repo.upsert(pool, user_id, "language", language)
    return await get(pool, user_id)


async def set_threshold(pool: asyncpg.Pool, user_id: str, stars: int) -> Preferences:
    """Alerts come for reviews rated `stars` or lower."""
    if not 1 <= stars <= 5:
        raise PreferenceError(f"threshold must be 1-5 stars, not {stars}")
    await prefs_repo.upsert(pool, user_id, "alert_threshold", stars)
    return await get(pool, user_id)


async def set_quiet_hours(
    pool: asyncpg.Pool, user_id: str, hours: tuple[int, int] | None
) -> Preferences:
    """Quiet hours in MSK (start inclusive, end exclusive), or None for none."""
    if hours is not None:
        start, end = hours
        if not (0 <= start <= 23 and 0 <= end <= 23) or start == end:
            raise PreferenceError(f"quiet hours must be two different hours 0-23, not {hours}")
    start_v, end_v = hours if hours is not None else (None, None)
    await prefs_repo.set_quiet(pool, user_id, start_v, end_v)
    return await get(pool, user_id)


class PreferenceService:
    """A person's settings on the app's pool: built once and injected as `preferences`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, user_id: str) -> Preferences:
        return await get(self._pool, user_id)

    async def set_language(self, user_id: str, language: str) -> Preferences:
        return await set_language(self._pool, user_id, language)

    async def set_threshold(self, user_id: str, stars: int) -> Preferences:
        return await set_threshold(self._pool, user_id, stars)

    async def set_quiet_hours(self, user_id: str, hours: tuple[int, int] | None) -> Preferences:
        return await set_quiet_hours(self._pool, user_id, hours)
