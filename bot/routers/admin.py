"""Admins decide who may use the bot: registration cards, /pending, /approve, /reject, /users.

Also the messages these decisions send to other people (the registration card to every admin,
the outcome and a waiting invite to the person, the news to a store owner); /start uses them.
"""

from __future__ import annotations

import logging

import asyncpg
from aiogram import Bot, F
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, User
from aiogram_i18n import I18nContext

from bot.callbacks import AdminAction, AdminCb, ListCb
from bot.filters import IsAdmin
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES
from bot.keyboards.access import decision_keyboard, pending_keyboard, users_keyboard
from bot.keyboards.menu import main_menu
from bot.render import esc, fmt_date
from bot.routing import Handlers
from bot.ui import answer, show
from services import access
from services.access import AccessError, UsersPage
from services.emails import shown
from services.members import InviteError, InviteRef
from services.records import UserStatus
from services.settings import Settings

log = logging.getLogger(__name__)

router = Handlers(name="admin")
router.message.filter(IsAdmin())
router.callback_query.filter(IsAdmin())

PAGE = 20
INVITE_ERRORS = frozenset({"unknown", "used", "expired", "own_store", "removed"})
STATE_ICON = {"approved": "✅", "pending": "⏳", "rejected": "⛔"}


# --- reaching other people ---------------------------------------------------------------


def locale_of(person: UserStatus | None) -> str:
    """The language a message to this person goes out in (their choice, else Telegram's)."""
    if person is None:
        return DEFAULT_LANGUAGE
    if person.language in LANGUAGES:
        return str(person.language)
    return "en" if (person.language_code or "").startswith("en") else DEFAULT_LANGUAGE


async def send_to(
    bot: Bot,
    pool: asyncpg.Pool,
    chat_id: int,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> bool:
    """Send to someone other than the current chat; one who blocked the bot is skipped."""
    try:
        await bot.send_message(chat_id, text, reply_markup=keyboard)
    except TelegramForbiddenError:
        await access.set_reachable(pool, chat_id, False)
        log.info("telegram user %s blocked the bot; skipped", chat_id)
        return False
    except TelegramBadRequest as exc:  # never started the bot, or a deleted account
        log.warning("cannot send to telegram user %s: %s", chat_id, exc.message)
        return False
    except TelegramAPIError as exc:  # Telegram down or flooded: what follows must still run
        log.warning("telegram did not take a message to %s: %s", chat_id, type(exc).__name__)
        return False
    return True


def person_label(person: UserStatus) -> str:
    """Escaped: '@username (email)' or 'name (email)'."""
    handle = f"@{person.username}" if person.username else (person.first_name or "")
    email = shown(person.email)
    return esc(f"{handle} ({email})" if handle else email)


def card_text(i18n: I18nContext, person: UserStatus) -> str:
    text = i18n.get(
        "adm-card",
        email=esc(shown(person.email)),
        username=esc(f"@{person.username}") if person.username else i18n.get("adm-none"),
        name=esc(person.first_name) if person.first_name else i18n.get("adm-none"),
        tg=str(person.telegram_id) if person.telegram_id is not None else "—",
    )
    if person.state == "pending":
        return text
    return text + "\n\n" + decided_line(i18n, person)


def decided_line(i18n: I18nContext, person: UserStatus) -> str:
    who = esc(person.decided_by_name) if person.decided_by_name else i18n.get("adm-someone")
    return i18n.get(f"adm-decided-{person.state}", admin=who, date=fmt_date(person.decided_at))


async def announce_registration(
    bot: Bot, pool: asyncpg.Pool, settings: Settings, i18n: I18nContext, person: UserStatus
) -> None:
    """Every admin gets the card with Approve / Reject, in the admin's own language."""
    for admin_id in sorted(settings.admin_ids):
        admin = await access.status_by_telegram(pool, admin_id)
        with i18n.use_locale(locale_of(admin)):
            text, keyboard = card_text(i18n, person), decision_keyboard(i18n, person.id)
        await send_to(bot, pool, admin_id, text, keyboard)


async def tell_outcome(bot: Bot, pool: asyncpg.Pool, i18n: I18nContext, person: UserStatus) -> bool:
    """The person learns the decision; on approval a waiting invite is applied too.

    True when the decision reached them (False: no Telegram account, or it could not be sent).
    """
    if person.state == "pending":
        return False
    token = await access.take_pending_invite(pool, person.id)
    if person.telegram_id is None:
        return False
    paused = await access.paused_stores(pool, person.id) if person.state == "approved" else 0
    with i18n.use_locale(locale_of(person)):
        if person.state == "approved":
            text = i18n.get("access-approved") + "\n\n" + i18n.get("menu-title")
            if paused:
                text = i18n.get("access-stores-paused", count=paused) + "\n\n" + text
            keyboard: InlineKeyboardMarkup | None = main_menu(i18n)
        else:
            text, keyboard = i18n.get("access-refused"), None
    told = await send_to(bot, pool, person.telegram_id, text, keyboard)
    if token and person.state == "approved":
        await deliver_invite(bot, pool, i18n, person, token)
    return told


async def deliver_invite(
    bot: Bot,
    pool: asyncpg.Pool,
    i18n: I18nContext,
    person: UserStatus,
    token: str | InviteRef,
) -> None:
    """An approved person uses an invite: they hear the result, the owner hears the news."""
    try:
        joined = await access.join_by_invite(pool, token, person.id)
    except InviteError as exc:
        code = exc.code if exc.code in INVITE_ERRORS else "unknown"
        if person.telegram_id is not None:
            with i18n.use_locale(locale_of(person)):
                text = i18n.get(f"invite-{code}")
            await send_to(bot, pool, person.telegram_id, text)
        return
    store = esc(joined.invite.store_name)
    if person.telegram_id is not None:
        with i18n.use_locale(locale_of(person)):
            key = "invite-joined" if joined.first else "invite-already"
            text = i18n.get(key, store=store) + "\n\n" + i18n.get("menu-title")
            keyboard = main_menu(i18n)
        await send_to(bot, pool, person.telegram_id, text, keyboard)
    if not joined.first:
        return
    owner = await access.get_status(pool, joined.invite.owner_id)
    if owner is not None and owner.telegram_id is not None:
        with i18n.use_locale(locale_of(owner)):
            text = i18n.get("invite-owner-notice", who=person_label(person), store=store)
        await send_to(bot, pool, owner.telegram_id, text)


# --- registration cards ------------------------------------------------------------------


def admin_name(tg_user: User) -> str:
    return f"@{tg_user.username}" if tg_user.username else tg_user.full_name


async def _decide(
    query: CallbackQuery, callback_data: AdminCb, pool: asyncpg.Pool, i18n: I18nContext
) -> access.Decision | None:
    approve = callback_data.action in ("ok", "lok")
    try:
        return await access.decide(
            pool,
            callback_data.user_id,
            approve,
            admin_id=query.from_user.id,
            admin_name=admin_name(query.from_user),
            only_pending=True,
        )
    except AccessError:
        await answer(query, i18n.get("adm-gone"), alert=True)
        return None


def _decision_answer(i18n: I18nContext, decision: access.Decision) -> str:
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
    query: CallbackQuery, callback_data: AdminCb, pool: asyncpg.Pool, i18n: I18nContext, bot: Bot
) -> None:
    """Idempotent: a late press (or another admin's) shows who decided, tells nobody again."""
    decision = await _decide(query, callback_data, pool, i18n)
    if decision is None:
        await show(query, i18n.get("adm-gone"))
        return
    person = decision.status
    await answer(query, _decision_answer(i18n, decision))
    keyboard = decision_keyboard(i18n, person.id) if person.state == "pending" else None
    await show(query, card_text(i18n, person), keyboard)
    if decision.changed:
        await tell_outcome(bot, pool, i18n, person)


