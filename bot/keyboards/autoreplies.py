"""Buttons of the automatic-replies screens and their callback data (typed actions)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram_i18n import I18nContext

from bot.keyboards.builder import Button, button, column
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
    def to(action: AutoAction) -> AutoCb:
        return AutoCb(action=action, store_id=s.store_id)

    modes: list[Button] = [
        (
            i18n.get("ar-btn-mode", rating=rating, mode=i18n.get(f"ar-mode-{s.mode(rating)}")),
            to(action),
        )
        for rating, action in ((5, AutoAction.MODE5), (4, AutoAction.MODE4))
    ]
    return column(
        [
            *modes,
            (i18n.get("ar-btn-cap", n=s.daily_cap), to(AutoAction.CAP)),
            (i18n.get("ar-btn-window", n=s.cancel_minutes), to(AutoAction.WINDOW)),
            (i18n.get("ar-btn-excluded", n=len(s.excluded)), to(AutoAction.EXCLUDED)),
            (i18n.get("ar-btn-shadow"), to(AutoAction.SHADOW)),
            (i18n.get("ar-btn-queue", n=queued), to(AutoAction.QUEUE)),
        ],
        [back_to_menu(i18n)],
    )


def _back(i18n: I18nContext, store_id: str) -> InlineKeyboardButton:
    """To the store's settings."""
    return button(i18n.get("ar-btn-back"), AutoCb(action=AutoAction.OPEN, store_id=store_id))


def back_keyboard(i18n: I18nContext, store_id: str) -> InlineKeyboardMarkup:
    return column((), [_back(i18n, store_id)], [back_to_menu(i18n)])


def queue_keyboard(i18n: I18nContext, store_id: str, rows: Sequence[Any]) -> InlineKeyboardMarkup:
    buttons: list[Button] = []
    for n, row in enumerate(rows, 1):
        rid = row["review_id"]
        fp = draft_fingerprint(row["text"])
        buttons.append(
            (
                i18n.get("ar-btn-publish-n", n=n),
                AutoReplyCb(action=ReplyAction.PUBLISH, review_id=rid, fp=fp),
            )
        )
        buttons.append(
            (i18n.get("ar-btn-drop-n", n=n), AutoReplyCb(action=ReplyAction.DROP, review_id=rid))
        )
    return column(buttons, [_back(i18n, store_id)], width=2)


def cancel_window_keyboard(i18n: Any, review_id: str) -> InlineKeyboardMarkup:
    """The announcement's one button; `i18n` is a per-language getter (`get(key, **kw)`)."""
    return cancel_windows_keyboard(i18n, [(0, review_id)])


def cancel_windows_keyboard(i18n: Any, numbered: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """A "Не отправлять" button per reply still in its window, numbered as the message
    numbers them (0: a lone reply, no number)."""
    label = i18n.get("ar-btn-dont-send")
    return column(
        [
            (
                f"{label} · {n}" if n else label,
                AutoReplyCb(action=ReplyAction.CANCEL, review_id=review_id),
            )
            for n, review_id in numbered
        ]
    )


def exclusion_keyboard(
    i18n: I18nContext, store_id: str, rows: Sequence[Any]
) -> InlineKeyboardMarkup:
    return column(
        (
            (
                f"{'🚫' if row['excluded'] else '✅'} {row['name'][:40]}",
                ExcludeCb(product_id=row["id"]),
            )
            for row in rows
        ),
        [_back(i18n, store_id)],
    )
