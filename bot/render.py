"""Small pieces of every screen: escaping, cutting to Telegram's limits, stars, dates.

Every text that comes from a user or from WB goes through `esc` (or `cut`, which escapes)
before it reaches Telegram.
"""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

MESSAGE_LIMIT = 4096
MSK = ZoneInfo("Europe/Moscow")


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=False)


def cut(value: str | None, limit: int) -> str:
    """At most `limit` characters of plain text (an ellipsis marks a cut), then escaped."""
    text = (value or "").strip()
    if len(text) > limit:
        text = text[: max(0, limit - 1)].rstrip() + "…"
    return esc(text)


def stars(rating: int) -> str:
    rating = max(0, min(5, rating))
    return "★" * rating + "☆" * (5 - rating)


def fmt_date(value: datetime | None, tz: ZoneInfo = MSK, *, with_time: bool = True) -> str:
    if value is None:
        return "—"
    local = value.astimezone(tz)
    return local.strftime("%d.%m.%Y %H:%M" if with_time else "%d.%m.%Y")


def fit(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """A final guard on already-escaped HTML: never send more than Telegram accepts."""
    if len(text) <= limit:
        return text
    # Cut at a line break so no tag or entity is split (screens close tags per line).
    head = text[: limit - 2]
    return (
        head[: head.rfind("\n")] + "\n…"
        if "\n" in head
        else esc(html.unescape(text))[: limit - 1] + "…"
    )
