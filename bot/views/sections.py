"""Entering a store-scoped section (reviews, complaints, products): skip the choice of store
when the person has one, offer a picker when they have several, say so when they have none."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot.keyboards.menu import back_to_menu, only_menu
from bot.keyboards.reviews import store_picker
from bot.ui import show
from db.models import UserRow
from services.members import user_stores


async def enter_section(
    target: Message | CallbackQuery,
    i18n: I18nContext,
    pool: asyncpg.Pool,
    user: UserRow,
    *,
    section: str,
    pick_text: str,
    no_stores_text: str,
    open_store: Callable[[str], Awaitable[None]],
) -> None:
    """`section` is the PickStoreCb section whose handler opens the chosen store."""
    stores = [s for s, _ in await user_stores(pool, user.id)]
    if not stores:
        await show(target, i18n.get(no_stores_text), only_menu(i18n))
    elif len(stores) == 1:
        await open_store(stores[0].id)
    else:
        keyboard = store_picker(i18n, section, stores, back_to_menu(i18n))
        await show(target, i18n.get(pick_text), keyboard)
