"""Router filters: who may reach a feature at all (per-object checks live in handlers)."""

from __future__ import annotations

from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message, TelegramObject

from services.records import UserRow


class Approved(Filter):
    """An approved user (registered, and an admin said yes)."""

    async def __call__(self, event: TelegramObject, user: UserRow | None = None) -> bool:
        return user is not None and user.is_approved


class IsAdmin(Filter):
    async def __call__(self, event: TelegramObject, is_admin: bool = False) -> bool:
        return is_admin


class Private(Filter):
    """A message or a button press in a private chat.

    A coroutine on purpose: aiogram runs a plain callable filter (`F.chat.type == ...`) in a
    worker thread (`asyncio.to_thread`), a thread hand-off on every update."""

    async def __call__(self, event: TelegramObject) -> bool:
        if isinstance(event, CallbackQuery):
            message = event.message
            return message is not None and message.chat.type == ChatType.PRIVATE
        return isinstance(event, Message) and event.chat.type == ChatType.PRIVATE
