"""Buttons of the questions screens and their callback data (typed actions)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram_i18n import I18nContext

from bot.keyboards.builder import Button, button, column
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
    return column(
        (
            (
                i18n.get("q-store-btn", name=name[:40], count=unanswered),
                QListCb(action=QListAction.OPEN, store_id=store_id),
            )
            for store_id, name, unanswered in stores
        ),
        [back_to_menu(i18n)],
    )


def list_keyboard(
    i18n: I18nContext, page: QuestionPage, store_id: str, *, has_prev: bool, first: int = 1
) -> InlineKeyboardMarkup:
    """The page's questions numbered as the list's text numbers them (from `first`), paging,
    the menu."""
    nav = []
    if has_prev:
        nav.append(
            button(i18n.get("btn-prev"), QListCb(action=QListAction.PREV, store_id=store_id))
        )
    if page.next_after is not None:
        nav.append(
            button(i18n.get("btn-next"), QListCb(action=QListAction.NEXT, store_id=store_id))
        )
    return column(
        (
            (
                f"{'✅' if item.answered else '❓'} {n}. {item.product_name[:30]}",
                QuestionCb(action=QAction.OPEN, question_id=item.id),
            )
            for n, item in enumerate(page.items, first)
        ),
        nav,
        [back_to_menu(i18n)],
    )


def card_keyboard(
    i18n: I18nContext, card: QuestionCard, *, publishable: bool
) -> InlineKeyboardMarkup:
    qid = card.id

    def act(action: QAction) -> QuestionCb:
        return QuestionCb(action=action, question_id=qid)

    def publish(action: QPublishAction) -> QPublishCb:
        return QPublishCb(action=action, question_id=qid, fp=card.fingerprint)

    buttons: list[Button] = []
    if not card.answered:
        if card.publish_state == "unknown":
            buttons.append((i18n.get("q-btn-publish-again"), publish(QPublishAction.CONFIRM)))
        elif publishable and card.publish_state is None:
            buttons.append((i18n.get("q-btn-publish"), publish(QPublishAction.ANSWER)))
        buttons.append(
            (i18n.get("q-btn-regenerate" if card.draft else "q-btn-draft"), act(QAction.DRAFT))
        )
        buttons.append((i18n.get("q-btn-edit"), act(QAction.EDIT)))
        if card.draft and card.publish_state is None:
            buttons.append((i18n.get("q-btn-reject"), act(QAction.REJECT_ASK)))
        if not card.was_viewed:
            buttons.append((i18n.get("q-btn-viewed"), act(QAction.VIEWED)))
    buttons.append((i18n.get("q-btn-list"), act(QAction.BACK)))
    return column(buttons, [back_to_menu(i18n)])


def reject_keyboard(i18n: I18nContext, card: QuestionCard) -> InlineKeyboardMarkup:
    return column(
        [
            (
                i18n.get("q-btn-reject-yes"),
                QPublishCb(action=QPublishAction.REJECT, question_id=card.id, fp=card.fingerprint),
            ),
            (i18n.get("q-btn-cancel"), QuestionCb(action=QAction.OPEN, question_id=card.id)),
        ]
    )


def cancel_keyboard(i18n: I18nContext, question_id: str) -> InlineKeyboardMarkup:
    return column(
        [(i18n.get("q-btn-cancel"), QuestionCb(action=QAction.OPEN, question_id=question_id))]
    )
