"""Stores: list, card, add (name, then token), rename, replace token, pause, delete, sync now,
managers and invites.

Callback data is never trusted: `Access` (`bot/middlewares/access.py` `STORES`) resolves the
store and the person's role before any handler of a store button runs. A store that does not
exist and a store of someone else get the same refusal, so a forged id learns nothing. Only the
owner changes the store (name, token, status, team); managers view and sync.
A message carrying a token is deleted before anything else is done with it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

from aiogram import Bot, F
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext
from asyncpg import Record

from bot.background import Background, Progress
from bot.callbacks import MenuCb, MenuSection, StoreAction, StoreCb
from bot.filters import Approved
from bot.keyboards import stores as kb
from bot.middlewares.access import STORES, Access
from bot.render import esc, fmt_date
from bot.routing import Handlers
from bot.ui import answer, ask, show
from bot.views.stores import (
    category_text,
    needed_categories,
    progress_label,
    token_problems_text,
    warning_text,
    wb_error_text,
)
from services import stores as stores_svc
from services.members import Members, Role
from services.records import StoreRow, UserRow
from services.stores import StoreError, StoreService, StoreTokenError, TokenCheck
from services.sync.base import (
    ALREADY_RUNNING,
    KINDS,
    PARKED_BY_WB,
    SyncResult,
)
from services.sync.service import SyncService
from services.wb.factory import WBClientFactory
from services.wb.tokens import BOT_CATEGORY_ORDER

log = logging.getLogger(__name__)

router = Handlers(name="stores")
router.message.filter(Approved())
router.callback_query.filter(Approved())
router.callback_query.middleware(
    Access(*STORES, refusal="stores-unavailable", owner_refusal="stores-owner-only")
)

#: At most one progress edit per this many seconds (Telegram limits edits; tests lower it).
PROGRESS_INTERVAL = 1.0
#: Syncs started from this process, per store: a second press waits for the first.


# A form ends with `set_state(None)`, never `clear()`: open list views live in the FSM data.
class StoreForm(StatesGroup):
    name = State()
    token = State()
    rename = State()
    new_token = State()


async def _owned(
    stores: StoreService, members: Members, user: UserRow, state: FSMContext
) -> tuple[StoreRow | None, str]:
    """The store an owner-only form is about, re-checked when the answer arrives."""
    store_id = str((await state.get_data()).get("store_id", ""))
    if not store_id or await members.role(user.id, store_id) != "owner":
        return None, store_id
    return await stores.get(store_id), store_id


# --- rendering ------------------------------------------------------------------------------


def _kind(i18n: I18nContext, kind: str) -> str:
    return i18n.get(f"stores-kind-{kind}")


def _sync_line(i18n: I18nContext, store: StoreRow, kind: str) -> str:
    stem = {"products": "product", "reviews": "review", "questions": "question", "chats": "chat"}[
        kind
    ]
    status = getattr(store, f"last_{stem}_update_status")
    date = fmt_date(getattr(store, f"last_{stem}_update_date"))
    error = getattr(store, f"last_{stem}_update_error")
    name = _kind(i18n, kind)
    if status == "error":
        text = wb_error_text(i18n, error) if error else "—"
        return i18n.get("stores-sync-line-error", kind=name, date=date, error=text)
    if status in ("pending", "success", "interrupted"):
        return i18n.get(f"stores-sync-line-{status}", kind=name, date=date)
    return i18n.get("stores-sync-line-never", kind=name)


def card_text(i18n: I18nContext, store: StoreRow, role: Role) -> str:
    text = _card_body(i18n, store, role)
    if not stores_svc.token_readable(store):
        text += "\n\n" + i18n.get("stores-token-unreadable")
    return text


def _card_body(i18n: I18nContext, store: StoreRow, role: Role) -> str:
    return i18n.get(
        "stores-card",
        name=esc(store.name),
        status=i18n.get("stores-status-active" if store.is_active else "stores-status-paused"),
        role=i18n.get(f"stores-role-{role}"),
        reviews=i18n.get("stores-reviews", count=store.total_reviews or 0),
        chats=i18n.get("stores-chats", count=store.total_chats or 0),
        sync="\n".join(_sync_line(i18n, store, kind) for kind in KINDS),
    )


def token_info_text(i18n: I18nContext, check: TokenCheck) -> str:
    info = check.info
    wanted = [c for c in BOT_CATEGORY_ORDER if info.has(c)]
    categories = ", ".join(category_text(i18n, c) for c in wanted) or i18n.get("stores-cat-none")
    kind = i18n.get(f"stores-type-{info.token_type}")
    lines = [
        i18n.get(
            "stores-token-info",
            type=kind,
            categories=categories,
            expires=fmt_date(info.expires_at, with_time=False),
        )
        if info.expires_at
        else i18n.get("stores-token-info-noexp", type=kind, categories=categories)
    ]
    shown = [code for code in check.warnings if code != "no_expiry" or info.expires_at]
    if shown:
        lines.append(i18n.get("stores-warnings"))
        lines += [f"• {warning_text(i18n, code)}" for code in shown]
    return "\n".join(lines)


def _manager_label(row: Record) -> str:
    parts = [row["email"]]
    if row["username"]:
        parts.append("@" + row["username"])
    return " ".join(parts)


# --- list and card --------------------------------------------------------------------------


async def show_list(
    target: Message | CallbackQuery, members: Members, user: UserRow, i18n: I18nContext
) -> None:
    mine = await members.user_stores(user.id)
    if not mine:
        await show(target, i18n.get("stores-empty"), kb.stores_list(i18n, []))
        return
    text = "\n".join(
        [
            i18n.get("stores-title"),
            i18n.get("stores-count", count=len(mine)),
            i18n.get("stores-legend"),
        ]
    )
    await show(target, text, kb.stores_list(i18n, mine))


async def show_card(
    target: Message | CallbackQuery, store: StoreRow, role: Role, i18n: I18nContext
) -> None:
    await show(target, card_text(i18n, store, role), kb.store_card(i18n, store, role))


@router.callback_query(MenuCb.filter(F.section == MenuSection.STORES))
async def on_list(
    query: CallbackQuery, state: FSMContext, members: Members, user: UserRow, i18n: I18nContext
) -> None:
    await state.set_state(None)
    await show_list(query, members, user, i18n)


@router.callback_query(StoreCb.filter(F.action == StoreAction.OPEN))
async def on_open(
    query: CallbackQuery,
    store: StoreRow,
    role: Role,
    state: FSMContext,
    i18n: I18nContext,
) -> None:
    await state.set_state(None)
    await show_card(query, store, role, i18n)


# --- add ------------------------------------------------------------------------------------


@router.callback_query(StoreCb.filter(F.action == StoreAction.ADD))
async def on_add(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> None:
    await state.set_state(StoreForm.name)
    await state.update_data(name=None)
    await ask(query, i18n, i18n.get("stores-ask-name"))


@router.message(StoreForm.name, F.text)
async def on_name(message: Message, state: FSMContext, i18n: I18nContext) -> None:
    name = " ".join((message.text or "").split())[:100]
    if not name:
        await message.answer(i18n.get("stores-bad-name"))
        return
    await state.update_data(name=name)
    await state.set_state(StoreForm.token)
    await ask(
        message,
        i18n,
        i18n.get("stores-ask-token", name=esc(name), categories=needed_categories(i18n)),
    )


async def _take_token(message: Message, i18n: I18nContext) -> tuple[str, Message]:
    """Delete the token's message first (whatever comes next), then say we are checking."""
    token = (message.text or "").strip()
    try:
        await message.delete()
    except TelegramAPIError:  # too old to delete, no right to, Telegram down: they must know
        with contextlib.suppress(TelegramAPIError):
            await message.answer(i18n.get("stores-token-not-deleted"))
    return token, await message.answer(i18n.get("stores-checking"))


