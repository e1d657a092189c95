"""Rendering of the automatic-replies screens and the cancel-window announcement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram_i18n import I18nContext

from bot.render import clip, esc, fmt_date, stars
from services.autoreplies import AutoReplySettings, Scheduled


def render_settings(i18n: I18nContext, store_name: str, s: AutoReplySettings) -> str:
    lines = [
        i18n.get("ar-title", store=clip(store_name, 60)),
        "",
        i18n.get("ar-explain"),
        "",
        i18n.get("ar-line-mode", rating=5, mode=i18n.get(f"ar-mode-{s.mode(5)}")),
        i18n.get("ar-line-mode", rating=4, mode=i18n.get(f"ar-mode-{s.mode(4)}")),
        i18n.get("ar-line-cap", n=s.daily_cap),
        i18n.get("ar-line-window", n=s.cancel_minutes),
        i18n.get("ar-line-excluded", n=len(s.excluded)),
    ]
    return "\n".join(lines)


def render_rows(i18n: I18nContext, title: str, rows: Sequence[Any]) -> str:
    lines = [title, ""]
    if not rows:
        lines.append(i18n.get("ar-list-empty"))
    for n, r in enumerate(rows, 1):
        head = f"<b>{n}.</b> {stars(int(r['rating']))} {clip(r['product_name'], 40)}"
        lines.append(head)
        lines.append(f"   «{clip(r['review_text'], 90)}»")
        if r["state"] == "held":
            lines.append(
                "   "
                + i18n.get("ar-held", reason=i18n.get(f"ar-reason-{r['reason'] or 'complaint'}"))
            )
        elif r["text"]:
            lines.append(f"   → {clip(r['text'], 200)}")
    return "\n".join(lines)


def render_announcement(lang: Any, store_name: str, item: Scheduled) -> str:
    """`lang.get(key, **kwargs)`: texts in the recipient's language."""
    get = lang.get
    return "\n".join(
        [
            get("ar-announce", store=clip(store_name, 60), time=esc(fmt_date(item.due_at))),
            f"{stars(item.rating)} «{clip(item.review_text, 300)}»",
            "",
            get("ar-announce-reply"),
            f"<blockquote>{clip(item.text, 1500)}</blockquote>",
        ]
    )


ANNOUNCE_SHOWN = 3
"""Replies shown in one announcement (each with its button); the rest are counted."""


def render_announcements(lang: Any, store_name: str, items: Sequence[Scheduled]) -> str:
    """One message per person and store: a lone reply in its window as before; several (a
    busy tick, or quiet hours just over) numbered, shorter, each saying whether its cancel
    window is still open."""
    if len(items) == 1 and items[0].open:
        return render_announcement(lang, store_name, items[0])
    get = lang.get
    store = clip(store_name, 60)
    blocks = []
    for n, item in enumerate(items[:ANNOUNCE_SHOWN], 1):
        head = (
            get("ar-announce", store=store, time=esc(fmt_date(item.due_at)))
            if item.open
            else get("ar-announce-closed", store=store)
        )
        blocks.append(
            "\n".join(
                [
                    f"<b>{n}.</b> {head}",
                    f"{stars(item.rating)} «{clip(item.review_text, 150)}»",
                    get("ar-announce-reply"),
                    f"<blockquote>{clip(item.text, 500)}</blockquote>",
                ]
            )
        )
    if len(items) > ANNOUNCE_SHOWN:
        blocks.append(get("ar-announce-more", n=len(items) - ANNOUNCE_SHOWN))
    return "\n\n".join(blocks)
