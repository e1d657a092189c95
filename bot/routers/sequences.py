"""Follow-up message sets in the person's settings, and the store card's auto-start toggle.

Handlers parse, call `MessageSetService` / `SequenceService` (injected by name), render.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Protocol

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.filters import Approved
from bot.keyboards import sequences as kb
from bot.keyboards.sequences import AutoAction, AutoStartCb, SeqAction, SeqCb
from bot.routing import Handlers
from bot.ui import answer, show
from bot.views import sequences as views
from bot.views.lists import View, load_view, save_view
from services.message_sets import MessageSetError, MessageSetService
from services.sequences import MessageSet, SequenceService

router = Handlers(name="sequences")
router.message.filter(Approved())
router.callback_query.filter(Approved())


class _Person(Protocol):
    id: str


class InputKind(StrEnum):
    ADD = "add"
    EDIT = "edit"
    TRIGGER = "trigger"
    STOP = "stop"


class SeqInput(StatesGroup):
    text = State()


class PendingInput(View):
    """What the next text message is for (FSM data under `seq`)."""

    key: ClassVar[str] = "seq"

    set_no: int
    kind: InputKind
    index: int = -1


def _set(value: int) -> MessageSet | None:
    try:
        return MessageSet(value)
    except ValueError:
        return None


async def _show_home(
    target: Message | CallbackQuery, i18n: I18nContext, sets: MessageSetService, user_id: str
) -> None:
    views_ = [await sets.get(user_id, s) for s in MessageSet]
    await show(target, views.home_text(i18n, views_), kb.home_keyboard(i18n))


async def _show_set(
    target: Message | CallbackQuery,
    i18n: I18nContext,
    sets: MessageSetService,
    user_id: str,
    set_no: MessageSet,
) -> None:
    view = await sets.get(user_id, set_no)
    await show(target, views.set_text(i18n, view), kb.set_keyboard(i18n, view))


@router.callback_query(SeqCb.filter())
async def on_seq(
    query: CallbackQuery,
    callback_data: SeqCb,
    i18n: I18nContext,
    user: _Person,
    message_sets: MessageSetService,
    state: FSMContext,
) -> None:
    action = callback_data.action
    set_no = _set(callback_data.set_no)
    if action is SeqAction.HOME or set_no is None:
        await answer(query)
        await state.set_state(None)
        await _show_home(query, i18n, message_sets, user.id)
        return
    index = callback_data.index
    try:
        if action is SeqAction.UP:
            await message_sets.move_up(user.id, set_no, index)
            await answer(query, i18n.get("seq-saved"))
        elif action is SeqAction.DELETE:
            await message_sets.delete(user.id, set_no, index)
            await answer(query, i18n.get("seq-deleted"))
        elif action in (SeqAction.ADD, SeqAction.EDIT, SeqAction.TRIGGER, SeqAction.STOP):
            await answer(query)
            view = await message_sets.get(user.id, set_no)
            kind = {
                SeqAction.ADD: InputKind.ADD,
                SeqAction.EDIT: InputKind.EDIT,
                SeqAction.TRIGGER: InputKind.TRIGGER,
                SeqAction.STOP: InputKind.STOP,
            }[action]
            if kind is InputKind.EDIT and not 0 <= index < len(view.messages):
                await _show_set(query, i18n, message_sets, user.id, set_no)
                return
            pending = PendingInput(set_no=int(set_no), kind=kind, index=index)
            await state.set_state(SeqInput.text)
            await save_view(state, pending)
            if kind is InputKind.TRIGGER:
                prompt = i18n.get("seq-ask-trigger")
            elif kind is InputKind.STOP:
                prompt = i18n.get("seq-ask-stop")
            else:
                number = index + 1 if kind is InputKind.EDIT else len(view.messages) + 1
                prompt = i18n.get("seq-ask-message", number=number)
            await show(query, prompt, kb.cancel_keyboard(i18n, int(set_no)))
            return
        else:  # OPEN, CANCEL
            await answer(query)
            await state.set_state(None)
    except MessageSetError as exc:
        await answer(query, views.error_text(i18n, exc), alert=True)
    await _show_set(query, i18n, message_sets, user.id, set_no)


@router.message(SeqInput.text, F.text, ~F.text.startswith("/"))
async def on_text(
    message: Message,
    i18n: I18nContext,
    user: _Person,
    message_sets: MessageSetService,
    state: FSMContext,
) -> None:
    pending = await load_view(state, PendingInput)
    if pending is None:
        await state.set_state(None)
        await _show_home(message, i18n, message_sets, user.id)
        return
    set_no = MessageSet(pending.set_no)
    text = message.text or ""
    try:
        if pending.kind is InputKind.ADD:
            await message_sets.add(user.id, set_no, text)
        elif pending.kind is InputKind.EDIT:
            await message_sets.edit(user.id, set_no, pending.index, text)
        elif pending.kind is InputKind.TRIGGER:
            await message_sets.set_trigger(user.id, set_no, text)
        else:
            await message_sets.set_stop_message(user.id, set_no, text)
    except MessageSetError as exc:
        # Stay in the state: nothing is lost, the person sends another text or /cancel.
        await message.answer(
            views.error_text(i18n, exc), reply_markup=kb.cancel_keyboard(i18n, pending.set_no)
        )
        return
    await state.set_state(None)
    await message.answer(i18n.get("seq-saved"))
    await _show_set(message, i18n, message_sets, user.id, set_no)


@router.message(Command("followups"))
async def on_command(
    message: Message, i18n: I18nContext, user: _Person, message_sets: MessageSetService
) -> None:
    await _show_home(message, i18n, message_sets, user.id)


@router.callback_query(AutoStartCb.filter())
async def on_auto(
    query: CallbackQuery,
    callback_data: AutoStartCb,
    i18n: I18nContext,
    user: _Person,
    sequences: SequenceService,
) -> None:
    """The store card's toggle: the service checks the person owns the store."""
    enabled = callback_data.action is AutoAction.ON
    if not await sequences.set_auto_start(user.id, callback_data.store_id, enabled):
        await answer(query, i18n.get("seq-not-allowed"), alert=True)
        return
    await answer(query, i18n.get("seq-auto-changed", state="on" if enabled else "off"))
    message = query.message
    if isinstance(message, Message) and message.reply_markup is not None:
        rows = [
            [
                kb.auto_start_button(i18n, callback_data.store_id, enabled)
                if b.callback_data and b.callback_data.startswith(AutoStartCb.__prefix__ + ":")
                else b
                for b in row
            ]
            for row in message.reply_markup.inline_keyboard
        ]
        await message.edit_reply_markup(reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))
