"""Review, complaint and store-list buttons: the person may act on the store, or nothing runs.

Registered as an inner middleware on the reviews and complaints routers, so it runs after a
handler's filters matched and before the handler, with the unpacked `callback_data` (and the
list `view` that `ViewOf` found). An id
that does not exist and one from someone else's store get the same refusal. After a button
that may change a store's reviews or complaints, the person's open lists of that store count
again when shown next (`bot.views.lists.needs_recount`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, TelegramObject
from aiogram_i18n import I18nContext

from bot.callbacks import BatchCb, ComplaintCb, PickStoreCb, PublishCb, ReviewCb
from bot.ui import answer
from bot.views.lists import StoreView, needs_recount
from services.members import Members

KEEPS_COUNTS = frozenset({"o", "rl", "e", "re", "rd", "rg", "g", "rs"})
"""Review and complaint buttons that change nothing a list filters on (open, reasons, edit
prompts, reply drafts, a new complaint variant or reason); the others (a complaint drafted,
filed, judged or discarded, a reply published) may, so the store's lists count again."""


class ObjectAccess(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        cb = data.get("callback_data")
        members: Members = data["members"]
        user = data.get("user")
        user_id = user.id if user is not None else None
        acted_on: str | None = None  # the store of a review or complaint a button acts on
        action = ""
        if isinstance(cb, ReviewCb | PublishCb | ComplaintCb):
            action = cb.action
        if isinstance(cb, ReviewCb | PublishCb):
            acted_on = await members.may_act(user_id, "review", cb.review_id)
            allowed = acted_on is not None
        elif isinstance(cb, ComplaintCb):
            acted_on = await members.may_act(user_id, "complaint", cb.complaint_id)
            allowed = acted_on is not None
        elif isinstance(cb, PickStoreCb | BatchCb):
            allowed = await members.role(user_id, cb.store_id) is not None
        elif isinstance(view := data.get("view"), StoreView):  # a list page or filter (`ViewOf`)
            allowed = await members.role(user_id, view.store_id) is not None
        else:
            return await handler(event, data)
        if not allowed:
            i18n: I18nContext = data["i18n"]
            assert isinstance(event, CallbackQuery)
            await answer(event, i18n.get("rv-unavailable"), alert=True)
            return None
        result = await handler(event, data)
        state: FSMContext | None = data.get("state")
        if acted_on is not None and state is not None and action not in KEEPS_COUNTS:
            await needs_recount(state, acted_on)  # "Найдено 55" with 54 left, else
        return result
