"""Review, complaint and store-list buttons: the person may act on the store, or nothing runs.

Registered as an inner middleware on the reviews and complaints routers, so it runs after a
handler's filters matched and before the handler, with the unpacked `callback_data` (and the
list `view` that `ViewOf` found). An id
that does not exist and one from someone else's store get the same refusal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject
from aiogram_i18n import I18nContext

from bot.callbacks import BatchCb, ComplaintCb, PickStoreCb, PublishCb, ReviewCb
from bot.ui import answer
from bot.views.common import may_act, store_access


class ObjectAccess(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        cb = data.get("callback_data")
        pool: asyncpg.Pool = data["pool"]
        user = data.get("user")
        if isinstance(cb, ReviewCb | PublishCb):
            allowed = await may_act(pool, user, "review", cb.review_id) is not None
        elif isinstance(cb, ComplaintCb):
            allowed = await may_act(pool, user, "complaint", cb.complaint_id) is not None
        elif isinstance(cb, PickStoreCb | BatchCb):
            allowed = await store_access(pool, user, cb.store_id) is not None
        elif isinstance(view := data.get("view"), dict):  # a list page or filter (`ViewOf`)
            allowed = await store_access(pool, user, str(view.get("s", ""))) is not None
        else:
            return await handler(event, data)
        if not allowed:
            i18n: I18nContext = data["i18n"]
            assert isinstance(event, CallbackQuery)
            await answer(event, i18n.get("rv-unavailable"), alert=True)
            return None
        return await handler(event, data)
