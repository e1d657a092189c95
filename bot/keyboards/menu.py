"""The main menu and the small buttons every screen shares."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram_i18n import I18nContext

from bot.callbacks import MenuCb
from bot.keyboards.builder import Keyboard


def main_menu(i18n: I18nContext) -> InlineKeyboardMarkup:
    kb = Keyboard()
    kb.button(text=i18n.get("menu-stores"), callback_data=MenuCb(section="stores"))
    kb.button(text=i18n.get("menu-reviews"), callback_data=MenuCb(section="reviews"))
    kb.button(text=i18n.get("menu-complaints"), callback_data=MenuCb(section="complaints"))
    kb.button(text=i18n.get("menu-products"), callback_data=MenuCb(section="products"))
    kb.button(text=i18n.get("menu-questions"), callback_data=MenuCb(section="questions"))
    kb.button(text=i18n.get("menu-chats"), callback_data=MenuCb(section="chats"))
    kb.button(text=i18n.get("menu-settings"), callback_data=MenuCb(section="settings"))
    kb.button(text=i18n.get("menu-help"), callback_data=MenuCb(section="help"))
    kb.adjust(2, 2, 2, 2, 1)
    return kb.as_markup()


def back_to_menu(i18n: I18nContext) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=i18n.get("btn-menu"), callback_data=MenuCb(section="home").pack()
    )


def only_menu(i18n: I18nContext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[back_to_menu(i18n)]])
