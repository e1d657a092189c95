"""Keyboards of the product list and the product card (rules as toggles and choices)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.callbacks import (
    ListCb,
    ListGo,
    ProductAction,
    ProductCb,
    ProductListAction,
    ProductListCb,
)
from bot.keyboards.menu import back_to_menu
from services.products import CHOICE_RULES, WORK_STATUSES, ProductCard
from services.records import ProductRow

# Short codes for rule fields in callback data (64 bytes: `pr:t:<uuid>:<code>`).
BOOL_CODES: dict[str, str] = {
    "sc": "submit_complaints",
    "c1": "complaint_rating_1",
    "c2": "complaint_rating_2",
    "c3": "complaint_rating_3",
    "c4": "complaint_rating_4",
    "wc": "work_in_chats",
    "h1": "chat_rating_1",
    "h2": "chat_rating_2",
    "h3": "chat_rating_3",
    "h4": "chat_rating_4",
    "oc": "offer_compensation",
}
CHOICE_CODES: dict[str, str] = {
    "st": "chat_strategy",
    "ct": "compensation_type",
    "mc": "max_compensation",
    "cb": "compensation_by",
}
PICK_SECTION = "pd"


def mark(on: Any) -> str:
    return "✅" if on else "▫️"


def product_label(p: ProductRow, *, selected: bool | None) -> str:
    if selected is None:
        lead = "✅" if p.work_status == "active" and p.is_active is not False else "⏸"
    else:
        lead = "☑️" if selected else "▫️"
    name = p.name if len(p.name) <= 32 else p.name[:31] + "…"
    article = f"{p.vendor_code} · " if p.vendor_code else ""
    return f"{lead} {article}{name}"


def list_keyboard(
    i18n: I18nContext,
    view: str,
    items: Sequence[ProductRow],
    *,
    has_prev: bool,
    has_next: bool,
    query: str,
    select_mode: bool,
    selected: set[str],
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for p in items:
        if select_mode:
            kb.row(
                InlineKeyboardButton(
                    text=product_label(p, selected=p.id in selected),
                    callback_data=ProductCb(action=ProductAction.SELECT, product_id=p.id).pack(),
                )
            )
        else:
            kb.row(
                InlineKeyboardButton(
                    text=product_label(p, selected=None),
                    callback_data=ProductCb(action=ProductAction.OPEN, product_id=p.id).pack(),
                )
            )
    nav = []
    if has_prev:
        nav.append(_page_btn(i18n.get("btn-prev"), view, ListGo.PREV))
    if has_next:
        nav.append(_page_btn(i18n.get("btn-next"), view, ListGo.NEXT))
    if nav:
        kb.row(*nav)
    if select_mode:
        count = len(selected)
        kb.row(_list_btn(i18n.get("pd-btn-select-page"), ProductListAction.SELECT_PAGE))
        kb.row(
            _list_btn(
                i18n.get("pd-btn-bulk-defaults", count=count), ProductListAction.BULK_DEFAULTS
            ),
            _list_btn(i18n.get("pd-btn-bulk-stop", count=count), ProductListAction.BULK_STOP),
        )
        kb.row(_list_btn(i18n.get("pd-btn-select-off"), ProductListAction.SELECT_MODE))
    else:
        row = [_list_btn(i18n.get("pd-btn-search"), ProductListAction.SEARCH)]
        if query:
            row.append(_list_btn(i18n.get("pd-btn-clear"), ProductListAction.CLEAR_SEARCH))
        kb.row(*row)
        kb.row(_list_btn(i18n.get("pd-btn-select"), ProductListAction.SELECT_MODE))
    kb.row(back_to_menu(i18n))
    return kb.as_markup()


def _page_btn(text: str, view: str, go: ListGo) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=ListCb(view=view, go=go).pack())


def _list_btn(text: str, action: ProductListAction) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=ProductListCb(action=action).pack())


def _btn(text: str, action: ProductAction, product_id: str, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=ProductCb(action=action, product_id=product_id, arg=arg).pack()
    )


def card_keyboard(i18n: I18nContext, card: ProductCard) -> InlineKeyboardMarkup:
    p = card.product
    r = card.rules
    kb = InlineKeyboardBuilder()
    kb.row(
        *(
            _btn(
                ("• " if p.work_status == s else "") + i18n.get(f"pd-ws-{s}"),
                ProductAction.WORK_STATUS,
                p.id,
                s,
            )
            for s in WORK_STATUSES
        ),
        width=4,
    )
    kb.row(
        _btn(
            f"{mark(p.is_active is not False)} {i18n.get('pd-btn-active')}",
            ProductAction.ACTIVE,
            p.id,
        )
    )
    kb.row(
        _btn(
            f"{mark(r['submit_complaints'])} {i18n.get('pd-btn-complaints')}",
            ProductAction.TOGGLE,
            p.id,
            "sc",
        )
    )
    kb.row(
        *(
            _btn(f"{n}★ {mark(r[f'complaint_rating_{n}'])}", ProductAction.TOGGLE, p.id, f"c{n}")
            for n in range(1, 5)
        )
    )
    kb.row(
        _btn(
            f"{mark(r['work_in_chats'])} {i18n.get('pd-btn-chats')}",
            ProductAction.TOGGLE,
            p.id,
            "wc",
        )
    )
    kb.row(
        *(
            _btn(f"{n}★ {mark(r[f'chat_rating_{n}'])}", ProductAction.TOGGLE, p.id, f"h{n}")
            for n in range(1, 5)
        )
    )
    kb.row(
        *(
            _btn(
                ("• " if r["chat_strategy"] == s else "") + i18n.get(f"pd-strategy-{s}"),
                ProductAction.CHOICE,
                p.id,
                f"st{i}",
            )
            for i, s in enumerate(CHOICE_RULES["chat_strategy"])
        )
    )
    kb.row(
        _btn(
            f"{mark(r['offer_compensation'])} {i18n.get('pd-btn-compensation')}",
            ProductAction.TOGGLE,
            p.id,
            "oc",
        )
    )
    if r["offer_compensation"]:
        for code in ("ct", "mc", "cb"):
            field = CHOICE_CODES[code]
            buttons = [
                _btn(("• " if r[field] == v else "") + v, ProductAction.CHOICE, p.id, f"{code}{i}")
                for i, v in enumerate(CHOICE_RULES[field])
            ]
            buttons.append(
                _btn(
                    ("• " if r[field] is None else "") + "—", ProductAction.CHOICE, p.id, f"{code}-"
                )
            )
            kb.row(*buttons)
    kb.row(_btn(i18n.get("pd-btn-defaults"), ProductAction.DEFAULTS, p.id))
    kb.row(_list_btn(i18n.get("pd-btn-back-list"), ProductListAction.REFRESH))
    return kb.as_markup()
