"""Every button press is answered once, so no spinner is left on the person's screen.

A handler that has something to say answers itself (`bot.ui.answer`, a toast or an
alert); one that has not need not: this middleware answers silently after it returns (a
failure is answered by `bot.errors`). One contextvar per press records whether `answer` was called.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, TelegramObject

from bot.session import BotSession

Data = dict[str, Any]
Handler = Callable[[TelegramObject, Data], Awaitable[Any]]
_answered: ContextVar[list[bool] | None] = ContextVar("callback_answered", default=None)


def mark_answered() -> None:
    """Called by `bot.ui.answer`: this press has its answer."""
    flag = _answered.get()
    if flag is not None:
        flag[0] = True


class CallbackAnswerMiddleware(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: Data) -> Any:
        if not isinstance(event, CallbackQuery):
            return await handler(event, data)
        flag = [False]
        token = _answered.set(flag)
        try:
            result = await handler(event, data)
        finally:
            _answered.reset(token)
        # A failure is answered by the errors handler (`bot.errors`), with its alert.
        if not flag[0]:
            with contextlib.suppress(TelegramAPIError):
                bot = event.bot
                if bot is not None and isinstance(bot.session, BotSession):
                    await bot.session.acknowledge(bot, event.id)  # no method model to build
                else:
                    await event.answer()
        return result
