"""Messages from the bot to one person other than the one writing: a decision on their
access, an invite they used, a registration card for each admin. Person-to-person messages
live here, beside `bot/notifier.py` (alerts and digests); `bot/routers/admin.py`,
`bot/routers/start.py` and `bot/cli.py` import them from here.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup
from aiogram_i18n import I18nContext

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES
from bot.keyboards.access import decision_keyboard
from bot.keyboards.menu import main_menu
from bot.render import esc, fmt_date
from services.access import AccessService
from services.emails import shown
from services.members import InviteError, InviteRef
from services.records import UserStatus
from services.settings import Settings

log = logging.getLogger(__name__)

INVITE_ERRORS = frozenset({"unknown", "used", "expired", "own_store", "removed"})


def locale_of(person: UserStatus | None) -> str:
    """The language a message to this person goes out in (their choice, else Telegram's)."""
    if person is None:
        return DEFAULT_LANGUAGE
    if person.language in LANGUAGES:
        return str(person.language)
    return "en" if (person.language_code or "").startswith("en") else DEFAULT_LANGUAGE


async def send_to(
    bot: Bot,
    access: AccessService,
    chat_id: int,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> bool:
    """Send to someone other than the current chat; one who blocked the bot is skipped."""
    try:
        await bot.send_message(chat_id, text, reply_markup=keyboard)
    except TelegramForbiddenError:
        await access.set_reachable(chat_id, False)
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
    bot: Bot, access: AccessService, settings: Settings, i18n: I18nContext, person: UserStatus
) -> None:
    """Every admin gets the card with Approve / Reject, in the admin's own language."""
    for admin_id in sorted(settings.admin_ids):
        admin = await access.status_by_telegram(admin_id)
        with i18n.use_locale(locale_of(admin)):
            text, keyboard = card_text(i18n, person), decision_keyboard(i18n, person.id)
        await send_to(bot, access, admin_id, text, keyboard)


async def tell_outcome(
    bot: Bot, access: AccessService, i18n: I18nContext, person: UserStatus
) -> bool:
    """The person learns the decision; on approval a waiting invite is applied too.

    True when the decision reached them (False: no Telegram account, or it could not be sent).
    """
    if person.state == "pending":
        return False
    token = await access.take_pending_invite(person.id)
    if person.telegram_id is None:
        return False
    paused = await access.paused_stores(person.id) if person.state == "approved" else 0
    with i18n.use_locale(locale_of(person)):
        if person.state == "approved":
            text = i18n.get("access-approved") + "\n\n" + i18n.get("menu-title")
            if paused:
                text = i18n.get("access-stores-paused", count=paused) + "\n\n" + text
            keyboard: InlineKeyboardMarkup | None = main_menu(i18n)
        else:
            text, keyboard = i18n.get("access-refused"), None
    told = await send_to(bot, access, person.telegram_id, text, keyboard)
    if token and person.state == "approved":
        await deliver_invite(bot, access, i18n, person, token)
    return told


async def deliver_invite(
    bot: Bot,
    access: AccessService,
    i18n: I18nContext,
    person: UserStatus,
    token: str | InviteRef,
) -> None:
    """An approved person uses an invite: they hear the result, the owner hears the news."""
    try:
        joined = await access.join_by_invite(token, person.id)
    except InviteError as exc:
        code = exc.code if exc.code in INVITE_ERRORS else "unknown"
        if person.telegram_id is not None:
            with i18n.use_locale(locale_of(person)):
                text = i18n.get(f"invite-{code}")
            await send_to(bot, access, person.telegram_id, text)
        return
    store = esc(joined.invite.store_name)
    if person.telegram_id is not None:
        with i18n.use_locale(locale_of(person)):
            key = "invite-joined" if joined.first else "invite-already"
            text = i18n.get(key, store=store) + "\n\n" + i18n.get("menu-title")
            keyboard = main_menu(i18n)
        await send_to(bot, access, person.telegram_id, text, keyboard)
    if not joined.first:
        return
    owner = await access.get_status(joined.invite.owner_id)
    if owner is not None and owner.telegram_id is not None:
        with i18n.use_locale(locale_of(owner)):
            text = i18n.get("invite-owner-notice", who=person_label(person), store=store)
        await send_to(bot, access, owner.telegram_id, text)
