"""AI settings from the phone (issue 16): key, concurrency, prompts with preview, monthly cap,
spend, store instructions, the weekly digest switch. Business rules live in
`services/ai_settings.py`; this module parses, calls it and renders. A store's instructions
are its owner's: the `Access` middleware checks the store of every such button
(`bot/middlewares/access.py` `AI_SETTINGS`).

The key's message is deleted first thing, before the key is checked or stored, and the key
is never put into a reply, the FSM data or a log line.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import ClassVar

from aiogram import F
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.background import Background
from bot.callbacks import AIAction, AICb
from bot.filters import Approved
from bot.middlewares.access import AI_SETTINGS, AI_STORE_ACTIONS, Access
from bot.render import esc
from bot.routing import Handlers
from bot.ui import answer, show
from bot.views import ai_settings as views
from bot.views.lists import View, clear_view, load_view, save_view
from services.ai_settings import AISettingsError, AISettingsService, PromptKind
from services.records import UserRow

log = logging.getLogger(__name__)

router = Handlers(name="ai_settings")
router.message.filter(Approved())
router.callback_query.filter(Approved())
router.callback_query.middleware(Access(*AI_SETTINGS, refusal="error-forbidden"))

DRAFT_KEY = "ai_prompt_draft"


class AIForm(StatesGroup):
    key = State()
    cap = State()
    prompt = State()
    instructions = State()


class PromptDraft(View):
    """A prompt typed but not saved yet (FSM data): preview and save work on it."""

    key: ClassVar[str] = DRAFT_KEY

    kind: PromptKind
    text: str = ""
    store_id: str = ""


Screen = Callable[
    [I18nContext, AISettingsService, UserRow], Awaitable[tuple[str, InlineKeyboardMarkup]]
]


async def _home_screen(
    i18n: I18nContext, ai_settings: AISettingsService, user: UserRow
) -> tuple[str, InlineKeyboardMarkup]:
    overview = await ai_settings.overview(user.id)
    digest = await ai_settings.digest_enabled(user.id)
    owns = bool(await ai_settings.owned_stores(user.id))
    return views.home(i18n, overview, digest, owns)


async def _home(
    target: Message | CallbackQuery,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    await show(target, *await _home_screen(i18n, ai_settings, user))


async def _prompts_screen(
    i18n: I18nContext, ai_settings: AISettingsService, user: UserRow
) -> tuple[str, InlineKeyboardMarkup]:
    return views.prompts(i18n, (await ai_settings.overview(user.id)).custom_prompts)


async def _spend_screen(
    i18n: I18nContext, ai_settings: AISettingsService, user: UserRow
) -> tuple[str, InlineKeyboardMarkup]:
    return views.spend(i18n, await ai_settings.spend(user.id))


async def _stores_screen(
    i18n: I18nContext, ai_settings: AISettingsService, user: UserRow
) -> tuple[str, InlineKeyboardMarkup]:
    return views.stores(i18n, await ai_settings.owned_stores(user.id))


SCREENS: dict[AIAction, Screen] = {
    AIAction.HOME: _home_screen,
    AIAction.PROMPTS: _prompts_screen,
    AIAction.SPEND: _spend_screen,
    AIAction.STORES: _stores_screen,
}
"""Buttons that only show a screen."""

ASKS: dict[AIAction, tuple[State, Callable[[I18nContext], tuple[str, InlineKeyboardMarkup]]]] = {
    AIAction.KEY: (AIForm.key, views.ask_key),
    AIAction.CAP: (AIForm.cap, views.ask_cap),
}
"""Buttons that open a text form: its state and its question."""

Setter = Callable[[AISettingsService, str, str], Awaitable[object]]

SETTERS: dict[AIAction, tuple[Setter, str]] = {
    AIAction.KEY_REMOVE: (lambda ai, user_id, arg: ai.remove_key(user_id), "ai-key-removed"),
    AIAction.CONCURRENCY: (
        lambda ai, user_id, arg: ai.set_concurrency(user_id, int(arg)),
        "set-saved",
    ),
    AIAction.DIGEST: (lambda ai, user_id, arg: ai.set_digest(user_id, arg == "1"), "set-saved"),
}
"""Buttons that change a setting (from the button's `arg`), say so and show the home screen."""

PROMPT_ACTIONS = frozenset({AIAction.PROMPT, AIAction.RESET, AIAction.REPLACE})
"""Buttons whose `arg` is a prompt kind."""


@router.message(Command("ai"))
async def on_ai_command(
    message: Message,
    state: FSMContext,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    await state.set_state(None)
    await _home(message, i18n, ai_settings, user)


@router.callback_query(AICb.filter(F.action.in_(set(SCREENS))))
async def on_screen(
    query: CallbackQuery,
    callback_data: AICb,
    state: FSMContext,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    await answer(query)
    await state.set_state(None)
    await show(query, *await SCREENS[callback_data.action](i18n, ai_settings, user))


@router.callback_query(AICb.filter(F.action.in_(set(ASKS))))
async def on_ask(
    query: CallbackQuery, callback_data: AICb, state: FSMContext, i18n: I18nContext
) -> None:
    form, ask = ASKS[callback_data.action]
    await answer(query)
    await state.set_state(form)
    await show(query, *ask(i18n))


@router.callback_query(AICb.filter(F.action.in_(set(SETTERS))))
async def on_setting(
    query: CallbackQuery,
    callback_data: AICb,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    setter, saved = SETTERS[callback_data.action]
    try:
        change = setter(ai_settings, user.id, callback_data.arg)
    except ValueError:  # not a number where one was sent: an old or forged button
        await answer(query, i18n.get("error-stale"))
        return
    await change
    await answer(query, i18n.get(saved))
    await _home(query, i18n, ai_settings, user)


# --- the key and the cap: text forms -------------------------------------------------------


@router.message(AIForm.key)
async def on_key_text(
    message: Message,
    state: FSMContext,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    raw = message.text or message.caption or ""
    deleted = True
    try:
        await message.delete()  # at once: the key must not stay in the chat
    except TelegramAPIError:
        deleted = False
    await state.set_state(None)
    note = "" if deleted else i18n.get("ai-key-not-deleted") + "\n"
    try:
        masked = await ai_settings.set_key(user.id, raw)
    except AISettingsError as exc:
        await message.answer(note + views.error_text(i18n, exc.code))
        await state.set_state(AIForm.key)
        return
    await message.answer(note + i18n.get("ai-key-saved", key=esc(masked)))
    await _home(message, i18n, ai_settings, user)


@router.message(AIForm.cap, F.text)
async def on_cap_text(
    message: Message,
    state: FSMContext,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    try:
        await ai_settings.set_cap(user.id, message.text)
    except AISettingsError as exc:
        await message.answer(views.error_text(i18n, exc.code))
        return
    await state.set_state(None)
    await message.answer(i18n.get("set-saved"))
    await _home(message, i18n, ai_settings, user)


# --- prompts --------------------------------------------------------------------------------


@router.callback_query(AICb.filter(F.action.in_(PROMPT_ACTIONS)))
async def on_prompt(
    query: CallbackQuery,
    callback_data: AICb,
    state: FSMContext,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    """A prompt's screen, its reset to the default, or the form for a new text."""
    try:
        kind = PromptKind(callback_data.arg)
    except ValueError:
        await answer(query, i18n.get("error-stale"))
        return
    if callback_data.action == AIAction.REPLACE:
        await answer(query)
        await save_view(state, PromptDraft(kind=kind))
        await state.set_state(AIForm.prompt)
        await show(query, *views.ask_prompt(i18n, kind))
        return
    await state.set_state(None)
    if callback_data.action == AIAction.RESET:
        view = await ai_settings.reset_prompt(user.id, kind)
        await answer(query, i18n.get("ai-prompt-was-reset"))
    else:
        view = await ai_settings.prompt(user.id, kind)
        await answer(query)
    await show(query, *views.prompt(i18n, view))


@router.message(AIForm.prompt, F.text)
async def on_prompt_text(
    message: Message, state: FSMContext, i18n: I18nContext, ai_settings: AISettingsService
) -> None:
    draft = await load_view(state, PromptDraft)
    if draft is None:
        await state.set_state(None)
        await message.answer(i18n.get("error-stale"))
        return
    try:
        text = ai_settings.checked_prompt(message.text or "")
    except AISettingsError as exc:
        await message.answer(views.error_text(i18n, exc.code))
        return
    draft = PromptDraft(kind=draft.kind, text=text)
    await save_view(state, draft)
    await state.set_state(None)
    await show(message, *views.candidate(i18n, draft.kind, draft.text))


@router.callback_query(AICb.filter(F.action.in_({AIAction.PREVIEW, AIAction.SAVE})))
async def on_candidate(
    query: CallbackQuery,
    callback_data: AICb,
    state: FSMContext,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
    background: Background,
) -> None:
    """Preview or save the prompt typed (FSM data), if it is the one the button came with.
    The preview's LLM call runs as background work: the person's next update does not wait."""
    draft = await load_view(state, PromptDraft)
    if draft is None or not draft.text or draft.kind.value != callback_data.arg:
        await answer(query, i18n.get("error-stale"))
        return
    if callback_data.action == AIAction.PREVIEW:
        if not background.start(
            f"ai-preview:{user.id}", _preview(query, i18n, ai_settings, user, draft)
        ):
            await answer(query, i18n.get("ai-preview-busy"))
            return
        await answer(query, i18n.get("ai-preview-running"))
        return
    view = await ai_settings.set_prompt(user.id, draft.kind, draft.text)
    await clear_view(state, PromptDraft)
    await answer(query, i18n.get("set-saved"))
    await show(query, *views.prompt(i18n, view))


async def _preview(
    query: CallbackQuery,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
    draft: PromptDraft,
) -> None:
    """The draft tried on one of the person's reviews or chats (one at a time per person)."""
    try:
        preview = await ai_settings.preview(user.id, draft.kind, draft.text)
    except AISettingsError as exc:
        with contextlib.suppress(TelegramAPIError):
            await show(query, *views.candidate(i18n, draft.kind, draft.text))
        if query.message is not None:
            await query.message.answer(views.error_text(i18n, exc.code))
        return
    await show(query, *views.candidate(i18n, draft.kind, draft.text, preview))


# --- store instructions ---------------------------------------------------------------------


@router.callback_query(AICb.filter(F.action.in_(AI_STORE_ACTIONS)))
async def on_instructions(
    query: CallbackQuery,
    callback_data: AICb,
    state: FSMContext,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    store_id = callback_data.arg  # the person owns it (`Access`)
    await answer(query)
    if callback_data.action == AIAction.INSTRUCTIONS_EDIT:
        await save_view(state, PromptDraft(kind=PromptKind.REVIEW_REPLY, store_id=store_id))
        await state.set_state(AIForm.instructions)
        await show(query, *views.ask_instructions(i18n, store_id))
        return
    if callback_data.action == AIAction.INSTRUCTIONS_CLEAR:
        await ai_settings.set_instructions(user.id, store_id, None)
    text = await ai_settings.instructions(store_id)
    await show(query, *views.instructions(i18n, store_id, text))


@router.message(AIForm.instructions, F.text)
async def on_instructions_text(
    message: Message,
    state: FSMContext,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    draft = await load_view(state, PromptDraft)
    store_id = draft.store_id if draft else ""
    # Re-checked: the FSM data is ours, but the person may have lost the store since.
    if not store_id or not await ai_settings.owns(user.id, store_id):
        await state.set_state(None)
        await message.answer(i18n.get("error-forbidden"))
        return
    try:
        text = await ai_settings.set_instructions(user.id, store_id, message.text)
    except AISettingsError as exc:
        await message.answer(views.error_text(i18n, exc.code))
        return
    await state.set_state(None)
    await message.answer(i18n.get("set-saved"))
    await show(message, *views.instructions(i18n, store_id, text))
