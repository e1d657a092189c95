"""Entering a store-scoped section (reviews, complaints, products): skip the choice of store
when the person has one, offer a picker when they have several, say so when they have none;
and the paged list of one store (`StoreList`) that reviews, the complaint queue and products
share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiogram import BaseMiddleware, F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram_i18n import I18nContext

from bot.callbacks import ListCb, ListGo, MenuCb, MenuSection, PickStoreCb
from bot.keyboards.menu import back_to_menu, only_menu
from bot.keyboards.reviews import store_picker
from bot.middlewares.forms import Handler
from bot.routing import Handlers
from bot.ui import show
from bot.views.lists import StoreView, ViewOf
from services.members import Members
from services.products import Products
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
    stores = [s for s, _ in await members.store_refs(user.id)]
    if not stores:
        await show(target, i18n.get(no_stores_text), only_menu(i18n))
    elif len(stores) == 1:
        await open_store(stores[0].id)
    else:
        keyboard = store_picker(i18n, section, stores, back_to_menu(i18n))
        await show(target, i18n.get(pick_text), keyboard)


@dataclass(frozen=True)
class ListScreen:
    """Where a store list is drawn and what it reads: the press or message, the person's FSM
    data, texts, and the services lists read (`screens`, `products`)."""

    target: CallbackQuery | Message
    state: FSMContext
    i18n: I18nContext
    screens: Screens
    products: Products


VT = TypeVar("VT", bound=StoreView[Any])


@dataclass(frozen=True)
class StoreList(Generic[VT]):
    """A section that pages one store's objects (reviews, the complaint queue, products):
    entering it from the menu (or a command), picking the store, turning pages. The feature
    says how to open, show and count its list; the feature's router checks the store of every
    press (`Access`)."""

    section: str
    """`PickStoreCb.section` and the list view's kind."""
    view: type[VT]
    menu: MenuSection
    """`MenuCb.section` of the main menu button."""
    pick_text: str
    open_store: Callable[[ListScreen, str], Awaitable[None]]
    show_list: Callable[[ListScreen, str, VT], Awaitable[None]]
    """(screen, view id, view)"""
    recount: Callable[[ListScreen, VT], Awaitable[int]] | None = None
    """Counts the list again (the counter button); None: the list shows no count."""
    no_stores_text: str = "rv-no-stores"

    async def enter(self, screen: ListScreen, members: Members, user: UserRow) -> None:
        await enter_section(
            screen.target,
            screen.i18n,
            members,
            user,
            section=self.section,
            pick_text=self.pick_text,
            no_stores_text=self.no_stores_text,
            open_store=lambda store_id: self.open_store(screen, store_id),
        )

    def register(self, router: Handlers) -> None:
        """The menu button, the store pick and page turns; every handler of the router gets
        `screen` (`ListScreens`)."""

        async def on_menu(
            _: CallbackQuery, screen: ListScreen, members: Members, user: UserRow
        ) -> None:
            await screen.state.set_state(None)
            await self.enter(screen, members, user)

        async def on_pick_store(
            _: CallbackQuery, callback_data: PickStoreCb, screen: ListScreen
        ) -> None:
            await self.open_store(screen, callback_data.store_id)

        async def on_page(
            _: CallbackQuery, callback_data: ListCb, view: VT, view_id: str, screen: ListScreen
        ) -> None:
            view.turn(callback_data.go)
            if callback_data.go == ListGo.COUNT and self.recount is not None:
                view.total = await self.recount(screen, view)  # the counter button: recount
            await self.show_list(screen, view_id, view)

        router.message.middleware(ListScreens())
        router.callback_query.middleware(ListScreens())
        router.callback_query.register(on_menu, MenuCb.filter(F.section == self.menu))
        router.callback_query.register(on_pick_store, PickStoreCb.filter(F.section == self.section))
        router.callback_query.register(on_page, ListCb.filter(), ViewOf(self.view))


class ListScreens(BaseMiddleware):
    """Hands the handlers of a router with a store list `screen` (a `ListScreen` of this
    press or message), so they do not thread state, texts and services by hand."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, CallbackQuery | Message) and data.get("state") is not None:
            data["screen"] = ListScreen(
                event, data["state"], data["i18n"], data["screens"], data["products"]
            )
        return await handler(event, data)
