"""Input that must never become form data: tokens pasted anywhere, and actions that leave a form.

- `TokenShield` (messages): a message holding something shaped like a WB token or an LLM key
  (`sk-...`) is deleted at once, whoever sent it and wherever, unless it is a text answering the token step of a store
  form (whose handler deletes it itself and checks it); a token in the caption of a photo or
  a file at that step is deleted too, with a word on sending it as text. No handler sees it,
  so it cannot become a store name, a reply draft or a complaint text, and it is never echoed.
- `LeaveForms` (messages and button presses): a form that waits for text (a store name, a
  reply, a complaint text, a search) is left when the person does something else: presses any
  button or sends a command other than /cancel. A button that opens a form sets it again in
  its own handler, so a later message never lands on the object the person walked away from.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram_i18n import I18nContext

from bot.keyboards.stores import to_list
from services.ai.client import LLM_KEY_SHAPE
from services.records import UserRow
from services.wb.tokens import TOKEN_SHAPE

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class TokenShield(BaseMiddleware):
    """Deletes a message that holds a token, except where a token is what the form asks for."""

    def __init__(self, token_states: Collection[State]) -> None:
        self.token_states = _names(token_states)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Message):
            return await handler(event, data)
        text = event.text or event.caption or ""
        at_token_step = data.get("raw_state") in self.token_states
        secret = TOKEN_SHAPE.search(text) or LLM_KEY_SHAPE.search(text)
        if not secret or (at_token_step and event.text is not None):
            return await handler(event, data)
        # A token as the caption of a photo or a file at the token step: the form takes text
        # only, so it is deleted here and the person is told to send it as a message.
        if at_token_step:
            reply = "stores-token-caption"
        else:
            reply = "stores-stray-token" if TOKEN_SHAPE.search(text) else "ai-stray-key"
        i18n: I18nContext = data["i18n"]
        try:
            await event.delete()
        except TelegramAPIError:  # a group where the bot may not delete: say so, loudly
            with contextlib.suppress(TelegramAPIError):
                await event.answer(i18n.get("stores-token-not-deleted"))
            return None
        user: UserRow | None = data.get("user")
        private = event.chat.type == ChatType.PRIVATE  # buttons work in private chats only
        keyboard = to_list(i18n) if private and user is not None and user.is_approved else None
        if at_token_step:
            keyboard = None  # the form still waits for the token
        with contextlib.suppress(TelegramAPIError):
            await event.answer(i18n.get(reply), reply_markup=keyboard)
        return None


class LeaveForms(BaseMiddleware):
    """Leaves a text form on any button or command (/cancel excepted: it reports the exit)."""

    def __init__(self, keep: Collection[State] = ()) -> None:
        self.keep = _names(keep)
        """Forms that outlive other actions (registration: it has no object to mix up)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        state: FSMContext | None = data.get("state")
        in_form = data.get("raw_state") not in (None, *self.keep)
        if state is not None and in_form and _leaves(event):
            await state.set_state(None)  # the data stays: open list views live there
            data["raw_state"] = None
        return await handler(event, data)


def _names(states: Collection[State]) -> frozenset[str]:
    return frozenset(s.state for s in states if s.state is not None)


def _leaves(event: TelegramObject) -> bool:
    """A button press, or a command other than /cancel."""
    if isinstance(event, CallbackQuery):
        return True
    if not isinstance(event, Message) or not (event.text or "").startswith("/"):
        return False
    words = (event.text or "")[1:].split(maxsplit=1)
    return not words or words[0].split("@", 1)[0].lower() != "cancel"
