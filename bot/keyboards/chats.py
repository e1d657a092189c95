"""Buttons of the chat screens. Chat ids travel encoded (`encode_chat_id`)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.callbacks import (
    ChatAct,
    ChatBoardCb,
    ChatCb,
    ChatCol,
    ChatListAct,
    ChatListCb,
    encode_chat_id,
)
from bot.keyboards.menu import back_to_menu
from bot.views.chats import COL_OF, ChatListView, col_name
from services.ai.chat_tags import CHAT_TAGS
from services.chats.service import (
    Board,
    ChatCard,
    ChatStatus,
    ColumnPage,
    CompletionReason,
    text_fingerprint,
)
from services.sequences import MessageSet

REASONS: tuple[CompletionReason, ...] = tuple(CompletionReason)


def board_keyboard(i18n: I18nContext, board: Board, store: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for status in ChatStatus:
        kb.button(
            text=str(
                i18n.get("ch-col-button", name=col_name(i18n, status), count=board.counts[status])
            ),
            callback_data=ChatListCb(act=ChatListAct.OPEN, col=COL_OF[status], arg=store),
        )
    kb.adjust(1)
    kb.row(back_to_menu(i18n))
    return kb.as_markup()


def list_keyboard(i18n: I18nContext, view: ChatListView, page: ColumnPage) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for n, line in enumerate(page.lines, 1):
        kb.button(text=str(n), callback_data=ChatCb(act=ChatAct.OPEN, chat=encode_chat_id(line.id)))
    kb.adjust(4)
    col = view.col
    nav: list[InlineKeyboardButton] = []
    if len(view.cursors) > 1:
        nav.append(_list_button(i18n.get("ch-btn-prev"), ChatListAct.PREV, col))
    if page.next_after is not None:
        nav.append(_list_button(i18n.get("ch-btn-next"), ChatListAct.NEXT, col))
    if nav:
        kb.row(*nav)
    kb.row(
        _list_button(
            i18n.get("ch-btn-waiting-on" if view.waiting else "ch-btn-waiting"),
            ChatListAct.WAITING,
            col,
        ),
        _list_button(i18n.get("ch-btn-tag"), ChatListAct.TAG_MENU, col),
        _list_button(i18n.get("ch-btn-product"), ChatListAct.PRODUCT_MENU, col),
    )
    if view.waiting or view.tag or view.product:
        kb.row(_list_button(i18n.get("ch-btn-clear"), ChatListAct.CLEAR, col))
    kb.row(
        InlineKeyboardButton(
            text=str(i18n.get("ch-btn-board")), callback_data=ChatBoardCb(store=view.store).pack()
        ),
        back_to_menu(i18n),
    )
    return kb.as_markup()


def _list_button(
    text: object, act: ChatListAct, col: ChatCol, arg: str = ""
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=str(text), callback_data=ChatListCb(act=act, col=col, arg=arg).pack()
    )


def tag_filter_keyboard(i18n: I18nContext, col: ChatCol) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for i, tag in enumerate(CHAT_TAGS):
        kb.row(_list_button(i18n.get(f"ch-tag-{tag}"), ChatListAct.TAG, col, str(i)))
    kb.row(_list_button(i18n.get("ch-btn-list"), ChatListAct.OPEN, col, "="))
    return kb.as_markup()


def product_filter_keyboard(
    i18n: I18nContext, col: ChatCol, products: list[tuple[str, str]]
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for nm, name in products:
        kb.row(_list_button(f"{name[:40]} · {nm}", ChatListAct.PRODUCT, col, nm[:20]))
    kb.row(_list_button(i18n.get("ch-btn-list"), ChatListAct.OPEN, col, "="))
    return kb.as_markup()


def _chat_button(text: object, act: ChatAct, chat_id: str, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=str(text),
        callback_data=ChatCb(act=act, chat=encode_chat_id(chat_id), arg=arg).pack(),
    )


def card_keyboard(
    i18n: I18nContext, card: ChatCard, *, list_open: bool, paged: bool = False
) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    cid = card.id
    if card.draft:
        fp = text_fingerprint(card.draft)
        send_act = ChatAct.SEND_AGAIN if card.send_state == "unknown" else ChatAct.SEND
        send_text = "ch-btn-send-again" if card.send_state == "unknown" else "ch-btn-send"
        if not card.draft_problems and card.has_sign:
            rows.append([_chat_button(i18n.get(send_text), send_act, cid, fp)])
        rows.append(
            [
                _chat_button(i18n.get("ch-btn-edit"), ChatAct.EDIT, cid),
                _chat_button(i18n.get("ch-btn-regenerate"), ChatAct.DRAFT, cid),
            ]
        )
    else:
        rows.append(
            [
                _chat_button(i18n.get("ch-btn-draft"), ChatAct.DRAFT, cid),
                _chat_button(i18n.get("ch-btn-edit"), ChatAct.EDIT, cid),
            ]
        )
    # Follow-up sequences (issue 13's sibling, helper h10) put their "Start follow-ups"
    # button in this row: `follow_up_row(...)` returns it when a sequence may start.
    rows.extend(follow_up_row(i18n, card))
    if card.status is ChatStatus.CLOSED:
        rows.append([_chat_button(i18n.get("ch-btn-reopen"), ChatAct.REOPEN, cid)])
    else:
        rows.append(
            [
                _chat_button(i18n.get("ch-btn-move"), ChatAct.MOVE_MENU, cid),
                _chat_button(i18n.get("ch-btn-close"), ChatAct.CLOSE_MENU, cid),
            ]
        )
    rows.append([_chat_button(i18n.get("ch-btn-set-tag"), ChatAct.TAG_MENU, cid)])
    paging = []
    if card.older:
        paging.append(_chat_button(i18n.get("ch-btn-older"), ChatAct.OLDER, cid))
    if paged:  # an older page is shown: back to the newest messages
        paging.append(_chat_button(i18n.get("ch-btn-card"), ChatAct.OPEN, cid))
    if paging:
        rows.append(paging)
    back: list[InlineKeyboardButton] = []
    if list_open:
        back.append(
            InlineKeyboardButton(
                text=str(i18n.get("ch-btn-list")),
                callback_data=ChatListCb(act=ChatListAct.OPEN, col=ChatCol.INBOX, arg="=").pack(),
            )
        )
    back.append(
        InlineKeyboardButton(
            text=str(i18n.get("ch-btn-board")),
            callback_data=ChatBoardCb(store=card.store_id).pack(),
        )
    )
    back.append(back_to_menu(i18n))
    rows.append(back)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def follow_up_row(i18n: I18nContext, card: ChatCard) -> list[list[InlineKeyboardButton]]:
    """ "Stop follow-ups" while a sequence runs, else "Start follow-ups" (not on a closed chat)."""
    if card.sequence is not None:
        return [[_chat_button(i18n.get("ch-btn-follow-stop"), ChatAct.FOLLOW_STOP, card.id)]]
    if card.status is ChatStatus.CLOSED:
        return []
    return [[_chat_button(i18n.get("ch-btn-follow-start"), ChatAct.FOLLOW_MENU, card.id)]]


def follow_up_keyboard(
    i18n: I18nContext, chat_id: str, sets: list[MessageSet], *, named: bool
) -> InlineKeyboardMarkup:
    """The start screen: one Start button for the set the review's stars chose, or (`named`)
    one per set that has messages when the chat has no linked review."""
    rows = [
        [
            _chat_button(
                i18n.get(f"ch-btn-follow-set{int(s)}" if named else "ch-btn-follow-go"),
                ChatAct.FOLLOW_START,
                chat_id,
                str(int(s)),
            )
        ]
        for s in sets
    ]
    rows.append([_chat_button(i18n.get("ch-btn-card"), ChatAct.OPEN, chat_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def move_keyboard(i18n: I18nContext, card: ChatCard) -> InlineKeyboardMarkup:
    rows = [
        [_chat_button(col_name(i18n, s), ChatAct.MOVE, card.id, COL_OF[s].value)]
        for s in ChatStatus
        if s not in (card.status, ChatStatus.CLOSED)
    ]
    rows.append([_chat_button(i18n.get("ch-btn-card"), ChatAct.OPEN, card.id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def close_keyboard(i18n: I18nContext, chat_id: str) -> InlineKeyboardMarkup:
    rows = [
        [_chat_button(i18n.get(f"ch-reason-{r.value}"), ChatAct.CLOSE, chat_id, str(i))]
        for i, r in enumerate(REASONS)
    ]
    rows.append([_chat_button(i18n.get("ch-btn-card"), ChatAct.OPEN, chat_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def tag_keyboard(i18n: I18nContext, chat_id: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for i, tag in enumerate(CHAT_TAGS):
        kb.add(_chat_button(i18n.get(f"ch-tag-{tag}"), ChatAct.TAG, chat_id, str(i)))
    kb.adjust(2)
    kb.row(_chat_button(i18n.get("ch-btn-card"), ChatAct.OPEN, chat_id))
    return kb.as_markup()


def cancel_edit(i18n: I18nContext, chat_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_chat_button(i18n.get("ch-btn-card"), ChatAct.OPEN, chat_id)]]
    )
