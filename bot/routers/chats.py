"""Buyer chats: the board, column lists, the chat card and its actions (issue 13).

Handlers are thin: parse the button, call `ChatService` (injected as `chats`), render with
`bot.views.chats`. Access is the `Access` middleware's (`bot/middlewares/access.py` `CHATS`);
a refusal of the service becomes the text of its code. Drafting runs as a task: the person's next presses are not held up.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot.callbacks import (
    ChatAct,
    ChatBoardCb,
    ChatCb,
    ChatCol,
    ChatListAct,
    ChatListCb,
    MenuCb,
    StoreCb,
    decode_chat_id,
)
from bot.filters import Approved
from bot.keyboards.chats import (
    REASONS,
    board_keyboard,
    cancel_edit,
    card_keyboard,
    close_keyboard,
    follow_up_keyboard,
    list_keyboard,
    move_keyboard,
    product_filter_keyboard,
    tag_filter_keyboard,
    tag_keyboard,
)
from bot.middlewares.access import CHATS, Access
from bot.render import esc
from bot.routing import Handlers
from bot.ui import answer, busy, show
from bot.views.chats import (
    STATUS_OF,
    ChatListView,
    OlderMessages,
    col_name,
    follow_up_text,
    render_board,
    render_card,
    render_list,
    tag_name,
)
from bot.views.lists import clear_view, load_view, save_view
from bot.views.sequences import start_error_text
from services.ai.chat_tags import CHAT_TAGS
from services.ai.guard import describe_problems
from services.chats.service import ChatError, ChatService, ChatStatus
from services.sequences import MessageSet, SequenceService, SequenceStartError

log = logging.getLogger(__name__)

router = Handlers(name="chats")
router.message.filter(Approved())
router.callback_query.filter(Approved())
router.callback_query.middleware(Access(*CHATS, refusal="ch-unavailable"))

_tasks: set[asyncio.Task[None]] = set()


class UserRow(Protocol):
    """The person pressing (the auth middleware's `user`): only the id is used here."""

    @property
    def id(self) -> str: ...


class ChatStates(StatesGroup):
    edit = State()


def error_text(i18n: I18nContext, exc: ChatError) -> str:
    """The text of a service refusal; every code has one in both languages."""
    key = f"ch-error-{exc.code.value}"
    if exc.problems:
        return str(i18n.get(key, problems=esc("; ".join(describe_problems(exc.problems)))))
    if exc.detail:
        return str(i18n.get(key, detail=esc(exc.detail[:200])))
    return str(i18n.get(key, problems="", detail=""))


async def _scope_name(chats: ChatService, i18n: I18nContext, store: str) -> str:
    return await chats.store_name(store) if store else str(i18n.get("ch-scope-all"))


async def show_board(
    target: Message | CallbackQuery,
    chats: ChatService,
    i18n: I18nContext,
    user: UserRow,
    store: str,
) -> None:
    store_ids = await chats.scope(user.id, store)
    board = await chats.board(store_ids)
    await show(
        target,
        render_board(i18n, board, await _scope_name(chats, i18n, store)),
        board_keyboard(i18n, board, store),
    )


@router.callback_query(MenuCb.filter(F.section == "chats"))
async def on_menu_chats(
    query: CallbackQuery, chats: ChatService, i18n: I18nContext, user: UserRow
) -> None:
    await show_board(query, chats, i18n, user, "")
    await answer(query)


@router.callback_query(StoreCb.filter(F.action == "chats"))
async def on_store_chats(
    query: CallbackQuery,
    callback_data: StoreCb,
    chats: ChatService,
    i18n: I18nContext,
    user: UserRow,
) -> None:
    await show_board(query, chats, i18n, user, callback_data.store_id)
    await answer(query)


@router.callback_query(ChatBoardCb.filter())
async def on_board(
    query: CallbackQuery,
    callback_data: ChatBoardCb,
    chats: ChatService,
    i18n: I18nContext,
    user: UserRow,
) -> None:
    await show_board(query, chats, i18n, user, callback_data.store)
    await answer(query)


# --- column lists -----------------------------------------------------------------------


async def show_list(
    target: CallbackQuery, chats: ChatService, i18n: I18nContext, user: UserRow, view: ChatListView
) -> ChatListView:
    store_ids = await chats.scope(user.id, view.store)
    page = await chats.column(
        store_ids,
        STATUS_OF[view.col],
        tag=view.tag,
        product_nm_id=view.product,
        waiting=view.waiting,
        after=view.current(),
    )
    await show(
        target,
        render_list(i18n, view, page, await _scope_name(chats, i18n, view.store)),
        list_keyboard(i18n, view, page),
    )
    return view


@router.callback_query(ChatListCb.filter())
async def on_list(
    query: CallbackQuery,
    callback_data: ChatListCb,
    chats: ChatService,
    state: FSMContext,
    i18n: I18nContext,
    user: UserRow,
) -> None:
    act, col, arg = callback_data.act, callback_data.col, callback_data.arg
    view = await load_view(state, ChatListView) or ChatListView()
    if act is ChatListAct.OPEN:
        if arg != "=":  # a store id (checked by `Access`) or '' for all stores
            view = ChatListView(store=arg, col=col)
        view.cursors = [("", "")] if not view.cursors else view.cursors
    elif act is ChatListAct.TAG_MENU:
        await show(query, str(i18n.get("ch-pick-tag")), tag_filter_keyboard(i18n, view.col))
        await answer(query)
        return
    elif act is ChatListAct.PRODUCT_MENU:
        products = await chats.top_products(
            await chats.scope(user.id, view.store), STATUS_OF[view.col]
        )
        await show(
            query,
            str(i18n.get("ch-pick-product")),
            product_filter_keyboard(i18n, view.col, products),
        )
        await answer(query)
        return
    else:
        if act is ChatListAct.NEXT:
            nxt = await _next_cursor(chats, user, view)
            if nxt is not None:
                view.cursors.append(nxt)
        elif act is ChatListAct.PREV:
            if len(view.cursors) > 1:
                view.cursors.pop()
        else:
            if act is ChatListAct.WAITING:
                view.waiting = not view.waiting
            elif act is ChatListAct.TAG and arg.isdigit() and int(arg) < len(CHAT_TAGS):
                view.tag = CHAT_TAGS[int(arg)]
            elif act is ChatListAct.PRODUCT and arg.isdigit():
                view.product = arg
            elif act is ChatListAct.CLEAR:
                view.tag, view.product, view.waiting = None, None, False
            view.cursors = [("", "")]
    if not view.cursors:
        view.cursors = [("", "")]
    await show_list(query, chats, i18n, user, view)
    await save_view(state, view)
    await answer(query)


async def _next_cursor(
    chats: ChatService, user: UserRow, view: ChatListView
) -> tuple[str, str] | None:
    page = await chats.column(
        await chats.scope(user.id, view.store),
        STATUS_OF[view.col],
        tag=view.tag,
        product_nm_id=view.product,
        waiting=view.waiting,
        after=view.current(),
    )
    if page.next_after is None:
        return None
    return page.next_after[0].isoformat(), page.next_after[1]


# --- the chat card ----------------------------------------------------------------------


async def show_card(
    target: Message | CallbackQuery,
    chats: ChatService,
    i18n: I18nContext,
    state: FSMContext,
    chat_id: str,
    *,
    note: str = "",
) -> None:
    older = await load_view(state, OlderMessages)
    before = (older.at, older.id) if older is not None and older.chat == chat_id else None
    card = await chats.card(chat_id, before=before)
    text = render_card(i18n, card)
    if note:
        text = note + "\n\n" + text
    list_open = await load_view(state, ChatListView) is not None
    keyboard = card_keyboard(i18n, card, list_open=list_open, paged=before is not None)
    await show(target, text, keyboard)


FOLLOW_ACTS = (ChatAct.FOLLOW_MENU, ChatAct.FOLLOW_START, ChatAct.FOLLOW_STOP)


@router.callback_query(ChatCb.filter(F.act.in_(FOLLOW_ACTS)))
async def on_follow_up(
    query: CallbackQuery,
    callback_data: ChatCb,
    chats: ChatService,
    sequences: SequenceService,
    state: FSMContext,
    i18n: I18nContext,
    user: UserRow,
) -> None:
    """Start or stop the chat's follow-ups (issue 14). `Access` has checked the chat's
    store; the sequence service asks again (`may_act`) before anything changes."""
    chat_id = decode_chat_id(callback_data.chat)
    act, arg = callback_data.act, callback_data.arg
    if not await sequences.may_act(user.id, chat_id):
        await answer(query, str(i18n.get("ch-unavailable")), alert=True)
        return
    if act is ChatAct.FOLLOW_STOP:
        stopped = await sequences.stop(chat_id)
        note = str(i18n.get("ch-follow-stopped" if stopped else "ch-follow-not-running"))
        await show_card(query, chats, i18n, state, chat_id, note=note)
        return
    card = await chats.card(chat_id)
    chosen = MessageSet(int(arg)) if arg in ("1", "2") else None
    if act is ChatAct.FOLLOW_MENU:
        owner = await chats.owner_of(card.store_id)
        now = sequences.clock()
        if chosen is None and card.review is not None:
            chosen = MessageSet.for_stars(card.review.rating)
        sets = [chosen] if chosen is not None else list(MessageSet)
        plans = [await sequences.plan(owner, now=now, set_no=s) for s in sets]
        await show(
            query,
            follow_up_text(i18n, card, plans),
            follow_up_keyboard(
                i18n, chat_id, [p.set_no for p in plans if p.steps], named=len(plans) > 1
            ),
        )
        return
    try:
        await sequences.start(
            chat_id,
            now=sequences.clock(),
            set_no=chosen,
            stars=card.review.rating if card.review is not None else None,
        )
    except SequenceStartError as exc:
        await answer(query, start_error_text(i18n, exc), alert=True)
        await show_card(query, chats, i18n, state, chat_id)
        return
    await show_card(query, chats, i18n, state, chat_id, note=str(i18n.get("ch-follow-started")))


@router.callback_query(ChatCb.filter())
async def on_chat(
    query: CallbackQuery,
    callback_data: ChatCb,
    chats: ChatService,
    state: FSMContext,
    i18n: I18nContext,
) -> None:
    chat_id = decode_chat_id(callback_data.chat)
    act, arg = callback_data.act, callback_data.arg
    note = ""
    try:
        if act is ChatAct.OPEN:
            await clear_view(state, OlderMessages)
        elif act is ChatAct.OLDER:
            card = await chats.card(chat_id)
            older = await load_view(state, OlderMessages)
            if older is not None and older.chat == chat_id:
                card = await chats.card(chat_id, before=(older.at, older.id))
            if card.older:
                at, mid = card.older
                await save_view(state, OlderMessages(chat=chat_id, at=at, id=mid))
        elif act is ChatAct.MOVE_MENU:
            card = await chats.card(chat_id)
            await show(query, str(i18n.get("ch-move-title")), move_keyboard(i18n, card))
            await answer(query)
            return
        elif act is ChatAct.MOVE:
            status = STATUS_OF[ChatCol(arg)]
            if status is ChatStatus.CLOSED:
                await show(query, str(i18n.get("ch-close-title")), close_keyboard(i18n, chat_id))
                await answer(query)
                return
            await chats.move(chat_id, status)
            note = str(i18n.get("ch-moved", status=col_name(i18n, status)))
        elif act is ChatAct.CLOSE_MENU:
            await show(query, str(i18n.get("ch-close-title")), close_keyboard(i18n, chat_id))
            await answer(query)
            return
        elif act is ChatAct.CLOSE:
            if not arg.isdigit() or int(arg) >= len(REASONS):
                await show(query, str(i18n.get("ch-close-title")), close_keyboard(i18n, chat_id))
                await answer(query, str(i18n.get("ch-error-reason_required")))
                return
            await chats.move(chat_id, ChatStatus.CLOSED, REASONS[int(arg)])
            note = str(i18n.get("ch-closed"))
        elif act is ChatAct.REOPEN:
            status = await chats.reopen(chat_id)
            note = str(i18n.get("ch-moved", status=col_name(i18n, status)))
        elif act is ChatAct.TAG_MENU:
            await show(query, str(i18n.get("ch-tag-title")), tag_keyboard(i18n, chat_id))
            await answer(query)
            return
        elif act is ChatAct.TAG:
            if not arg.isdigit() or int(arg) >= len(CHAT_TAGS):
                await answer(query, str(i18n.get("ch-error-bad_tag")), alert=True)
                return
            await chats.set_tag(chat_id, CHAT_TAGS[int(arg)])
            note = str(i18n.get("ch-tagged", tag=tag_name(i18n, CHAT_TAGS[int(arg)])))
        elif act is ChatAct.EDIT:
            await state.set_state(ChatStates.edit)
            await state.update_data({"chat_edit": chat_id})
            await show(query, str(i18n.get("ch-edit-prompt")), cancel_edit(i18n, chat_id))
            await answer(query)
            return
        elif act is ChatAct.DRAFT:
            await _start_draft(query, chats, i18n, state, chat_id)
            return
        elif act in (ChatAct.SEND, ChatAct.SEND_AGAIN):
            with busy(f"chat-send:{chat_id}") as first:
                if not first:
                    await answer(query, str(i18n.get("ch-error-busy")))
                    return
                await chats.send(chat_id, shown=arg, confirm=act is ChatAct.SEND_AGAIN)
            note = str(i18n.get("ch-sent"))
    except ChatError as exc:
        await answer(query, error_text(i18n, exc), alert=True)
        await show_card(query, chats, i18n, state, chat_id)
        return
    await show_card(query, chats, i18n, state, chat_id, note=note)
    await answer(query)


async def _start_draft(
    query: CallbackQuery, chats: ChatService, i18n: I18nContext, state: FSMContext, chat_id: str
) -> None:
    """Draft in a task: the LLM may take seconds, the person's other presses go on."""
    await answer(query, str(i18n.get("ch-drafting")))

    async def run() -> None:
        note = str(i18n.get("ch-drafted"))
        try:
            await chats.draft(chat_id)
        except ChatError as exc:
            note = error_text(i18n, exc)
        except Exception:
            log.exception("drafting a reply in chat %s failed", chat_id)
            note = str(i18n.get("ch-error-ai_failed"))
        await show_card(query, chats, i18n, state, chat_id, note=note)

    task = asyncio.create_task(run())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


@router.message(StateFilter(ChatStates.edit), F.text)
async def on_edit_text(
    message: Message, chats: ChatService, state: FSMContext, i18n: I18nContext, user: UserRow
) -> None:
    chat_id = str((await state.get_data()).get("chat_edit") or "")
    if not chat_id or await chats.store_of(user.id, chat_id) is None:
        await state.set_state(None)
        await message.answer(str(i18n.get("ch-unavailable")))
        return
    try:
        verdict = await chats.save_draft(chat_id, message.text or "")
    except ChatError as exc:
        await message.answer(error_text(i18n, exc), reply_markup=cancel_edit(i18n, chat_id))
        return
    await state.set_state(None)
    note = str(i18n.get("ch-edit-saved"))
    if not verdict.ok:
        note = str(
            i18n.get("ch-error-guard", problems=esc("; ".join(describe_problems(verdict.problems))))
        )
    await show_card(message, chats, i18n, state, chat_id, note=note)
