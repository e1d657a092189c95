"""The main menu and the small buttons every screen shares.

Their texts depend on the language only, so each is built once per set of labels and the
same (never changed) markup is handed out again: a menu press builds no keyboard.
"""

from __future__ import annotations

import functools

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram_i18n import I18nContext

from bot.callbacks import MenuCb, MenuSection
from bot.keyboards.builder import Keyboard

MENU = (
    ("menu-stores", MenuSection.STORES),
    ("menu-reviews", MenuSection.REVIEWS),
    ("menu-complaints", MenuSection.COMPLAINTS),
    ("menu-products", MenuSection.PRODUCTS),
    ("menu-questions", MenuSection.QUESTIONS),
    ("menu-chats", MenuSection.CHATS),
    ("menu-settings", MenuSection.SETTINGS),
    ("menu-help", MenuSection.HELP),
)


def main_menu(i18n: I18nContext) -> InlineKeyboardMarkup:
    return _main_menu(tuple(i18n.get(key) for key, _ in MENU))


@functools.lru_cache(maxsize=8)
def _main_menu(labels: tuple[str, ...]) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for label, (_, section) in zip(labels, MENU, strict=True):
        kb.button(text=label, callback_data=MenuCb(section=section))
    kb.adjust(2, 2, 2, 2, 1)
    return kb.as_markup()


def back_to_menu(i18n: I18nContext) -> InlineKeyboardButton:
    return _back_to_menu(i18n.get("btn-menu"))


@functools.lru_cache(maxsize=8)
def _back_to_menu(label: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=label, callback_data=MenuCb(section=MenuSection.HOME).pack())


def only_menu(i18n: I18nContext) -> InlineKeyboardMarkup:
    return _only_menu(i18n.get("btn-menu"))


@functools.lru_cache(maxsize=8)
def _only_menu(label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_back_to_menu(label)]])
