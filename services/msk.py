"""Moscow time: every day boundary in the domain rules is an MSK day (UTC+3, no DST)."""

from __future__ import annotations

from typing import Final
from zoneinfo import ZoneInfo

MSK: Final = ZoneInfo("Europe/Moscow")