@router.message(StoreForm.token, F.text)
async def on_token(
    message: Message,
    state: FSMContext,
    stores: StoreService,
    wb: WBClientFactory,
    user: UserRow,
    i18n: I18nContext,
) -> None:
    token, status = await _take_token(message, i18n)
    name = str((await state.get_data()).get("name", ""))
    try:
        store, check = await stores.add(owner_id=user.id, name=name, token=token)
    except StoreTokenError as exc:
        await status.edit_text(
            i18n.get("stores-token-bad", problems=token_problems_text(i18n, exc))
        )
        return
    except StoreError:
        await state.set_state(StoreForm.name)
        await status.edit_text(i18n.get("stores-bad-name"))
        return
    await state.set_state(None)
    await status.edit_text(
        i18n.get("stores-added", name=esc(store.name), info=token_info_text(i18n, check)),
        reply_markup=kb.after_add(i18n, store.id),
    )


# --- owner: rename, token, pause, delete ------------------------------------------------------


# Owner forms about one store that start with one question: the action's form and question.
_OWNER_FORMS = {
    "ren": (StoreForm.rename, "stores-ask-rename"),
    "tok": (StoreForm.new_token, "stores-ask-new-token"),
}


@router.callback_query(StoreCb.filter(F.action.in_(set(_OWNER_FORMS))))
async def on_owner_form(
    query: CallbackQuery,
    callback_data: StoreCb,
    store: StoreRow,
    state: FSMContext,
    i18n: I18nContext,
) -> None:
    """Rename, or replace the token: the store's id is kept in the form, checked again later."""
    form, question = _OWNER_FORMS[callback_data.action]
    await state.set_state(form)
    await state.update_data(store_id=store.id)
    await ask(query, i18n, i18n.get(question, name=esc(store.name)), kb.to_card(i18n, store.id))


