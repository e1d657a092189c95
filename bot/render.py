"""Small pieces of every screen: escaping, cutting to Telegram's limits, stars, dates.

Every text that comes from a user or from WB goes through `esc` (or `clip`, which escapes and
cuts to a UTF-16 budget) before it reaches Telegram; `fit` is the last guard on a message.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from services.msk import MSK

MESSAGE_LIMIT = 4096


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=False)


def units(plain: str) -> int:
    """UTF-16 units of plain text: how Telegram counts a message's length."""
    return len(plain.encode("utf-16-le")) // 2


def size(html_text: str) -> int:
    """What Telegram counts for our HTML: the visible text after the tags are dropped and the
    entities decoded (`&lt;` is one character, as the person sees it)."""
    return units(visible(html_text))


def clip(value: str | None, budget: int) -> str:
    """Escape `value` and cut it (with "…") so it shows as at most `budget` UTF-16 units, as
    Telegram counts them (after escaping is decoded): the one way to put a bounded piece of
    plain text into a message."""
    text = (value or "").strip()
    if units(text) <= budget:
        return esc(text)
    out: list[str] = []
    used = 0
    for ch in text:
        cost = units(ch)  # counted as shown, after Telegram decodes the escaping
        if used + cost > budget - 1:
            break
        out.append(esc(ch))
        used += cost
    return "".join(out).rstrip() + "…" if budget > 0 else ""


def stars(rating: int) -> str:
    rating = max(0, min(5, rating))
    return "★" * rating + "☆" * (5 - rating)


def fmt_date(value: datetime | None, tz: ZoneInfo = MSK, *, with_time: bool = True) -> str:
    if value is None:
        return "—"
    local = value.astimezone(tz)
    return local.strftime("%d.%m.%Y %H:%M" if with_time else "%d.%m.%Y")


_TAG = re.compile(r"<(/?)[a-zA-Z][^>]*>")


def visible(html_text: str) -> str:
    """The text Telegram shows for our HTML (tags dropped, entities decoded)."""
    return html.unescape(_TAG.sub("", html_text))


def fit(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """A final guard on already-escaped HTML: never send more than Telegram accepts.

    Measures the visible text in UTF-16 units. When it must cut, it keeps whole lines up to
    a point where every tag is closed (a tag or entity is never split); if no such point
    exists (one long tagged block), the markup is dropped and the plain text is clipped."""
    if size(text) <= limit:
        return text
    tail = "\n…"
    best = -1
    depth = 0
    pos = 0
    for line in text.split("\n"):
        for match in _TAG.finditer(line):
            depth += -1 if match.group(1) else 1
        pos += len(line)
        if depth == 0 and size(text[:pos]) + len(tail) <= limit:
            best = pos
        elif size(text[:pos]) > limit:
            break
        pos += 1  # the "\n"
    if best > 0:
        return text[:best].rstrip() + tail
    return clip(visible(text), limit)
