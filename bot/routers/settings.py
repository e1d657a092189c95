"""A person's own settings: language, alert threshold, quiet hours (services/preferences.py)."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.callbacks import MenuCb, MenuSection, SettingsAction, SettingsCb
from bot.filters import Approved
from bot.keyboards.access import settings_keyboard
from bot.routing import Handlers
from bot.ui import answer, show
from services.preferences import PreferenceError, Preferences, PreferenceService
from services.records import UserRow

router = Handlers(name="settings")
router.message.filter(Approved())
router.callback_query.filter(Approved())

ACTIONS = frozenset(SettingsAction)


def settings_screen(i18n: I18nContext, prefs: Preferences) -> tuple[str, InlineKeyboardMarkup]:
    """Rendered in `i18n.locale`: the caller switches it after a language change."""
    language = i18n.locale
    lines = [
        i18n.get("set-title"),
        "",
        i18n.get("set-language", language=i18n.get(f"set-lang-{language}")),
        i18n.get("set-threshold", stars=prefs.alert_threshold),
    ]
    quiet = prefs.quiet
    if quiet is None:
        lines.append(i18n.get("set-quiet-off"))
    else:
        lines.append(i18n.get("set-quiet", start=f"{quiet[0]:02d}", end=f"{quiet[1]:02d}"))
    return "\n".join(lines), settings_keyboard(i18n, prefs, language)


@router.callback_query(MenuCb.filter(F.section == MenuSection.SETTINGS))
async def on_settings(
    query: CallbackQuery, preferences: PreferenceService, i18n: I18nContext, user: UserRow
) -> None:
    await answer(query)
    await show(query, *settings_screen(i18n, await preferences.get(user.id)))


@router.message(Command("settings"))
async def on_settings_command(
    message: Message, preferences: PreferenceService, i18n: I18nContext, user: UserRow
) -> None:
    await show(message, *settings_screen(i18n, await preferences.get(user.id)))


def _quiet_hours(value: str) -> tuple[int, int] | None:
    if value == "off":
        return None
    start, _, end = value.partition("-")
    return int(start), int(end)


@router.callback_query(SettingsCb.filter(F.action.in_(ACTIONS)))
async def on_change(
    query: CallbackQuery,
    callback_data: SettingsCb,
    preferences: PreferenceService,
    i18n: I18nContext,
    user: UserRow,
) -> None:
    value = callback_data.value
    try:
        if callback_data.action == SettingsAction.LANGUAGE:
            prefs = await preferences.set_language(user.id, value)
        elif callback_data.action == SettingsAction.THRESHOLD:
            prefs = await preferences.set_threshold(user.id, int(value))
        else:
            prefs = await preferences.set_quiet_hours(user.id, _quiet_hours(value))
    except (PreferenceError, ValueError):
        await answer(query, i18n.get("error-stale"))
        return
    # The i18n context was chosen for this update before the change: render in the new one.
    with i18n.use_locale(prefs.language or i18n.locale):
        text, keyboard = settings_screen(i18n, prefs)
        saved = i18n.get("set-saved")
    await answer(query, saved)
    await show(query, text, keyboard)
