"""Buttons of the follow-up message sets and the store card's auto-start toggle."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.callbacks import MenuCb, MenuSection
from services.message_sets import SetView


class SeqAction(StrEnum):
    HOME = "home"  # both sets
    OPEN = "open"  # one set
    ADD = "add"
    EDIT = "edit"
    UP = "up"
    DELETE = "del"
    TRIGGER = "trig"
    STOP = "stop"
    CANCEL = "cancel"


class SeqCb(CallbackData, prefix="sq"):
    action: SeqAction
    set_no: int = 0
    index: int = -1


class AutoAction(StrEnum):
    ON = "on"
    OFF = "off"


class AutoStartCb(CallbackData, prefix="sqa"):
    """The store card's auto-start toggle (`stores.is_auto_no_reply_enabled`)."""

    action: AutoAction
    store_id: str


def auto_start_button(i18n: I18nContext, store_id: str, enabled: bool) -> InlineKeyboardButton:
    action = AutoAction.OFF if enabled else AutoAction.ON
    return InlineKeyboardButton(
        text=i18n.get("seq-btn-auto-on" if enabled else "seq-btn-auto-off"),
        callback_data=AutoStartCb(action=action, store_id=store_id).pack(),
    )


def home_button(i18n: I18nContext) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=i18n.get("seq-btn-sets"), callback_data=SeqCb(action=SeqAction.HOME).pack()
    )


def home_keyboard(i18n: I18nContext) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for n in (1, 2):
        kb.button(
            text=i18n.get(f"seq-btn-set{n}"), callback_data=SeqCb(action=SeqAction.OPEN, set_no=n)
        )
    kb.button(text=i18n.get("seq-btn-settings"), callback_data=MenuCb(section=MenuSection.SETTINGS))
    kb.adjust(2, 1)
    return kb.as_markup()


def set_keyboard(i18n: I18nContext, view: SetView) -> InlineKeyboardMarkup:
    n = int(view.set_no)
    rows: list[list[InlineKeyboardButton]] = []
    for i in range(len(view.messages)):
        row = [
            InlineKeyboardButton(
                text=f"✏️ {i + 1}",
                callback_data=SeqCb(action=SeqAction.EDIT, set_no=n, index=i).pack(),
            )
        ]
        if i > 0:
            row.append(
                InlineKeyboardButton(
                    text=f"⬆️ {i + 1}",
                    callback_data=SeqCb(action=SeqAction.UP, set_no=n, index=i).pack(),
                )
            )
        row.append(
            InlineKeyboardButton(
                text=f"🗑 {i + 1}",
                callback_data=SeqCb(action=SeqAction.DELETE, set_no=n, index=i).pack(),
            )
        )
        rows.append(row)

    def button(key: str, action: SeqAction) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=i18n.get(key), callback_data=SeqCb(action=action, set_no=n).pack()
        )

    rows.append([button("seq-btn-add", SeqAction.ADD)])
    rows.append(
        [button("seq-btn-trigger", SeqAction.TRIGGER), button("seq-btn-stop", SeqAction.STOP)]
    )
    rows.append([button("seq-btn-back", SeqAction.HOME)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def cancel_keyboard(i18n: I18nContext, set_no: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=i18n.get("seq-btn-cancel"),
                    callback_data=SeqCb(action=SeqAction.CANCEL, set_no=set_no).pack(),
                )
            ]
        ]
    )
