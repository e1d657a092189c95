"""Entering a store-scoped section (reviews, complaints, products): skip the choice of store
when the person has one, offer a picker when they have several, say so when they have none;
and the paged list of one store (`StoreList`) that reviews and the complaint queue share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot.callbacks import ListCb, MenuCb, MenuSection, PickStoreCb
from bot.keyboards.menu import back_to_menu, only_menu
from bot.keyboards.reviews import store_picker
from bot.routing import Handlers
from bot.ui import show
from bot.views.lists import ViewOf, turn
from services.members import Members
from services.records import UserRow
from services.screens import Screens


async def enter_section(
    target: Message | CallbackQuery,
    i18n: I18nContext,
    members: Members,
    user: UserRow,
    *,
    section: str,
    pick_text: str,
    no_stores_text: str,
    open_store: Callable[[str], Awaitable[None]],
) -> None:
    """`section` is the PickStoreCb section whose handler opens the chosen store."""
    stores = [s for s, _ in await members.user_stores(user.id)]
    if not stores:
        await show(target, i18n.get(no_stores_text), only_menu(i18n))
    elif len(stores) == 1:
        await open_store(stores[0].id)
    else:
        keyboard = store_picker(i18n, section, stores, back_to_menu(i18n))
        await show(target, i18n.get(pick_text), keyboard)


OpenStore = Callable[[CallbackQuery, FSMContext, I18nContext, Screens, str], Awaitable[None]]
ShowList = Callable[
    [CallbackQuery, FSMContext, I18nContext, Screens, str, dict[str, Any]], Awaitable[None]
]
Recount = Callable[[Screens, dict[str, Any]], Awaitable[int]]


@dataclass(frozen=True)
class StoreList:
    """A section that pages one store's objects (reviews, the complaint queue): entering it
    from the menu, picking the store, turning pages. The feature says how to open, show and
    count its list; the feature's router checks the store of every press (`Access`)."""

    section: str
    """`PickStoreCb.section` and the list view's kind (`ViewOf`)."""
    menu: MenuSection
    """`MenuCb.section` of the main menu button."""
    pick_text: str
    open_store: OpenStore
    show_list: ShowList
    recount: Recount

    def register(self, router: Handlers) -> None:
        async def on_menu(
            query: CallbackQuery,
            state: FSMContext,
            i18n: I18nContext,
            members: Members,
            screens: Screens,
            user: UserRow,
        ) -> None:
            await enter_section(
                query,
                i18n,
                members,
                user,
                section=self.section,
                pick_text=self.pick_text,
                no_stores_text="rv-no-stores",
                open_store=lambda store_id: self.open_store(query, state, i18n, screens, store_id),
            )

        async def on_pick_store(
            query: CallbackQuery,
            callback_data: PickStoreCb,
            state: FSMContext,
            i18n: I18nContext,
            screens: Screens,
        ) -> None:
            await self.open_store(query, state, i18n, screens, callback_data.store_id)

        async def on_page(
            query: CallbackQuery,
            callback_data: ListCb,
            view: dict[str, Any],
            view_id: str,
            state: FSMContext,
            i18n: I18nContext,
            screens: Screens,
        ) -> None:
            turn(view, callback_data.go)
            if callback_data.go == "c":  # the counter button (or back after a batch): recount
                view["n"] = await self.recount(screens, view)
            await self.show_list(query, state, i18n, screens, view_id, view)

        router.callback_query.register(on_menu, MenuCb.filter(F.section == self.menu))
        router.callback_query.register(on_pick_store, PickStoreCb.filter(F.section == self.section))
        router.callback_query.register(on_page, ListCb.filter(), ViewOf(self.section))
