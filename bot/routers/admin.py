"""Admins decide who may use the bot: registration cards, /pending, /approve, /reject, /users.

Also the messages these decisions send to other people (the registration card to every admin,
the outcome and a waiting invite to the person, the news to a store owner); /start uses them.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, User
from aiogram_i18n import I18nContext

from bot.callbacks import AdminAction, AdminCb, ListCb, ListGo
from bot.direct import card_text, tell_outcome
from bot.filters import IsAdmin
from bot.keyboards.access import decision_keyboard, pending_keyboard, users_keyboard
from bot.render import esc
from bot.routing import Handlers
from bot.ui import answer, show
from bot.views.lists import UsersView, load_view, save_view
from services.access import AccessError, AccessService, Decision, UsersPage
from services.emails import shown
from services.records import UserStatus

log = logging.getLogger(__name__)

router = Handlers(name="admin")
router.message.filter(IsAdmin())
router.callback_query.filter(IsAdmin())

PAGE = 20
STATE_ICON = {"approved": "✅", "pending": "⏳", "rejected": "⛔"}


# --- registration cards ------------------------------------------------------------------


def admin_name(tg_user: User) -> str:
    return f"@{tg_user.username}" if tg_user.username else tg_user.full_name


async def _decide(
    query: CallbackQuery, callback_data: AdminCb, access: AccessService, i18n: I18nContext
) -> Decision | None:
    approve = callback_data.action in ("ok", "lok")
    try:
        return await access.decide(
            callback_data.user_id,
            approve,
            admin_id=query.from_user.id,
            admin_name=admin_name(query.from_user),
            only_pending=True,
        )
    except AccessError:
        await answer(query, i18n.get("adm-gone"), alert=True)
        return None


def _decision_answer(i18n: I18nContext, decision: Decision) -> str:
    person = decision.status
    if decision.changed:
        text = i18n.get(f"adm-answer-{person.state}")
        if decision.paused:
            text += ". " + i18n.get("adm-paused-stores", count=decision.paused)
        return text
    who = esc(person.decided_by_name) if person.decided_by_name else i18n.get("adm-someone")
    return i18n.get(f"adm-already-{person.state}", admin=who)


@router.callback_query(AdminCb.filter(F.action.in_({AdminAction.APPROVE, AdminAction.REJECT})))
async def on_card_decision(
    query: CallbackQuery, callback_data: AdminCb, access: AccessService, i18n: I18nContext, bot: Bot
) -> None:
    """Idempotent: a late press (or another admin's) shows who decided, tells nobody again."""
    decision = await _decide(query, callback_data, access, i18n)
    if decision is None:
        await show(query, i18n.get("adm-gone"))
        return
    person = decision.status
    await answer(query, _decision_answer(i18n, decision))
    keyboard = decision_keyboard(i18n, person.id) if person.state == "pending" else None
    await show(query, card_text(i18n, person), keyboard)
    if decision.changed:
        await tell_outcome(bot, access, i18n, person)


@router.callback_query(
    AdminCb.filter(F.action.in_({AdminAction.APPROVE_LINK, AdminAction.REJECT_LINK}))
)
async def on_list_decision(
    query: CallbackQuery, callback_data: AdminCb, access: AccessService, i18n: I18nContext, bot: Bot
) -> None:
    decision = await _decide(query, callback_data, access, i18n)
    if decision is not None:
        await answer(query, _decision_answer(i18n, decision))
    await show(query, *pending_screen(i18n, await access.pending_page(size=PAGE)))
    if decision is not None and decision.changed:
        await tell_outcome(bot, access, i18n, decision.status)


# --- /pending, /approve, /reject ---------------------------------------------------------


def _user_line(number: int, person: UserStatus) -> str:
    extra = f" — @{person.username}" if person.username else ""
    return f"{number}. {STATE_ICON[person.state]} {esc(shown(person.email))}{esc(extra)}"


def pending_screen(i18n: I18nContext, page: UsersPage) -> tuple[str, InlineKeyboardMarkup | None]:
    if not page.users:
        return i18n.get("adm-pending-empty"), None
    lines = [i18n.get("adm-pending-title", count=page.total), ""]
    for number, person in enumerate(page.users, 1):
        name = esc(person.first_name) if person.first_name else ""
        handle = esc(f"@{person.username}") if person.username else ""
        who = ", ".join(x for x in (handle, name) if x)
        lines.append(f"{number}. {esc(shown(person.email))}" + (f" — {who}" if who else ""))
    if page.has_next:
        lines += ["", i18n.get("adm-pending-more", count=page.total - len(page.users))]
    return "\n".join(lines), pending_keyboard(page.users)


@router.message(Command("pending"))
async def on_pending(message: Message, access: AccessService, i18n: I18nContext) -> None:
    await show(message, *pending_screen(i18n, await access.pending_page(size=PAGE)))


@router.message(Command("approve", "reject"))
async def on_decide_command(
    message: Message, command: CommandObject, access: AccessService, i18n: I18nContext, bot: Bot
) -> None:
    """`/approve <email or id>` also lifts a rejection; `/reject` also withdraws access."""
    key = (command.args or "").strip()
    if not key:
        await message.answer(i18n.get("adm-usage", command=command.command))
        return
    assert message.from_user is not None
    approve = command.command == "approve"
    try:
        decision = await access.decide(
            key,
            approve,
            admin_id=message.from_user.id,
            admin_name=admin_name(message.from_user),
        )
    except AccessError:
        await message.answer(i18n.get("adm-not-found", key=esc(key[:80])))
        return
    person = decision.status
    verb = "approved" if approve else "rejected"
    paused = i18n.get("adm-paused-stores", count=decision.paused) if decision.paused else ""
    if not decision.changed:
        text = i18n.get(f"adm-was-{verb}", email=esc(shown(person.email)))
        await message.answer("\n".join(x for x in (text, paused) if x))
        return
    text = i18n.get(f"adm-{verb}", email=esc(shown(person.email)))
    await message.answer("\n".join(x for x in (text, paused) if x))
    await tell_outcome(bot, access, i18n, person)


# --- /users ------------------------------------------------------------------------------


def users_screen(
    i18n: I18nContext, page: UsersPage, *, page_no: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not page.users:
        return i18n.get("adm-users-empty"), users_keyboard(
            i18n, has_prev=page_no > 0, has_next=False
        )
    lines = [i18n.get("adm-users-title", count=page.total), ""]
    lines += [_user_line(page_no * PAGE + i, u) for i, u in enumerate(page.users, 1)]
    return "\n".join(lines), users_keyboard(i18n, has_prev=page_no > 0, has_next=page.has_next)


@router.message(Command("users"))
async def on_users(
    message: Message, access: AccessService, i18n: I18nContext, state: FSMContext
) -> None:
    page = await access.users_page(size=PAGE)
    await save_view(state, UsersView(next=page.users[-1].email if page.users else None))
    await show(message, *users_screen(i18n, page, page_no=0))


@router.callback_query(ListCb.filter(F.view == "users"))
async def on_users_page(
    query: CallbackQuery,
    callback_data: ListCb,
    access: AccessService,
    i18n: I18nContext,
    state: FSMContext,
) -> None:
    """Keyset paging: FSM data keeps the first email-cursor of every page walked so far."""
    view = await load_view(state, UsersView) or UsersView()
    if callback_data.go == ListGo.NEXT and view.next:
        view.starts.append(view.next)
    elif callback_data.go == ListGo.PREV and len(view.starts) > 1:
        view.starts.pop()
    page = await access.users_page(after_email=view.starts[-1], size=PAGE)
    view.next = page.users[-1].email if page.users else None
    await save_view(state, view)
    await answer(query)
    await show(query, *users_screen(i18n, page, page_no=len(view.starts) - 1))
