"""Products of a store and their rules: list with search and paging, the product card with
every rule as a toggle or a choice, "apply defaults", and bulk actions on ticked products.

Entry: /products, or the menu section "products" (the store card's button belongs to the
stores screens). The list's state (store, search, keyset cursors, ticked ids) lives in FSM
data under `products`; callback data is never trusted (every product is checked against the
person's stores).
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot.callbacks import (
    MenuCb,
    MenuSection,
    PickStoreCb,
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
from bot.render import clip, esc
from bot.routing import Handlers
from bot.ui import answer, ask, show
from bot.views.sections import enter_section
from services import products as svc
from services.members import Members
from services.products import Products
from services.records import UserRow

router = Handlers(name="products")
router.message.filter(Approved())
router.callback_query.filter(Approved())

PAGE = 8
MAX_SELECTED = 200


class ProductsForm(StatesGroup):
    query = State()


async def _view(state: FSMContext) -> dict[str, Any]:
    data = await state.get_data()
    view = data.get("products")
    return dict(view) if isinstance(view, dict) else {}


async def _save(state: FSMContext, view: dict[str, Any]) -> None:
    await state.update_data(products=view)


async def show_list(
    target: Message | CallbackQuery,
    i18n: I18nContext,
    products: Products,
    state: FSMContext,
    view: dict[str, Any],
) -> None:
    store_id = view["store"]
    cur = view.get("cur")
    page = await products.page(
        store_id,
        query=view.get("q") or None,
        after=(cur[0], cur[1]) if cur else None,
        limit=PAGE,
    )
    view["last"] = [page.items[-1].vendor_code, page.items[-1].id] if page.items else None
    view["more"] = page.has_more
    view["page_ids"] = [p.id for p in page.items]
    await _save(state, view)
    name = await products.store_name(store_id)
    lines = [i18n.get("pd-list-title", store=esc(name))]
    if view.get("q"):
        lines.append(i18n.get("pd-list-search", query=clip(view["q"], 60)))
    selected = set(view.get("sel") or [])
    if view.get("mode"):
        lines.append(i18n.get("pd-select-hint", count=len(selected)))
    elif page.items:
        lines.append(i18n.get("pd-list-hint"))
    if not page.items:
        lines.append(i18n.get("pd-list-empty"))
    await show(
        target,
        "\n".join(lines),
        list_keyboard(
            i18n,
            page.items,
            has_prev=bool(view.get("stack")),
            has_next=page.has_more,
            query=view.get("q") or "",
            select_mode=bool(view.get("mode")),
            selected=selected,
        ),
    )


async def _open_store(
    target: Message | CallbackQuery,
    i18n: I18nContext,
    products: Products,
    state: FSMContext,
    store_id: str,
) -> None:
    await show_list(target, i18n, products, state, {"store": store_id, "stack": [], "sel": []})


async def _entry(
    target: Message | CallbackQuery,
    i18n: I18nContext,
    products: Products,
    members: Members,
    state: FSMContext,
    user: UserRow,
) -> None:
    await enter_section(
        target,
        i18n,
        members,
        user,
        section=PICK_SECTION,
        pick_text="pd-pick-store",
        no_stores_text="pd-no-stores",
        open_store=lambda store_id: _open_store(target, i18n, products, state, store_id),
    )


@router.message(Command("products"))
async def on_products(
    message: Message,
    i18n: I18nContext,
    products: Products,
    members: Members,
    state: FSMContext,
    user: UserRow,
) -> None:
    await state.set_state(None)
    await _entry(message, i18n, products, members, state, user)


@router.callback_query(MenuCb.filter(F.section == MenuSection.PRODUCTS))
async def on_products_menu(
    query: CallbackQuery,
    i18n: I18nContext,
    products: Products,
    members: Members,
    state: FSMContext,
    user: UserRow,
) -> None:
    await state.set_state(None)
    await _entry(query, i18n, products, members, state, user)


@router.callback_query(PickStoreCb.filter(F.section == PICK_SECTION))
async def on_pick_store(
    query: CallbackQuery,
    callback_data: PickStoreCb,
    i18n: I18nContext,
    products: Products,
    members: Members,
    state: FSMContext,
    user: UserRow,
) -> None:
    if not await members.role(user.id, callback_data.store_id):
        await answer(query, i18n.get("error-forbidden"), alert=True)
        return
    await _open_store(query, i18n, products, state, callback_data.store_id)


@router.callback_query(ProductListCb.filter())
async def on_list(
    query: CallbackQuery,
    callback_data: ProductListCb,
    i18n: I18nContext,
    products: Products,
    members: Members,
    state: FSMContext,
    user: UserRow,
) -> None:
    view = await _view(state)
    if not view.get("store") or not await members.role(user.id, view["store"]):
        await answer(query, i18n.get("error-stale"))
        return
    action = callback_data.action
    note: str | None = None
    if action == ProductListAction.NEXT and view.get("more") and view.get("last"):
        view["stack"] = [*(view.get("stack") or []), view.get("cur")]
        view["cur"] = view["last"]
    elif action == ProductListAction.PREV and view.get("stack"):
        view["cur"] = view["stack"].pop()
    elif action == ProductListAction.SEARCH:
        await state.set_state(ProductsForm.query)
        await ask(query, i18n, i18n.get("pd-ask-query"))
        return
    elif action == ProductListAction.CLEAR_SEARCH:
        view.update(q="", cur=None, stack=[])
    elif action == ProductListAction.SELECT_MODE:
        view["mode"] = not view.get("mode")
    elif action == ProductListAction.SELECT_PAGE:
        view["sel"] = list(dict.fromkeys([*(view.get("sel") or []), *view.get("page_ids", [])]))[
            :MAX_SELECTED
        ]
    elif action in (ProductListAction.BULK_DEFAULTS, ProductListAction.BULK_STOP):
        ids = list(view.get("sel") or [])
        if not ids:
            await answer(query, i18n.get("pd-bulk-empty"), alert=True)
            return
        if action == ProductListAction.BULK_DEFAULTS:
            count = await products.apply_defaults(view["store"], ids)
        else:
            count = await products.stop_work(view["store"], ids)
        view.update(sel=[], mode=False)
        note = i18n.get("pd-bulk-done", count=count)
    await show_list(query, i18n, products, state, view)
    await answer(query, note)


@router.message(ProductsForm.query, F.text)
async def on_query(
    message: Message,
    i18n: I18nContext,
    products: Products,
    members: Members,
    state: FSMContext,
    user: UserRow,
) -> None:
    view = await _view(state)
    await state.set_state(None)
    if not view.get("store") or not await members.role(user.id, view["store"]):
        await _entry(message, i18n, products, members, state, user)
        return
    view.update(q=(message.text or "").strip()[:100], cur=None, stack=[], mode=False)
    await show_list(message, i18n, products, state, view)


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
    i18n: I18nContext,
    products: Products,
    members: Members,
    state: FSMContext,
    user: UserRow,
) -> None:
    pid = callback_data.product_id
    store_id = await members.may_act(user.id, "product", pid)
    if store_id is None:
        await answer(query, i18n.get("error-forbidden"), alert=True)
        return
    action, arg = callback_data.action, callback_data.arg
    note: str | None = None
    try:
        if action == ProductAction.SELECT:
            view = await _view(state)
            if view.get("store") != store_id:
                await answer(query, i18n.get("error-stale"))
                return
            chosen = list(view.get("sel") or [])
            if pid in chosen:
                chosen.remove(pid)
            elif len(chosen) < MAX_SELECTED:
                chosen.append(pid)
            view["sel"] = chosen
            await show_list(query, i18n, products, state, view)
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
            view = await _view(state)
            if view.get("store") != store_id:
                await _save(state, {"store": store_id, "stack": [], "sel": []})
        else:
            raise svc.ProductError("bad_action")
    except svc.ProductError:
        await answer(query, i18n.get("pd-bad"), alert=True)
        return
    await show(query, render_card(i18n, card), card_keyboard(i18n, card))
    await answer(query, note)
