"""Texts: Fluent files per language (`bot/locales/<lang>/*.ftl`), Russian first.

The language is the person's choice (`user_preferences.language`), else English when their
Telegram speaks English, else Russian. Handlers get `i18n: I18nContext` and call
`i18n.get("key", **args)`; arguments that carry user or WB text must be escaped first.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from aiogram.types import User
from aiogram_i18n import I18nMiddleware
from aiogram_i18n.cores.fluent_runtime_core import FluentRuntimeCore
from aiogram_i18n.managers.base import BaseManager

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"


def language_for(prefs: Any, tg_user: User | None) -> str:
    chosen = prefs["language"] if prefs is not None else None
    if chosen in LANGUAGES:
        return str(chosen)
    code = (tg_user.language_code or "") if tg_user else ""
    return "en" if code.startswith("en") else DEFAULT_LANGUAGE


class PreferencesManager(BaseManager):
    """Reads the language the auth middleware found; writes go through the settings screen."""

    async def get_locale(self, event_from_user: User | None = None, **data: Any) -> str:
        return language_for(data.get("prefs"), event_from_user)

    async def set_locale(self, locale: str, **data: Any) -> None:  # the settings router stores it
        return None


class TextsCore(FluentRuntimeCore):
    """aiogram-i18n's Fluent core that remembers what it formatted.

    A text with the same arguments formats the same (Fluent's functions are pure), and a
    press renders about twenty texts, most of them with no or the same arguments as the
    press before (titles, button labels, "page 2 of 9"); Fluent resolves each pattern again,
    and a number argument goes through babel's formatting every time. At most `REMEMBERED`
    results are kept (then it starts over)."""

    REMEMBERED = 4096

    def __init__(self, path: Path, default_locale: str) -> None:
        super().__init__(path=path, default_locale=default_locale)
        self._done: dict[tuple[Any, ...], str] = {}

    def get(self, message_id: str, locale: str | None = None, /, **kwargs: Any) -> str:
        if locale is None:  # the locale of the current update: resolved by aiogram-i18n
            return super().get(message_id, locale, **kwargs)
        # with each argument's type: 1, 1.0 and True are equal keys but may format apart
        key = (message_id, locale, *((k, type(v), v) for k, v in kwargs.items()))
        try:
            text = self._done.get(key)
        except TypeError:  # an argument that cannot be a key
            return super().get(message_id, locale, **kwargs)
        if text is None:
            text = super().get(message_id, locale, **kwargs)
            if len(self._done) >= self.REMEMBERED:
                self._done.clear()
            self._done[key] = text
        return text


def new_core() -> FluentRuntimeCore:
    """Fluent texts read from disk; a Dispatcher's middleware owns its own (it clears them
    on shutdown)."""
    core = TextsCore(path=LOCALES_DIR / "{locale}", default_locale=DEFAULT_LANGUAGE)
    core.locales.update(core.find_locales())  # load now so tests and jobs can render too
    return core


@functools.cache
def create_core() -> FluentRuntimeCore:
    """The texts for work outside an update (commands, errors, notifications), read once."""
    return new_core()


def create_i18n_middleware(core: FluentRuntimeCore | None = None) -> I18nMiddleware:
    return I18nMiddleware(
        core=core or new_core(),
        manager=PreferencesManager(default_locale=DEFAULT_LANGUAGE),
        default_locale=DEFAULT_LANGUAGE,
    )
