"""Review and complaint buttons: the person may act on the object's store, or nothing runs.

Registered as an inner middleware on the reviews and complaints routers, so it runs after a
handler's filters matched and before the handler, with the unpacked `callback_data`. An id
that does not exist and one from someone else's store get the same refusal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject
from aiogram_i18n import I18nContext

from bot.callbacks import ComplaintCb, PublishCb, ReviewCb
from bot.ui import answer
from bot.views.common import may_act


class ObjectAccess(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        cb = data.get("callback_data")
        if isinstance(cb, ReviewCb | PublishCb):
            entity, entity_id = "review", cb.review_id
        elif isinstance(cb, ComplaintCb):
            entity, entity_id = "complaint", cb.complaint_id
        else:
            return await handler(event, data)
        pool: asyncpg.Pool = data["pool"]
        if await may_act(pool, data.get("user"), entity, entity_id) is None:
            i18n: I18nContext = data["i18n"]
            assert isinstance(event, CallbackQuery)
            await answer(event, i18n.get("rv-unavailable"), alert=True)
            return None
        return await handler(event, data)
