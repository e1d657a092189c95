"""Bot API calls that Telegram throttles (429) are retried a bounded number of times."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

log = logging.getLogger(__name__)


class RetryAfterMiddleware(BaseRequestMiddleware):
    def __init__(self, attempts: int = 3, max_wait: float = 30.0) -> None:
        self.attempts = attempts
        self.max_wait = max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts or exc.retry_after > self.max_wait:
                    raise
                log.warning(
                    "Telegram asks to wait %s s (%s)", exc.retry_after, method.__api_method__
                )
                await asyncio.sleep(exc.retry_after)
        raise AssertionError("unreachable")


__all__: list[Any] = ["RetryAfterMiddleware"]
