"""AI settings from the phone (issue 16): key, concurrency, prompts with preview, monthly cap,
spend, store instructions, the weekly digest switch. Business rules live in
`services/ai_settings.py`; this module parses, checks access, calls it and renders.

The key's message is deleted first thing, before the key is checked or stored, and the key
is never put into a reply, the FSM data or a log line.
"""

from __future__ import annotations

import contextlib
import logging
from typing import ClassVar

from aiogram import F
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot.background import Background
from bot.callbacks import AIAction, AICb
from bot.filters import Approved
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


async def _home(
    target: Message | CallbackQuery,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    overview = await ai_settings.overview(user.id)
    digest = await ai_settings.digest_enabled(user.id)
    owns = bool(await ai_settings.owned_stores(user.id))
    await show(target, *views.home(i18n, overview, digest, owns))


def _kind(arg: str) -> PromptKind | None:
    try:
        return PromptKind(arg)
    except ValueError:
        return None


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


@router.callback_query(AICb.filter(F.action == AIAction.HOME))
async def on_home(
    query: CallbackQuery,
    state: FSMContext,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    await answer(query)
    await state.set_state(None)
    await _home(query, i18n, ai_settings, user)


# --- key ------------------------------------------------------------------------------------


@router.callback_query(AICb.filter(F.action == AIAction.KEY))
async def on_key(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> None:
    await answer(query)
    await state.set_state(AIForm.key)
    await show(query, *views.ask_key(i18n))


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


@router.callback_query(AICb.filter(F.action == AIAction.KEY_REMOVE))
async def on_key_remove(
    query: CallbackQuery, i18n: I18nContext, ai_settings: AISettingsService, user: UserRow
) -> None:
    await ai_settings.remove_key(user.id)
    await answer(query, i18n.get("ai-key-removed"))
    await _home(query, i18n, ai_settings, user)


# --- numbers --------------------------------------------------------------------------------


@router.callback_query(AICb.filter(F.action == AIAction.CONCURRENCY))
async def on_concurrency(
    query: CallbackQuery,
    callback_data: AICb,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    try:
        value = int(callback_data.arg)
    except ValueError:
        await answer(query, i18n.get("error-stale"))
        return
    await ai_settings.set_concurrency(user.id, value)
    await answer(query, i18n.get("set-saved"))
    await _home(query, i18n, ai_settings, user)


@router.callback_query(AICb.filter(F.action == AIAction.CAP))
async def on_cap(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> None:
    await answer(query)
    await state.set_state(AIForm.cap)
    await show(query, *views.ask_cap(i18n))


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


@router.callback_query(AICb.filter(F.action == AIAction.SPEND))
async def on_spend(
    query: CallbackQuery, i18n: I18nContext, ai_settings: AISettingsService, user: UserRow
) -> None:
    await answer(query)
    await show(query, *views.spend(i18n, await ai_settings.spend(user.id)))


@router.callback_query(AICb.filter(F.action == AIAction.DIGEST))
async def on_digest(
    query: CallbackQuery,
    callback_data: AICb,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    await ai_settings.set_digest(user.id, callback_data.arg == "1")
    await answer(query, i18n.get("set-saved"))
    await _home(query, i18n, ai_settings, user)


# --- prompts --------------------------------------------------------------------------------


@router.callback_query(AICb.filter(F.action == AIAction.PROMPTS))
async def on_prompts(
    query: CallbackQuery,
    state: FSMContext,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    await answer(query)
    await state.set_state(None)
    overview = await ai_settings.overview(user.id)
    await show(query, *views.prompts(i18n, overview.custom_prompts))


@router.callback_query(AICb.filter(F.action.in_({AIAction.PROMPT, AIAction.RESET})))
async def on_prompt(
    query: CallbackQuery,
    callback_data: AICb,
    state: FSMContext,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    kind = _kind(callback_data.arg)
    if kind is None:
        await answer(query, i18n.get("error-stale"))
        return
    await state.set_state(None)
    if callback_data.action == AIAction.RESET:
        view = await ai_settings.reset_prompt(user.id, kind)
        await answer(query, i18n.get("ai-prompt-was-reset"))
    else:
        view = await ai_settings.prompt(user.id, kind)
        await answer(query)
    await show(query, *views.prompt(i18n, view))


@router.callback_query(AICb.filter(F.action == AIAction.REPLACE))
async def on_replace(
    query: CallbackQuery, callback_data: AICb, state: FSMContext, i18n: I18nContext
) -> None:
    kind = _kind(callback_data.arg)
    if kind is None:
        await answer(query, i18n.get("error-stale"))
        return
    await answer(query)
    await save_view(state, PromptDraft(kind=kind))
    await state.set_state(AIForm.prompt)
    await show(query, *views.ask_prompt(i18n, kind))


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


async def _candidate(
    query: CallbackQuery, callback_data: AICb, state: FSMContext, i18n: I18nContext
) -> PromptDraft | None:
    draft = await load_view(state, PromptDraft)
    if draft is None or not draft.text or draft.kind.value != callback_data.arg:
        await answer(query, i18n.get("error-stale"))
        return None
    return draft


@router.callback_query(AICb.filter(F.action == AIAction.PREVIEW))
async def on_preview(
    query: CallbackQuery,
    callback_data: AICb,
    state: FSMContext,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
    background: Background,
) -> None:
    """The LLM call runs as background work: the person's next update does not wait for it."""
    draft = await _candidate(query, callback_data, state, i18n)
    if draft is None:
        return
    if not background.start(
        f"ai-preview:{user.id}", _preview(query, i18n, ai_settings, user, draft)
    ):
        await answer(query, i18n.get("ai-preview-busy"))
        return
    await answer(query, i18n.get("ai-preview-running"))


async def _preview(
    query: CallbackQuery,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
    draft: PromptDraft,
) -> None:
    try:
        preview = await ai_settings.preview(user.id, draft.kind, draft.text)
    except AISettingsError as exc:
        with contextlib.suppress(TelegramAPIError):
            await show(query, *views.candidate(i18n, draft.kind, draft.text))
        if query.message is not None:
            await query.message.answer(views.error_text(i18n, exc.code))
        return
    await show(query, *views.candidate(i18n, draft.kind, draft.text, preview))


@router.callback_query(AICb.filter(F.action == AIAction.SAVE))
async def on_save(
    query: CallbackQuery,
    callback_data: AICb,
    state: FSMContext,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    draft = await _candidate(query, callback_data, state, i18n)
    if draft is None:
        return
    view = await ai_settings.set_prompt(user.id, draft.kind, draft.text)
    await clear_view(state, PromptDraft)
    await answer(query, i18n.get("set-saved"))
    await show(query, *views.prompt(i18n, view))


# --- store instructions ---------------------------------------------------------------------


@router.callback_query(AICb.filter(F.action == AIAction.STORES))
async def on_stores(
    query: CallbackQuery,
    state: FSMContext,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    await answer(query)
    await state.set_state(None)
    await show(query, *views.stores(i18n, await ai_settings.owned_stores(user.id)))


@router.callback_query(
    AICb.filter(
        F.action.in_(
            {AIAction.INSTRUCTIONS, AIAction.INSTRUCTIONS_EDIT, AIAction.INSTRUCTIONS_CLEAR}
        )
    )
)
async def on_instructions(
    query: CallbackQuery,
    callback_data: AICb,
    state: FSMContext,
    i18n: I18nContext,
    ai_settings: AISettingsService,
    user: UserRow,
) -> None:
    store_id = callback_data.arg
    if not await ai_settings.owns(user.id, store_id):
        await answer(query, i18n.get("error-forbidden"), alert=True)
        return
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
