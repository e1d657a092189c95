"""Moscow time: every day boundary in the domain rules is an MSK day (UTC+3, no DST)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

MSK: Final = ZoneInfo("Europe/Moscow")


def month_start(now: datetime) -> datetime:
    """The start of `now`'s MSK month (spend caps and spend reports count MSK months)."""
    local = now.astimezone(MSK)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def week_start(now: datetime) -> date:
    """The Monday of `now`'s MSK week (the weekly digest's key)."""
    local = now.astimezone(MSK).date()
    return local - timedelta(days=local.weekday())
