"""Main menu, help and /cancel for approved users."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot.callbacks import MenuCb, MenuSection
from bot.filters import Approved
from bot.keyboards.menu import main_menu, only_menu
from bot.routing import Handlers
from bot.ui import show
from bot.views.stores import needed_categories

router = Handlers(name="menu")
router.message.filter(Approved())
router.callback_query.filter(Approved())


async def show_menu(target: Message | CallbackQuery, i18n: I18nContext) -> None:
    await show(target, i18n.get("menu-title"), main_menu(i18n))


@router.message(Command("menu"))
async def on_menu(message: Message, i18n: I18nContext) -> None:
    await show_menu(message, i18n)


@router.message(Command("help"))
async def on_help(message: Message, i18n: I18nContext) -> None:
    await show(message, help_text(i18n), only_menu(i18n))


@router.message(Command("cancel"))
async def on_cancel(message: Message, state: FSMContext, i18n: I18nContext) -> None:
    had_state = await state.get_state() is not None
    await state.set_state(None)  # the data stays: open list views live there
    await message.answer(i18n.get("cancelled" if had_state else "nothing-to-cancel"))
    await show_menu(message, i18n)


@router.callback_query(MenuCb.filter(F.section == MenuSection.HOME))
async def on_home(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> None:
    await state.set_state(None)
    await show_menu(query, i18n)


@router.callback_query(MenuCb.filter(F.section == MenuSection.HELP))
async def on_help_button(query: CallbackQuery, i18n: I18nContext) -> None:
    await show(query, help_text(i18n), only_menu(i18n))


def help_text(i18n: I18nContext) -> str:
    return i18n.get("help-text", categories=needed_categories(i18n))
