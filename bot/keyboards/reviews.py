"""Keyboards of the review list, its filters and the review card."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from asyncpg import Record

from bot.callbacks import (
    ComplaintAction,
    ComplaintCb,
    FilterCb,
    FilterField,
    ListCb,
    ListGo,
    MenuCb,
    MenuSection,
    PickStoreCb,
    PublishAction,
    PublishCb,
    ReviewAction,
    ReviewCb,
)
from bot.keyboards.builder import Keyboard
from bot.views.common import Texts
from bot.views.lists import OPTIONS, ReviewListFilter
from services.records import ReviewCard, ReviewLine, StoreRef
from services.reviews import draft_fingerprint


def store_picker(
    t: Texts, section: str, stores: Sequence[StoreRef], back: InlineKeyboardButton
) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for store in stores:
        label = store.name if store.is_active else t.get("rv-store-paused", name=store.name)
        kb.button(text=label[:60], callback_data=PickStoreCb(section=section, store_id=store.id))
    kb.adjust(1)
    kb.row(back)
    return kb.as_markup()


def nav_row(
    t: Texts, view: str, page: int, pages: int, has_next: bool
) -> list[InlineKeyboardButton]:
    row = []
    if page > 0:
        row.append(
            InlineKeyboardButton(
                text=t.get("btn-prev"), callback_data=ListCb(view=view, go=ListGo.PREV).pack()
            )
        )
    row.append(
        InlineKeyboardButton(
            text=t.get("rv-page", page=page + 1, pages=max(pages, page + 1)),
            callback_data=ListCb(view=view, go=ListGo.COUNT).pack(),  # a refresh that counts again
        )
    )
    if has_next:
        row.append(
            InlineKeyboardButton(
                text=t.get("btn-next"), callback_data=ListCb(view=view, go=ListGo.NEXT).pack()
            )
        )
    return row


def review_list_keyboard(
    t: Texts,
    view: str,
    lines: Sequence[ReviewLine],
    *,
    page: int,
    pages: int,
    has_next: bool,
    first_index: int,
    back: InlineKeyboardButton,
) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for i, line in enumerate(lines):
        kb.button(
            text=str(first_index + i),
            callback_data=ReviewCb(action=ReviewAction.OPEN, review_id=line.id),
        )
    kb.adjust(5)
    if lines or page:
        kb.row(*nav_row(t, view, page, pages, has_next))
    kb.row(
        InlineKeyboardButton(
            text=t.get("rv-btn-filter"),
            callback_data=FilterCb(view=view, field=FilterField.MENU, value="-").pack(),
        )
    )
    kb.row(back)
    return kb.as_markup()


def filter_keyboard(t: Texts, view: str, current: ReviewListFilter) -> InlineKeyboardMarkup:
    """Every option of every filter (labels `rv-f-<field>-<value>`); the current ones marked.
    A press applies and shows the list."""
    kb = Keyboard()
    for field, (_, values) in OPTIONS.items():
        buttons = []
        for value in values:
            label = t.get(f"rv-f-{field}-{value}")
            if current.option(field) == value:
                label = "• " + label
            buttons.append(
                InlineKeyboardButton(
                    text=label,
                    callback_data=FilterCb(view=view, field=field, value=value).pack(),
                )
            )
        for start in range(0, len(buttons), 4):
            kb.row(*buttons[start : start + 4])
    kb.row(
        InlineKeyboardButton(
            text=t.get("rv-btn-product"),
            callback_data=FilterCb(view=view, field=FilterField.PRODUCT_MENU, value="-").pack(),
        ),
        InlineKeyboardButton(
            text=t.get("rv-btn-reset"),
            callback_data=FilterCb(view=view, field=FilterField.RESET, value="-").pack(),
        ),
    )
    kb.row(
        InlineKeyboardButton(
            text=t.get("btn-back"), callback_data=ListCb(view=view, go=ListGo.BACK).pack()
        )
    )
    return kb.as_markup()


def product_keyboard(
    t: Texts,
    view: str,
    products: Sequence[Record],
    current: str | None,
    *,
    page: int = 0,
    has_next: bool = False,
    searching: bool = False,
) -> InlineKeyboardMarkup:
    """One page of the store's products (the most negative first), paged and searchable."""
    kb = Keyboard()
    all_label = t.get("rv-f-p-all")
    kb.row(
        InlineKeyboardButton(
            text=("• " if current is None else "") + all_label,
            callback_data=FilterCb(view=view, field=FilterField.PRODUCT, value="all").pack(),
        )
    )
    for p in products:
        label = f"{p['name']} · {p['vendor_code']}" if p["vendor_code"] else p["name"]
        label = ("• " if current == p["id"] else "") + f"{label[:48]} ({p['negatives']})"
        kb.row(
            InlineKeyboardButton(
                text=label,
                callback_data=FilterCb(view=view, field=FilterField.PRODUCT, value=p["id"]).pack(),
            )
        )
    nav = []
    if page > 0:
        nav.append(_filter_btn(t.get("btn-prev"), view, FilterField.PRODUCT_MENU, str(page - 1)))
    if has_next:
        nav.append(_filter_btn(t.get("btn-next"), view, FilterField.PRODUCT_MENU, str(page + 1)))
    if nav:
        kb.row(*nav)
    search = [_filter_btn(t.get("pd-btn-search"), view, FilterField.PRODUCT_SEARCH, "-")]
    if searching:
        search.append(_filter_btn(t.get("pd-btn-clear"), view, FilterField.PRODUCT_SEARCH, "x"))
    kb.row(*search)
    kb.row(
        InlineKeyboardButton(
            text=t.get("btn-back"), callback_data=ListCb(view=view, go=ListGo.BACK).pack()
        )
    )
    return kb.as_markup()