@router.message(StoreForm.rename, F.text)
async def on_rename_text(
    message: Message,
    state: FSMContext,
    stores: StoreService,
    members: Members,
    user: UserRow,
    i18n: I18nContext,
) -> None:
    store, _ = await _owned(stores, members, user, state)
    if store is None:
        await state.set_state(None)
        await message.answer(i18n.get("stores-unavailable"))
        return
    try:
        await stores.rename(store.id, message.text or "")
    except StoreError:
        await message.answer(i18n.get("stores-bad-name"))
        return
    await state.set_state(None)
    await message.answer(i18n.get("stores-renamed"))
    fresh = await stores.get(store.id)
    if fresh is not None:
        await show_card(message, fresh, "owner", i18n)


@router.message(StoreForm.new_token, F.text)
async def on_new_token(
    message: Message,
    state: FSMContext,
    stores: StoreService,
    members: Members,
    wb: WBClientFactory,
    user: UserRow,
    i18n: I18nContext,
) -> None:
    token, status = await _take_token(message, i18n)
    store, _ = await _owned(stores, members, user, state)
    if store is None:
        await state.set_state(None)
        await status.edit_text(i18n.get("stores-unavailable"))
        return
    try:
        check = await stores.replace_token(store.id, token)
    except StoreTokenError as exc:
        await status.edit_text(
            i18n.get("stores-token-bad", problems=token_problems_text(i18n, exc))
        )
        return
    except StoreError:
        await state.set_state(None)
        await status.edit_text(i18n.get("stores-unavailable"))
        return
    await state.set_state(None)
    await status.edit_text(
        i18n.get("stores-token-replaced", name=esc(store.name), info=token_info_text(i18n, check)),
        reply_markup=kb.to_card(i18n, store.id),
    )


@router.callback_query(StoreCb.filter(F.action.in_({StoreAction.PAUSE, StoreAction.RESUME})))
async def on_pause(
    query: CallbackQuery,
    callback_data: StoreCb,
    store: StoreRow,
    stores: StoreService,
    i18n: I18nContext,
) -> None:
    paused = callback_data.action == "pause"
    await stores.set_paused(store.id, paused)
    fresh = await stores.get(store.id)
    if fresh is not None:
        await show_card(query, fresh, "owner", i18n)
    await answer(query, i18n.get("stores-paused" if paused else "stores-resumed"))


@router.callback_query(StoreCb.filter(F.action == StoreAction.DELETE))
async def on_delete(
    query: CallbackQuery,
    store: StoreRow,
    i18n: I18nContext,
) -> None:
    await show(
        query,
        i18n.get("stores-delete-confirm", name=esc(store.name)),
        kb.confirm_delete(i18n, store.id),
    )


@router.callback_query(StoreCb.filter(F.action == StoreAction.DELETE_CONFIRMED))
async def on_delete_confirmed(
    query: CallbackQuery,
    store: StoreRow,
    stores: StoreService,
    members: Members,
    user: UserRow,
    i18n: I18nContext,
) -> None:
    await stores.delete(store.id)
    await answer(query, i18n.get("stores-deleted", name=store.name))
    await show_list(query, members, user, i18n)


# --- sync now -------------------------------------------------------------------------------


@router.callback_query(StoreCb.filter(F.action == StoreAction.SYNC))
async def on_sync(
    query: CallbackQuery,
    store: StoreRow,
    bot: Bot,
    sync: SyncService,
    i18n: I18nContext,
    background: Background,
) -> None:
    if not store.is_active:
        await answer(query, i18n.get("stores-sync-paused"), alert=True)
        return
    work = run_sync_now(sync, store, bot, user_chat(query), i18n)
    if not background.start(f"sync:{store.id}", work):
        await answer(query, i18n.get("stores-sync-busy"), alert=True)
        return
    await answer(query, i18n.get("stores-sync-started"))


def user_chat(query: CallbackQuery) -> int:
    message = query.message
    return message.chat.id if message is not None else query.from_user.id


