"""Chat buttons: the person may act on the chat's store, or nothing runs.

Inner middleware of the chats router: it runs after the filters unpacked `callback_data` and
before the handler. A chat id that does not exist and one of someone else's store get the same
refusal; a board of a store the person does not work is refused the same way. The chat's store
is handed to the handler as `chat_store`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject
from aiogram_i18n import I18nContext

from bot.callbacks import ChatBoardCb, ChatCb, ChatListCb, StoreCb, decode_chat_id
from bot.ui import answer
from services.chats.service import ChatService


class ChatAccess(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        cb = data.get("callback_data")
        chats: ChatService = data["chats"]
        user = data.get("user")
        if isinstance(cb, ChatCb):
            store = await chats.store_of(user.id, decode_chat_id(cb.chat)) if user else None
            allowed = store is not None
            data["chat_store"] = store
        elif isinstance(cb, ChatBoardCb) and cb.store:
            allowed = user is not None and await chats.may_see_store(user.id, cb.store)
        elif isinstance(cb, StoreCb):
            allowed = user is not None and await chats.may_see_store(user.id, cb.store_id)
        elif isinstance(cb, ChatListCb) and cb.arg not in ("", "=") and not cb.arg.isdigit():
            allowed = user is not None and await chats.may_see_store(user.id, cb.arg)
        else:
            return await handler(event, data)
        if not allowed:
            i18n: I18nContext = data["i18n"]
            assert isinstance(event, CallbackQuery)
            await answer(event, i18n.get("ch-unavailable"), alert=True)
            return None
        return await handler(event, data)
