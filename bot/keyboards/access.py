"""Buttons of the access screens (registration cards, /pending, /users) and of settings."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.callbacks import (
    AdminAction,
    AdminCb,
    AIAction,
    AICb,
    ListCb,
    ListGo,
    SettingsAction,
    SettingsCb,
)
from bot.keyboards.menu import back_to_menu
from bot.keyboards.sequences import home_button
from services.emails import shown
from services.preferences import LANGUAGES, QUIET_PRESETS, Preferences
from services.records import UserStatus

LABEL_EMAIL = 28  # characters of an email shown on a button


def decision_keyboard(i18n: I18nContext, user_id: str) -> InlineKeyboardMarkup:
    """Approve / Reject under a registration card."""
    kb = InlineKeyboardBuilder()
    kb.button(
        text=i18n.get("adm-btn-approve"),
        callback_data=AdminCb(action=AdminAction.APPROVE, user_id=user_id),
    )
    kb.button(
        text=i18n.get("adm-btn-reject"),
        callback_data=AdminCb(action=AdminAction.REJECT, user_id=user_id),
    )
    return kb.as_markup()


def _short(email: str) -> str:
    return email if len(email) <= LABEL_EMAIL else email[: LABEL_EMAIL - 1] + "…"


def pending_keyboard(users: Sequence[UserStatus]) -> InlineKeyboardMarkup:
    """One row per waiting person: approve (with the email) and reject."""
    rows = [
        [
            InlineKeyboardButton(
                text=f"✅ {_short(shown(u.email))}",
                callback_data=AdminCb(action=AdminAction.APPROVE_LINK, user_id=u.id).pack(),
            ),
            InlineKeyboardButton(
                text="⛔",
                callback_data=AdminCb(action=AdminAction.REJECT_LINK, user_id=u.id).pack(),
            ),
        ]
        for u in users
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def users_keyboard(
    i18n: I18nContext, *, has_prev: bool, has_next: bool
) -> InlineKeyboardMarkup | None:
    nav = []
    if has_prev:
        nav.append(
            InlineKeyboardButton(
                text=i18n.get("btn-prev"), callback_data=ListCb(view="users", go=ListGo.PREV).pack()
            )
        )
    if has_next:
        nav.append(
            InlineKeyboardButton(
                text=i18n.get("btn-next"), callback_data=ListCb(view="users", go=ListGo.NEXT).pack()
            )
        )
    return InlineKeyboardMarkup(inline_keyboard=[nav]) if nav else None


def _mark(label: str, current: bool) -> str:
    return f"✓ {label}" if current else label


def settings_keyboard(i18n: I18nContext, prefs: Preferences, language: str) -> InlineKeyboardMarkup:
    """Language, threshold (1-5 stars), quiet-hour presets; the current choice is ticked."""
    lang_row = [
        InlineKeyboardButton(
            text=_mark(i18n.get(f"set-lang-{code}"), code == language),
            callback_data=SettingsCb(action=SettingsAction.LANGUAGE, value=code).pack(),
        )
        for code in LANGUAGES
    ]
    stars_row = [
        InlineKeyboardButton(
            text=_mark(f"{n}★", n == prefs.alert_threshold),
            callback_data=SettingsCb(action=SettingsAction.THRESHOLD, value=str(n)).pack(),
        )
        for n in range(1, 6)
    ]
    quiet_row = [
        InlineKeyboardButton(
            text=_mark(f"{start:02d}–{end:02d}", prefs.quiet == (start, end)),
            callback_data=SettingsCb(action=SettingsAction.QUIET, value=f"{start}-{end}").pack(),
        )
        for start, end in QUIET_PRESETS
    ]
    off_row = [
        InlineKeyboardButton(
            text=_mark(i18n.get("set-quiet-btn-off"), prefs.quiet is None),
            callback_data=SettingsCb(action=SettingsAction.QUIET, value="off").pack(),
        )
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            lang_row,
            stars_row,
            quiet_row,
            off_row,
            [
                InlineKeyboardButton(
                    text=i18n.get("set-btn-ai"),
                    callback_data=AICb(action=AIAction.HOME).pack(),
                )
            ],
            [home_button(i18n)],
            [back_to_menu(i18n)],
        ]
    )