async def run_sync_now(
    sync: SyncService, store: StoreRow, bot: Bot, chat_id: int, i18n: I18nContext
) -> None:
    """All kinds in order; the progress message is edited at most once per PROGRESS_INTERVAL."""
    head = i18n.get("stores-sync-progress", name=esc(store.name))
    message = await bot.send_message(chat_id, head)
    progress = Progress(message, PROGRESS_INTERVAL)
    counts: dict[str, int] = {}

    def progress_text() -> str:
        lines = [head]
        for what, count in counts.items():
            label = progress_label(i18n, what)
            lines.append(i18n.get("stores-sync-progress-what", what=label, count=count))
        return "\n".join(lines)

    def on_progress(what: str, count: int) -> None:
        counts[what] = count
        progress.update(progress_text())

    try:
        results = await sync.sync_all(store.id, progress=on_progress)
    except Exception:
        log.exception("sync now of store %s failed", store.id)
        results = None
    if results is None:
        text = i18n.get("stores-sync-failed", name=esc(store.name))
    else:
        text = sync_summary(i18n, store.name, results)
    await progress.finish(text, kb.to_card(i18n, store.id))


def sync_summary(i18n: I18nContext, name: str, results: Sequence[SyncResult]) -> str:
    lines = [i18n.get("stores-sync-done", name=esc(name))]
    for result in results:
        kind = _kind(i18n, result.kind)
        if result.skipped is not None:
            lines.append(
                i18n.get("stores-sync-skip", kind=kind, reason=_skip_text(i18n, result.skipped))
            )
        elif result.error is not None:
            lines.append(
                i18n.get("stores-sync-err", kind=kind, error=wb_error_text(i18n, result.error))
            )
        else:
            lines.append(
                i18n.get(
                    "stores-sync-ok",
                    kind=kind,
                    fetched=result.fetched,
                    new=result.inserted,
                    changed=result.updated,
                )
            )
        if result.set_aside:
            lines.append(i18n.get("stores-sync-set-aside", kind=kind, count=len(result.set_aside)))
    return "\n".join(lines)


def _skip_text(i18n: I18nContext, skipped: str) -> str:
    if skipped == ALREADY_RUNNING:
        return i18n.get("stores-skip-running")
    if skipped == "store is paused":
        return i18n.get("stores-skip-paused")
    if skipped == "store not found":
        return i18n.get("stores-skip-gone")
    prefix = f"{PARKED_BY_WB}: "
    if skipped.startswith(prefix):
        reason = wb_error_text(i18n, skipped.removeprefix(prefix))
        return i18n.get("stores-skip-refused", reason=reason)
    return esc(skipped)


# --- managers -------------------------------------------------------------------------------


async def show_managers(
    target: CallbackQuery, members: Members, store: StoreRow, i18n: I18nContext
) -> None:
    rows = await members.list_managers(store.id)
    people = [(row["id"], _manager_label(row)) for row in rows]
    listed = "\n".join(f"• {esc(label)}" for _, label in people) or i18n.get("stores-managers-none")
    await show(
        target,
        i18n.get("stores-managers", name=esc(store.name), list=listed),
        kb.managers(i18n, store.id, people),
    )


@router.callback_query(StoreCb.filter(F.action == StoreAction.MANAGERS))
async def on_managers(
    query: CallbackQuery,
    store: StoreRow,
    members: Members,
    i18n: I18nContext,
) -> None:
    await show_managers(query, members, store, i18n)


@router.callback_query(StoreCb.filter(F.action == StoreAction.REMOVE_MANAGER))
async def on_remove_manager(
    query: CallbackQuery,
    callback_data: StoreCb,
    store: StoreRow,
    members: Members,
    i18n: I18nContext,
) -> None:
    rows = await members.list_managers(store.id)
    match = [r["id"] for r in rows if kb.manager_key(r["id"]) == callback_data.arg]
    removed = len(match) == 1 and await members.remove_manager(store.id, match[0])
    await show_managers(query, members, store, i18n)
    await answer(query, i18n.get("stores-manager-removed" if removed else "stores-manager-gone"))


@router.callback_query(StoreCb.filter(F.action == StoreAction.INVITE))
async def on_invite(
    query: CallbackQuery,
    store: StoreRow,
    bot: Bot,
    members: Members,
    user: UserRow,
    i18n: I18nContext,
) -> None:
    token = await members.create_invite(store.id, user.id)
    me = await bot.me()
    link = f"https://t.me/{me.username}?start=inv_{token}"
    await answer(query)
    # A message of its own, so the owner can forward it; the managers screen stays.
    await bot.send_message(
        user_chat(query),
        i18n.get("stores-invite", name=esc(store.name), link=esc(link)),
        reply_markup=kb.to_card(i18n, store.id),
        disable_web_page_preview=True,
    )
