"""Buttons of the automatic-replies screens and their callback data (typed actions)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.keyboards.menu import back_to_menu
from services.autoreplies import AutoReplySettings, Mode
from services.reviews import draft_fingerprint


class AutoAction(StrEnum):
    OPEN = "o"
    MODE4 = "m4"  # next mode for 4 stars
    MODE5 = "m5"
    CAP = "c"  # next daily cap
    WINDOW = "w"  # next cancel window
    SHADOW = "sh"
    QUEUE = "q"
    EXCLUDED = "x"


class AutoCb(CallbackData, prefix="ar"):
    action: AutoAction
    store_id: str


class ReplyAction(StrEnum):
    CANCEL = "c"  # "Не отправлять"
    PUBLISH = "p"  # one tap on a suggestion (with `fp`)
    DROP = "d"  # a suggestion not wanted


class AutoReplyCb(CallbackData, prefix="arr"):
    action: ReplyAction
    review_id: str
    fp: str = ""


class ExcludeCb(CallbackData, prefix="arx"):
    """Flip whether automatic replies skip this product."""

    product_id: str


MODES: tuple[Mode, ...] = (Mode.OFF, Mode.SHADOW, Mode.SUGGEST, Mode.AUTOMATIC)
CAPS: tuple[int, ...] = (10, 25, 50, 100, 200)
WINDOWS: tuple[int, ...] = (5, 15, 30, 60)


def next_in(values: Sequence[Any], current: Any) -> Any:
    return values[(values.index(current) + 1) % len(values)] if current in values else values[0]


def settings_keyboard(
    i18n: I18nContext, s: AutoReplySettings, *, queued: int
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    sid = s.store_id
    for rating, action in ((5, AutoAction.MODE5), (4, AutoAction.MODE4)):
        kb.button(
            text=i18n.get("ar-btn-mode", rating=rating, mode=i18n.get(f"ar-mode-{s.mode(rating)}")),
            callback_data=AutoCb(action=action, store_id=sid),
        )
    kb.button(
        text=i18n.get("ar-btn-cap", n=s.daily_cap),
        callback_data=AutoCb(action=AutoAction.CAP, store_id=sid),
    )
    kb.button(
        text=i18n.get("ar-btn-window", n=s.cancel_minutes),
        callback_data=AutoCb(action=AutoAction.WINDOW, store_id=sid),
    )
    kb.button(
        text=i18n.get("ar-btn-excluded", n=len(s.excluded)),
        callback_data=AutoCb(action=AutoAction.EXCLUDED, store_id=sid),
    )
    kb.button(
        text=i18n.get("ar-btn-shadow"), callback_data=AutoCb(action=AutoAction.SHADOW, store_id=sid)
    )
    kb.button(
        text=i18n.get("ar-btn-queue", n=queued),
        callback_data=AutoCb(action=AutoAction.QUEUE, store_id=sid),
    )
    kb.adjust(1)
    kb.row(back_to_menu(i18n))
    return kb.as_markup()


def back_keyboard(i18n: I18nContext, store_id: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=i18n.get("ar-btn-back"),
        callback_data=AutoCb(action=AutoAction.OPEN, store_id=store_id),
    )
    kb.row(back_to_menu(i18n))
    return kb.as_markup()


def queue_keyboard(i18n: I18nContext, store_id: str, rows: Sequence[Any]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for n, row in enumerate(rows, 1):
        kb.button(
            text=i18n.get("ar-btn-publish-n", n=n),
            callback_data=AutoReplyCb(
                action=ReplyAction.PUBLISH,
                review_id=row["review_id"],
                fp=draft_fingerprint(row["text"]),
            ),
        )
        kb.button(
            text=i18n.get("ar-btn-drop-n", n=n),
            callback_data=AutoReplyCb(action=ReplyAction.DROP, review_id=row["review_id"]),
        )
    kb.adjust(2)
    kb.row(*back_keyboard(i18n, store_id).inline_keyboard[0])
    return kb.as_markup()


def cancel_window_keyboard(i18n: Any, review_id: str) -> InlineKeyboardMarkup:
    """The announcement's one button; `i18n` is a per-language getter (`get(key, **kw)`)."""
    return cancel_windows_keyboard(i18n, [(0, review_id)])


def cancel_windows_keyboard(i18n: Any, numbered: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """A "Не отправлять" button per reply still in its window, numbered as the message
    numbers them (0: a lone reply, no number)."""
    kb = InlineKeyboardBuilder()
    label = i18n.get("ar-btn-dont-send")
    for n, review_id in numbered:
        kb.button(
            text=f"{label} · {n}" if n else label,
            callback_data=AutoReplyCb(action=ReplyAction.CANCEL, review_id=review_id),
        )
    kb.adjust(1)
    return kb.as_markup()


def exclusion_keyboard(
    i18n: I18nContext, store_id: str, rows: Sequence[Any]
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for row in rows:
        mark = "🚫" if row["excluded"] else "✅"
        kb.button(text=f"{mark} {row['name'][:40]}", callback_data=ExcludeCb(product_id=row["id"]))
    kb.adjust(1)
    kb.row(*back_keyboard(i18n, store_id).inline_keyboard[0])
    return kb.as_markup()