def _filter_btn(text: str, view: str, field: FilterField, value: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=FilterCb(view=view, field=field, value=value).pack()
    )


def review_card_keyboard(
    t: Texts,
    card: ReviewCard,
    *,
    can_publish: bool,
    unconfirmed: bool = False,
    back: InlineKeyboardButton | None = None,
) -> InlineKeyboardMarkup:
    """Reply actions (draft, edit, regenerate, publish) and the complaint's button.

    `unconfirmed`: WB did not confirm the last publish; instead of Publish the person gets
    "checked the portal, send again", so nothing is re-sent without a look first.
    Both carry the fingerprint of the draft this card shows: a press after someone changed
    the draft publishes nothing and shows the current one.
    """
    r = card.review
    kb = Keyboard()
    rid = r.id
    if not r.has_answer:
        if r.draft_reply:
            fp = draft_fingerprint(r.draft_reply)
            if can_publish:
                kb.row(
                    _btn(
                        t.get("rv-btn-publish"),
                        PublishCb(action=PublishAction.PUBLISH, review_id=rid, fp=fp),
                    )
                )
            elif unconfirmed:
                kb.row(
                    _btn(
                        t.get("rv-btn-publish-again"),
                        PublishCb(action=PublishAction.CONFIRMED, review_id=rid, fp=fp),
                    )
                )
            kb.row(
                _btn(t.get("rv-btn-edit"), ReviewCb(action=ReviewAction.EDIT, review_id=rid)),
                _btn(
                    t.get("rv-btn-regen"), ReviewCb(action=ReviewAction.REGENERATE, review_id=rid)
                ),
            )
        else:
            kb.row(
                _btn(t.get("rv-btn-draft"), ReviewCb(action=ReviewAction.DRAFT, review_id=rid)),
                _btn(t.get("rv-btn-write"), ReviewCb(action=ReviewAction.EDIT, review_id=rid)),
            )
    if card.complaint_id:
        status = t.get(f"cp-status-{card.complaint_row_status or 'draft'}")
        kb.row(
            _btn(
                t.get("rv-btn-complaint-open", status=status),
                ComplaintCb(action=ComplaintAction.OPEN, complaint_id=card.complaint_id, arg="rv"),
            )
        )
    elif (r.complaint_status or "not_sent") == "not_sent" and r.rating < 5:
        kb.row(
            _btn(t.get("rv-btn-complaint"), ReviewCb(action=ReviewAction.COMPLAINT, review_id=rid))
        )
    kb.row(back or _btn(t.get("btn-menu"), MenuCb(section=MenuSection.HOME)))
    return kb.as_markup()


def _btn(text: str, data: ReviewCb | PublishCb | ComplaintCb | MenuCb) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())
