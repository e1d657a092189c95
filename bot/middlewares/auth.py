"""Who is writing: the Telegram account, its user, their preferences, admin or not.

Runs as an outer middleware on every update, before i18n (which needs the language); one
query per update.
Puts into the handler data: `account` (TelegramAccountRow | None), `user` (UserRow | None),
`prefs` (the user_preferences row as a dict, or None), `is_admin` (bool).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from services.access import AccessService


class AuthMiddleware(BaseMiddleware):
    def __init__(self, access: AccessService, admin_ids: frozenset[int]) -> None:
        self.access = access
        self.admin_ids = admin_ids

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        tg_user: User | None = data.get("event_from_user")
        data["account"] = data["user"] = data["prefs"] = None
        data["is_admin"] = False
        if tg_user is not None:
            data["is_admin"] = tg_user.id in self.admin_ids
            identity = await self.access.identity(tg_user.id)
            if identity is not None:
                account, data["user"], data["prefs"] = identity
                data["account"] = account
                if account.is_blocked:  # they wrote to us again: not blocked any more
                    await self.access.set_reachable(tg_user.id, True)
        return await handler(event, data)