@router.callback_query(
    AdminCb.filter(F.action.in_({AdminAction.APPROVE_LINK, AdminAction.REJECT_LINK}))
)
async def on_list_decision(
    query: CallbackQuery, callback_data: AdminCb, pool: asyncpg.Pool, i18n: I18nContext, bot: Bot
) -> None:
    decision = await _decide(query, callback_data, pool, i18n)
    if decision is not None:
        await answer(query, _decision_answer(i18n, decision))
    await show(query, *pending_screen(i18n, await access.pending_page(pool, size=PAGE)))
    if decision is not None and decision.changed:
        await tell_outcome(bot, pool, i18n, decision.status)


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
async def on_pending(message: Message, pool: asyncpg.Pool, i18n: I18nContext) -> None:
    await show(message, *pending_screen(i18n, await access.pending_page(pool, size=PAGE)))


@router.message(Command("approve", "reject"))
async def on_decide_command(
    message: Message, command: CommandObject, pool: asyncpg.Pool, i18n: I18nContext, bot: Bot
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
            pool,
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
    await tell_outcome(bot, pool, i18n, person)


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
    message: Message, pool: asyncpg.Pool, i18n: I18nContext, state: FSMContext
) -> None:
    page = await access.users_page(pool, size=PAGE)
    last = page.users[-1].email if page.users else None
    await state.update_data(users_pages=[None], users_last=last)
    await show(message, *users_screen(i18n, page, page_no=0))


@router.callback_query(ListCb.filter(F.view == "users"))
async def on_users_page(
    query: CallbackQuery,
    callback_data: ListCb,
    pool: asyncpg.Pool,
    i18n: I18nContext,
    state: FSMContext,
) -> None:
    """Keyset paging: FSM data keeps the first email-cursor of every page walked so far."""
    data = await state.get_data()
    pages: list[str | None] = list(data.get("users_pages") or [None])
    if callback_data.go == "n" and data.get("users_last"):
        pages.append(data["users_last"])
    elif callback_data.go == "p" and len(pages) > 1:
        pages.pop()
    page = await access.users_page(pool, after_email=pages[-1], size=PAGE)
    last = page.users[-1].email if page.users else None
    await state.update_data(users_pages=pages, users_last=last)
    await answer(query)
    await show(query, *users_screen(i18n, page, page_no=len(pages) - 1))
