"""The Bot API session: aiogram's aiohttp session with its response types kept alive.

aiogram parses every answer of the Bot API as `Response[<the method's result type>]`, a
pydantic generic built on first use. pydantic caches those classes by weak reference only,
and a class lives in reference cycles, so every full garbage collection frees them and the
next request of each method builds its class again (schema and validator, several ms of CPU
each): in a profile of the press benchmark (issue 17) that rebuilding was about a tenth of
the bot's CPU. Holding one reference per method stops it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

_RESPONSE_TYPES: dict[type[Any], type[Any]] = {}
"""Each method's parametrized `Response` class, built once per process and never freed."""


class BotSession(AiohttpSession):
    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        kind = type(method)
        if kind not in _RESPONSE_TYPES:  # the same class aiogram asks pydantic for, kept here
            _RESPONSE_TYPES[kind] = Response[method.__returning__]  # type: ignore[name-defined]
        return super().check_response(bot, method, status_code, content)
