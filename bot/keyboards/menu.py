"""The main menu and the small buttons every screen shares."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram_i18n import I18nContext

from bot.callbacks import MenuCb, MenuSection
from bot.keyboards.builder import Keyboard


def main_menu(i18n: I18nContext) -> InlineKeyboardMarkup:
    kb = Keyboard()
    kb.button(text=i18n.get("menu-stores"), callback_data=MenuCb(section=MenuSection.STORES))
    kb.button(text=i18n.get("menu-reviews"), callback_data=MenuCb(section=MenuSection.REVIEWS))
    kb.button(
        text=i18n.get("menu-complaints"), callback_data=MenuCb(section=MenuSection.COMPLAINTS)
    )
    kb.button(text=i18n.get("menu-products"), callback_data=MenuCb(section=MenuSection.PRODUCTS))
    kb.button(text=i18n.get("menu-questions"), callback_data=MenuCb(section=MenuSection.QUESTIONS))
    kb.button(text=i18n.get("menu-chats"), callback_data=MenuCb(section=MenuSection.CHATS))
    kb.button(text=i18n.get("menu-settings"), callback_data=MenuCb(section=MenuSection.SETTINGS))
    kb.button(text=i18n.get("menu-help"), callback_data=MenuCb(section=MenuSection.HELP))
    kb.adjust(2, 2, 2, 2, 1)
    return kb.as_markup()


def back_to_menu(i18n: I18nContext) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=i18n.get("btn-menu"), callback_data=MenuCb(section=MenuSection.HOME).pack()
    )


def only_menu(i18n: I18nContext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[back_to_menu(i18n)]])
