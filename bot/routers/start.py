"""/start: registration (email, then wait for an admin), the menu, and invite links.

`/start inv_<token>` opens a store invite. An approved person joins at once; anyone else keeps
the token in `pending_invites` (services.access.register / remember_invite) and joins when an
admin approves them (bot.direct.tell_outcome).

`/start link_<token>` opens a personal link (`wbrep user link`): it binds this Telegram account
to a user the operator added, once. Typing the email of such a user is refused: a user the
operator created or issued a link to is bound only by the link, and anyone else only while
pending (services.access.add_user, `claim`): knowing an email proves nothing.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram_i18n import I18nContext

from bot.direct import announce_registration, deliver_invite
from bot.keyboards.menu import main_menu
from bot.render import clip, esc
from bot.routers.admin import admin_name
from bot.routers.menu import show_menu
from bot.routing import Handlers
from bot.ui import answer
from services.access import AccessError, AccessService, normalize_email
from services.emails import EmailProblem
from services.records import UserRow
from services.settings import Settings

router = Handlers(name="start")

INVITE_PREFIX = "inv_"
LINK_PREFIX = "link_"
LINK_ERRORS = {"telegram_taken": "link-telegram-taken", "linked_elsewhere": "link-user-taken"}
BAD_EMAIL = {
    EmailProblem.SHAPE: "reg-bad-email",
    EmailProblem.LOCAL: "reg-bad-email-local",
    EmailProblem.MIXED: "reg-bad-email-mixed",
    EmailProblem.DOMAIN: "reg-bad-email-domain",
}


class Registration(StatesGroup):
    email = State()


def invite_token(args: str | None) -> str | None:
    payload = (args or "").strip()
    if payload.startswith(INVITE_PREFIX) and len(payload) > len(INVITE_PREFIX):
        return payload[len(INVITE_PREFIX) :]
    return None


def link_token(args: str | None) -> str | None:
    payload = (args or "").strip()
    if payload.startswith(LINK_PREFIX) and len(payload) > len(LINK_PREFIX):
        return payload[len(LINK_PREFIX) :]
    return None


@router.message(CommandStart())
async def on_start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    i18n: I18nContext,
    access: AccessService,
    bot: Bot,
    settings: Settings,
    user: UserRow | None = None,
    is_admin: bool = False,
) -> None:
    # A form is left, its open lists stay (their "Далее" keeps working), as after /cancel.
    if (link := link_token(command.args)) is not None:
        await state.set_state(None)
        await _open_link(message, i18n, access, bot, settings, link, is_admin=is_admin)
        return
    token = invite_token(command.args)
    await state.set_state(None)
    if user is None:
        await state.clear()
        await state.set_state(Registration.email)
        await state.update_data(invite=token)
        await message.answer(i18n.get("reg-ask-email-invite" if token else "reg-ask-email"))
        return
    person = await access.get_status(user.id)
    assert person is not None and message.from_user is not None
    if person.state != "approved" and is_admin:  # listed in ADMIN_IDS after registering
        decision = await access.decide(
            user.id,
            True,
            admin_id=message.from_user.id,
            admin_name=admin_name(message.from_user),
        )
        person = decision.status
    if person.state == "approved":
        if token:
            await deliver_invite(bot, access, i18n, person, token)
        else:
            await show_menu(message, i18n)
    elif person.state == "rejected":
        await message.answer(i18n.get("access-rejected"))
    else:
        if token:
            await access.remember_invite(user.id, token)
        await message.answer(i18n.get("access-waiting-invite" if token else "access-waiting"))


@router.message(Registration.email, Command("cancel"))
async def on_cancel_registration(message: Message, state: FSMContext, i18n: I18nContext) -> None:
    await state.clear()
    await message.answer(i18n.get("reg-cancelled"))


@router.message(Registration.email)
async def on_email(
    message: Message,
    state: FSMContext,
    i18n: I18nContext,
    access: AccessService,
    bot: Bot,
    settings: Settings,
    is_admin: bool = False,
) -> None:
    if not message.text or message.from_user is None:
        await message.answer(i18n.get("reg-not-text"))
        return
    try:
        email = normalize_email(message.text)
    except AccessError as exc:
        key = BAD_EMAIL.get(exc.problem or EmailProblem.SHAPE, "reg-bad-email")
        await message.answer(i18n.get(key, text=clip(message.text, 80)))
        return
    token = (await state.get_data()).get("invite")
    tg = message.from_user
    try:
        person = await access.register(
            email,
            telegram_id=tg.id,
            username=tg.username,
            first_name=tg.first_name,
            language_code=tg.language_code,
            approve=is_admin,
            invite_token=token,
        )
    except AccessError as exc:
        if exc.code == "needs_link":  # an existing user: only a personal link binds them
            await state.clear()
            await message.answer(i18n.get("reg-needs-link", email=esc(email)))
            return
        if exc.code != "linked_elsewhere":
            raise
        await message.answer(i18n.get("reg-linked-elsewhere"))
        return
    await state.clear()
    if person.state == "approved":
        await _welcome(message, i18n)
        if token:
            await deliver_invite(bot, access, i18n, person, token)
    elif person.state == "rejected":
        await message.answer(i18n.get("access-rejected"))
    else:
        await announce_registration(bot, access, settings, i18n, person)
        await message.answer(i18n.get("reg-waiting", email=esc(person.email)))


async def _open_link(
    message: Message,
    i18n: I18nContext,
    access: AccessService,
    bot: Bot,
    settings: Settings,
    token: str,
    *,
    is_admin: bool,
) -> None:
    """A personal link: bind this account, then the menu or the waiting text."""
    tg = message.from_user
    assert tg is not None
    try:
        linked = await access.link_by_token(
            token,
            telegram_id=tg.id,
            username=tg.username,
            first_name=tg.first_name,
            language_code=tg.language_code,
        )
    except AccessError as exc:
        if exc.code not in {"link_invalid", *LINK_ERRORS}:
            raise
        await message.answer(i18n.get(LINK_ERRORS.get(exc.code, "link-invalid")))
        return
    person = linked.status
    if person.state != "approved" and is_admin:  # as on_start does for listed admins
        decision = await access.decide(person.id, True, admin_id=tg.id, admin_name=admin_name(tg))
        person = decision.status
    done = i18n.get("link-done", email=esc(person.email))
    if person.state == "approved":
        text = done + "\n\n" + i18n.get("menu-title")
        await message.answer(text, reply_markup=main_menu(i18n))
    elif person.state == "rejected":
        await message.answer(done + "\n\n" + i18n.get("access-rejected"))
    else:
        if linked.first:  # reachable now: the admins decide with the card, as on registration
            await announce_registration(bot, access, settings, i18n, person)
        await message.answer(done + "\n\n" + i18n.get("access-waiting"))


async def refused(
    event: TelegramObject, access: AccessService, user: UserRow | None = None
) -> bool:
    """A person an admin rejected (looked up only for those not approved)."""
    if user is None or user.is_approved:
        return False
    person = await access.get_status(user.id)
    return person is not None and person.state == "rejected"


@router.message(refused)
async def on_refused_message(message: Message, i18n: I18nContext) -> None:
    await message.answer(i18n.get("access-rejected"))


@router.callback_query(refused)
async def on_refused_press(query: CallbackQuery, i18n: I18nContext) -> None:
    await answer(query, i18n.get("access-rejected"), alert=True)


async def _welcome(message: Message, i18n: I18nContext) -> None:
    """Approved at registration (an admin, or an email the operator pre-approved)."""
    text = i18n.get("access-approved") + "\n\n" + i18n.get("menu-title")
    await message.answer(text, reply_markup=main_menu(i18n))
