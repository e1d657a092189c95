"""Products of a store and their rules: list with search and paging, the product card with
every rule as a toggle or a choice, "apply defaults", and bulk actions on ticked products.

Entry: /products, or the menu section "products" (the store card's button belongs to the
stores screens). The list is a `StoreList` like reviews and the complaint queue: its state
(store, search, keyset cursors, ticked ids) is a `ProductListView`; the list's own buttons act
on the person's last product list. Callback data is never trusted (every product is checked
against the person's stores).
"""

from __future__ import annotations

from typing import Any, ClassVar

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot.callbacks import (
    ListGo,
    MenuSection,
    ProductAction,
    ProductCb,
    ProductListAction,
    ProductListCb,
)
from bot.filters import Approved
from bot.keyboards.products import (
    BOOL_CODES,
    CHOICE_CODES,
    PICK_SECTION,
    card_keyboard,
    list_keyboard,
)
from bot.middlewares.access import STORE_LISTS, Access
from bot.render import clip, esc
from bot.routing import Handlers
from bot.ui import answer, ask, show
from bot.views.lists import ProductListView, clear_view, last_view, load_view, save_view
from bot.views.sections import ListScreen, StoreList
from services import products as svc
from services.members import Members
from services.records import UserRow

router = Handlers(name="products")
router.message.filter(Approved())
router.callback_query.filter(Approved())
router.callback_query.middleware(Access(*STORE_LISTS, refusal="rv-unavailable"))

PAGE = 8
MAX_SELECTED = 200


class ProductsForm(StatesGroup):
    query = State()


class _OldProductList(ProductListView):
    """Where the list was kept before it was a `StoreList` (one dict under `products`): a
    person with such a state gets its store and search back, on the first page."""

    key: ClassVar[str] = "products"


async def _current(state: FSMContext) -> tuple[str, ProductListView] | None:
    """The person's product list (the last one shown), or None."""
    view_id = await last_view(state, PICK_SECTION)
    if view_id is not None and (view := await load_view(state, ProductListView, view_id)):
        return view_id, view
    old = await load_view(state, _OldProductList)
    if old is None:
        return None
    await clear_view(state, _OldProductList)
    return await save_view(state, old), old


async def show_list(screen: ListScreen, view_id: str, view: ProductListView) -> None:
    i18n, products = screen.i18n, screen.products
    page = await products.page(
        view.store_id, query=view.query or None, after=view.after, limit=PAGE
    )
    view.next = (page.items[-1].vendor_code, page.items[-1].id) if page.has_more else None
    view.page_ids = [p.id for p in page.items]
    await save_view(screen.state, view, view_id)
    name = await products.store_name(view.store_id)
    lines = [i18n.get("pd-list-title", store=esc(name))]
    if view.query:
        lines.append(i18n.get("pd-list-search", query=clip(view.query, 60)))
    selected = set(view.selected)
    if view.select_mode:
        lines.append(i18n.get("pd-select-hint", count=len(selected)))
    elif page.items:
        lines.append(i18n.get("pd-list-hint"))
    if not page.items:
        lines.append(i18n.get("pd-list-empty"))
    await show(
        screen.target,
        "\n".join(lines),
        list_keyboard(
            i18n,
            view_id,
            page.items,
            has_prev=view.page > 0,
            has_next=page.has_more,
            query=view.query,
            select_mode=view.select_mode,
            selected=selected,
        ),
    )


async def _open_store(screen: ListScreen, store_id: str) -> None:
    view = ProductListView(store_id=store_id)
    await show_list(screen, await save_view(screen.state, view), view)


PRODUCTS = StoreList(
    section=PICK_SECTION,
    view=ProductListView,
    menu=MenuSection.PRODUCTS,
    pick_text="pd-pick-store",
    no_stores_text="pd-no-stores",
    open_store=_open_store,
    show_list=show_list,
)
PRODUCTS.register(router)


@router.message(Command("products"))
async def on_products(_: Message, screen: ListScreen, members: Members, user: UserRow) -> None:
    await screen.state.set_state(None)
    await PRODUCTS.enter(screen, members, user)


@router.callback_query(ProductListCb.filter())
async def on_list(
    query: CallbackQuery,
    callback_data: ProductListCb,
    screen: ListScreen,
    members: Members,
    user: UserRow,
) -> None:
    state, i18n, products = screen.state, screen.i18n, screen.products
    current = await _current(state)
    if current is None or not await members.role(user.id, current[1].store_id):
        await answer(query, i18n.get("error-stale"))
        return
    view_id, view = current
    action = callback_data.action
    note: str | None = None
    if action == ProductListAction.NEXT:  # buttons drawn before paging went through `ListCb`
        view.turn(ListGo.NEXT)
    elif action == ProductListAction.PREV:
        view.turn(ListGo.PREV)
    elif action == ProductListAction.SEARCH:
        await state.set_state(ProductsForm.query)
        await ask(query, i18n, i18n.get("pd-ask-query"))
        return
    elif action == ProductListAction.CLEAR_SEARCH:
        view.query = ""
        view.reset_pages()
    elif action == ProductListAction.SELECT_MODE:
        view.select_mode = not view.select_mode
    elif action == ProductListAction.SELECT_PAGE:
        view.selected = list(dict.fromkeys([*view.selected, *view.page_ids]))[:MAX_SELECTED]
    elif action in (ProductListAction.BULK_DEFAULTS, ProductListAction.BULK_STOP):
        if not view.selected:
            await answer(query, i18n.get("pd-bulk-empty"), alert=True)
            return
        if action == ProductListAction.BULK_DEFAULTS:
            count = await products.apply_defaults(view.store_id, view.selected)
        else:
            count = await products.stop_work(view.store_id, view.selected)
        view.selected, view.select_mode = [], False
        note = i18n.get("pd-bulk-done", count=count)
    await show_list(screen, view_id, view)
    await answer(query, note)


