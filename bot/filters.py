"""Router filters: who may reach a feature at all (per-object checks live in handlers)."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from services.records import UserRow


class Approved(Filter):
    """An approved user (registered, and an admin said yes)."""

    async def __call__(self, event: TelegramObject, user: UserRow | None = None) -> bool:
        return user is not None and user.is_approved


class IsAdmin(Filter):
    async def __call__(self, event: TelegramObject, is_admin: bool = False) -> bool:
        return is_admin
