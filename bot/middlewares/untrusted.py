"""Typed text and button data with control characters are refused with a clear message.

PostgreSQL cannot store U+0000, and no person means a control character (a paste from
elsewhere, a crafted client): such a message used to reach a handler and end in "something
went wrong" when its text was written. The message is refused before any handler, with what
to do; a form waiting for text keeps waiting, so nothing is lost. The token steps are left to
their handler (it deletes the message first and checks the token). Button data with control
characters is never the bot's own: the press is answered like an outdated button.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram_i18n import I18nContext

from bot.middlewares.forms import Handler
from services.untrusted import has_controls


class ControlChars(BaseMiddleware):
    """Outer middleware for messages and button presses (see the module)."""

    def __init__(self, token_states: Collection[State] = ()) -> None:
        self.token_states = frozenset(s.state for s in token_states if s.state is not None)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        i18n: I18nContext = data["i18n"]
        if isinstance(event, Message):
            text = event.text or event.caption or ""
            if has_controls(text) and data.get("raw_state") not in self.token_states:
                with contextlib.suppress(TelegramAPIError):
                    await event.answer(i18n.get("input-control-chars"))
                return None
        elif isinstance(event, CallbackQuery) and has_controls(event.data or ""):
            with contextlib.suppress(TelegramAPIError):
                await event.answer(i18n.get("error-bad-button"), show_alert=True)
            return None
        return await handler(event, data)