@router.message(ProductsForm.query, F.text)
async def on_query(message: Message, screen: ListScreen, members: Members, user: UserRow) -> None:
    current = await _current(screen.state)
    await screen.state.set_state(None)
    if current is None or not await members.role(user.id, current[1].store_id):
        await PRODUCTS.enter(screen, members, user)
        return
    view_id, view = current
    view.query, view.select_mode = (message.text or "").strip()[:100], False
    view.reset_pages()
    await show_list(screen, view_id, view)


def render_card(i18n: I18nContext, card: svc.ProductCard) -> str:
    p = card.product
    r = card.rules

    def onoff(value: Any) -> str:
        return i18n.get("pd-on" if value else "pd-off")

    def ratings(prefix: str) -> str:
        return " ".join(f"{n}★" for n in range(1, 5) if r[f"{prefix}_{n}"]) or i18n.get("pd-none")

    none = i18n.get("pd-none")
    lines = [
        i18n.get("pd-card-title", name=clip(p.name, 200)),
        i18n.get(
            "pd-card-ids",
            article=clip(p.vendor_code or "—", 60),
            nm=esc(p.wb_product_id),
            reviews=p.review_count or 0,
        ),
        i18n.get(
            "pd-card-status",
            status=i18n.get(f"pd-ws-{p.work_status or 'not_working'}"),
            active=i18n.get("pd-active" if p.is_active is not False else "pd-inactive"),
        ),
        "",
        i18n.get(
            "pd-card-complaints",
            on=onoff(r["submit_complaints"]),
            ratings=ratings("complaint_rating"),
        ),
        i18n.get(
            "pd-card-chats",
            on=onoff(r["work_in_chats"]),
            ratings=ratings("chat_rating"),
            strategy=i18n.get(f"pd-strategy-{r['chat_strategy']}"),
        ),
        i18n.get(
            "pd-card-compensation",
            on=onoff(r["offer_compensation"]),
            type=esc(r["compensation_type"] or none),
            max=esc(r["max_compensation"] or none),
            by=esc(r["compensation_by"] or none),
        ),
    ]
    if not card.has_rules:
        lines += ["", i18n.get("pd-card-no-rules")]
    return "\n".join(lines)


@router.callback_query(ProductCb.filter())
async def on_product(
    query: CallbackQuery,
    callback_data: ProductCb,
    screen: ListScreen,
    members: Members,
    user: UserRow,
) -> None:
    state, i18n, products = screen.state, screen.i18n, screen.products
    pid = callback_data.product_id
    store_id = await members.may_act(user.id, "product", pid)
    if store_id is None:
        await answer(query, i18n.get("error-forbidden"), alert=True)
        return
    action, arg = callback_data.action, callback_data.arg
    note: str | None = None
    try:
        if action == ProductAction.SELECT:
            current = await _current(state)
            if current is None or current[1].store_id != store_id:
                await answer(query, i18n.get("error-stale"))
                return
            view_id, view = current
            if pid in view.selected:
                view.selected.remove(pid)
            elif len(view.selected) < MAX_SELECTED:
                view.selected.append(pid)
            await show_list(screen, view_id, view)
            return
        if action == ProductAction.TOGGLE and arg in BOOL_CODES:
            card = await products.toggle_rule(pid, BOOL_CODES[arg])
        elif action == ProductAction.CHOICE and arg[:2] in CHOICE_CODES:
            field = CHOICE_CODES[arg[:2]]
            rest = arg[2:]
            choices = svc.CHOICE_RULES[field]
            if rest == "-":
                value = ""
            elif rest.isdigit() and int(rest) < len(choices):
                value = choices[int(rest)]
            else:
                raise svc.ProductError("bad_value")
            card = await products.set_choice(pid, field, value)
        elif action == ProductAction.WORK_STATUS:
            card = await products.set_work_status(pid, arg)
        elif action == ProductAction.ACTIVE:
            card = await products.toggle_active(pid)
        elif action == ProductAction.DEFAULTS:
            await products.apply_defaults(store_id, [pid])
            card = await products.card(pid)
            note = i18n.get("pd-defaults-done")
        elif action == ProductAction.OPEN:
            card = await products.card(pid)
            current = await _current(state)
            if current is None or current[1].store_id != store_id:  # "back to the list" shows
                await save_view(state, ProductListView(store_id=store_id))  # this store's

        else:
            raise svc.ProductError("bad_action")
    except svc.ProductError:
        await answer(query, i18n.get("pd-bad"), alert=True)
        return
    await show(query, render_card(i18n, card), card_keyboard(i18n, card))
    await answer(query, note)
