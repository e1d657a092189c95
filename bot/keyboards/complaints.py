"""Keyboards of the complaint queue and the complaint card."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import (
    BatchAction,
    BatchCb,
    ComplaintAction,
    ComplaintCb,
    FilterCb,
    FilterField,
    ReviewAction,
    ReviewCb,
)
from bot.keyboards.reviews import nav_row
from bot.views.common import Texts
from bot.views.lists import QueueTab
from services.ai.reasons import COMPLAINT_REASONS
from services.complaints import complaint_fingerprint
from services.records import ComplaintCard, ComplaintRow


def _btn(text: str, data: ComplaintCb | ReviewCb | BatchCb) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def complaint_card_keyboard(
    t: Texts, complaint: ComplaintRow, *, back: InlineKeyboardButton | None = None
) -> InlineKeyboardMarkup:
    """Draft: filed, regenerate, edit, reason, discard. Filed: the outcome (correctable)."""
    cid = complaint.id
    kb = InlineKeyboardBuilder()
    if complaint.status == "draft":
        shown = complaint_fingerprint(complaint.reason_name, complaint.complaint_text)
        kb.row(
            _btn(
                t.get("cp-btn-sent"),
                ComplaintCb(action=ComplaintAction.SENT, complaint_id=cid, arg=shown),
            )
        )
        kb.row(
            _btn(
                t.get("cp-btn-regen"),
                ComplaintCb(action=ComplaintAction.REGENERATE, complaint_id=cid),
            ),
            _btn(t.get("cp-btn-edit"), ComplaintCb(action=ComplaintAction.EDIT, complaint_id=cid)),
        )
        kb.row(
            _btn(
                t.get("cp-btn-reason"),
                ComplaintCb(action=ComplaintAction.REASONS, complaint_id=cid),
            ),
            _btn(
                t.get("cp-btn-discard"),
                ComplaintCb(action=ComplaintAction.DISCARD, complaint_id=cid),
            ),
        )
    else:
        outcomes = [
            ("approved", "cp-btn-approved"),
            ("rejected", "cp-btn-rejected"),
        ]
        if complaint.status == "sent":
            outcomes.append(("pending", "cp-btn-pending"))
        kb.row(
            *(
                _btn(
                    t.get(key),
                    ComplaintCb(action=ComplaintAction.OUTCOME, complaint_id=cid, arg=outcome),
                )
                for outcome, key in outcomes
                if outcome != complaint.status
            )
        )
    kb.row(
        _btn(
            t.get("cp-btn-review"),
            ReviewCb(action=ReviewAction.OPEN, review_id=complaint.review_id),
        )
    )
    if back is not None:
        kb.row(back)
    return kb.as_markup()


def reason_keyboard(t: Texts, complaint: ComplaintRow) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for rid, name in COMPLAINT_REASONS.items():
        mark = "• " if rid == complaint.reason_id else ""
        kb.row(
            _btn(
                f"{mark}{rid} · {name}",
                ComplaintCb(
                    action=ComplaintAction.SET_REASON, complaint_id=complaint.id, arg=str(rid)
                ),
            )
        )
    kb.row(
        _btn(t.get("btn-back"), ComplaintCb(action=ComplaintAction.OPEN, complaint_id=complaint.id))
    )
    return kb.as_markup()


def queue_keyboard(
    t: Texts,
    view: str,
    store_id: str,
    tab: QueueTab,
    cards: Sequence[ComplaintCard],
    *,
    page: int,
    pages: int,
    has_next: bool,
    first_index: int,
    back: InlineKeyboardButton,
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for i, card in enumerate(cards):
        kb.button(
            text=str(first_index + i),
            callback_data=ComplaintCb(
                action=ComplaintAction.OPEN, complaint_id=card.complaint.id, arg="cq"
            ),
        )
    kb.adjust(5)
    if cards or page:
        kb.row(*nav_row(t, view, page, pages, has_next))
    kb.row(
        *(
            InlineKeyboardButton(
                text=("• " if name == tab else "") + t.get(f"cp-tab-{name}"),
                callback_data=FilterCb(view=view, field=FilterField.TAB, value=name).pack(),
            )
            for name in QueueTab
        )
    )
    kb.row(_btn(t.get("cp-btn-batch"), BatchCb(action=BatchAction.ASK, store_id=store_id)))
    kb.row(back)
    return kb.as_markup()


def batch_confirm_keyboard(
    t: Texts, store_id: str, back: InlineKeyboardButton
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(_btn(t.get("cp-btn-batch-go"), BatchCb(action=BatchAction.GO, store_id=store_id)))
    kb.row(back)
    return kb.as_markup()
