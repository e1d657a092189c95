"""Buttons of the questions screens and their callback data (typed actions)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.keyboards.menu import back_to_menu
from services.questions import QuestionCard, QuestionPage


class QListAction(StrEnum):
    OPEN = "o"  # a store's list, first page
    NEXT = "n"
    PREV = "p"


class QListCb(CallbackData, prefix="ql"):
    """A store's question list; the page cursors live in FSM data (`QuestionListView`)."""

    action: QListAction
    store_id: str


class QAction(StrEnum):
    OPEN = "o"
    DRAFT = "d"
    EDIT = "e"
    REJECT_ASK = "ra"
    VIEWED = "v"
    BACK = "b"


class QuestionCb(CallbackData, prefix="qq"):
    action: QAction
    question_id: str


class QPublishAction(StrEnum):
    ANSWER = "a"
    REJECT = "r"
    CONFIRM = "ac"  # WB did not confirm an earlier publish; the person checked the portal


class QPublishCb(CallbackData, prefix="qp"):
    """Publish (or reject with) the draft the card showed: `fp` is its fingerprint."""

    action: QPublishAction
    question_id: str
    fp: str


def stores_keyboard(i18n: I18nContext, stores: list[tuple[str, str, int]]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for store_id, name, unanswered in stores:
        kb.button(
            text=i18n.get("q-store-btn", name=name[:40], count=unanswered),
            callback_data=QListCb(action=QListAction.OPEN, store_id=store_id),
        )
    kb.adjust(1)
    kb.row(back_to_menu(i18n))
    return kb.as_markup()


def list_keyboard(
    i18n: I18nContext, page: QuestionPage, store_id: str, *, has_prev: bool
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for n, item in enumerate(page.items, 1):
        mark = "✅" if item.answered else "❓"
        kb.button(
            text=f"{mark} {n}. {item.product_name[:30]}",
            callback_data=QuestionCb(action=QAction.OPEN, question_id=item.id),
        )
    kb.adjust(1)
    nav = []
    if has_prev:
        nav.append(
            (i18n.get("btn-prev"), QListCb(action=QListAction.PREV, store_id=store_id).pack())
        )
    if page.next_after is not None:
        nav.append(
            (i18n.get("btn-next"), QListCb(action=QListAction.NEXT, store_id=store_id).pack())
        )
    if nav:
        kb.row(*(InlineKeyboardButton(text=t, callback_data=d) for t, d in nav))
    kb.row(back_to_menu(i18n))
    return kb.as_markup()


def card_keyboard(
    i18n: I18nContext, card: QuestionCard, *, publishable: bool
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    qid = card.id
    if not card.answered:
        if card.publish_state == "unknown":
            kb.button(
                text=i18n.get("q-btn-publish-again"),
                callback_data=QPublishCb(
                    action=QPublishAction.CONFIRM, question_id=qid, fp=card.fingerprint
                ),
            )
        elif publishable and card.publish_state is None:
            kb.button(
                text=i18n.get("q-btn-publish"),
                callback_data=QPublishCb(
                    action=QPublishAction.ANSWER, question_id=qid, fp=card.fingerprint
                ),
            )
        kb.button(
            text=i18n.get("q-btn-regenerate" if card.draft else "q-btn-draft"),
            callback_data=QuestionCb(action=QAction.DRAFT, question_id=qid),
        )
        kb.button(
            text=i18n.get("q-btn-edit"),
            callback_data=QuestionCb(action=QAction.EDIT, question_id=qid),
        )
        if card.draft and card.publish_state is None:
            kb.button(
                text=i18n.get("q-btn-reject"),
                callback_data=QuestionCb(action=QAction.REJECT_ASK, question_id=qid),
            )
        if not card.was_viewed:
            kb.button(
                text=i18n.get("q-btn-viewed"),
                callback_data=QuestionCb(action=QAction.VIEWED, question_id=qid),
            )
    kb.button(
        text=i18n.get("q-btn-list"), callback_data=QuestionCb(action=QAction.BACK, question_id=qid)
    )
    kb.adjust(1)
    kb.row(back_to_menu(i18n))
    return kb.as_markup()


def reject_keyboard(i18n: I18nContext, card: QuestionCard) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=i18n.get("q-btn-reject-yes"),
        callback_data=QPublishCb(
            action=QPublishAction.REJECT, question_id=card.id, fp=card.fingerprint
        ),
    )
    kb.button(
        text=i18n.get("q-btn-cancel"),
        callback_data=QuestionCb(action=QAction.OPEN, question_id=card.id),
    )
    kb.adjust(1)
    return kb.as_markup()


def cancel_keyboard(i18n: I18nContext, question_id: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=i18n.get("q-btn-cancel"),
        callback_data=QuestionCb(action=QAction.OPEN, question_id=question_id),
    )
    return kb.as_markup()
