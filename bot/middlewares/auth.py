"""Who is writing: the Telegram account, its user, their preferences, admin or not.

Runs as an outer middleware on every update, before i18n (which needs the language).
Puts into the handler data: `account` (TelegramAccountRow | None), `user` (UserRow | None),
`prefs` (a Record of user_preferences or None), `is_admin` (bool).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from db.repos import users as users_repo


class AuthMiddleware(BaseMiddleware):
    def __init__(self, pool: asyncpg.Pool, admin_ids: frozenset[int]) -> None:
        self.pool = pool
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
            account = await users_repo.get_telegram_account(self.pool, tg_user.id)
            if account is not None:
                data["account"] = account
                data["user"] = await users_repo.get_user(self.pool, account.user_id)
                data["prefs"] = await self.pool.fetchrow(
                    "SELECT * FROM user_preferences WHERE user_id = $1", account.user_id
                )
                if account.is_blocked:  # they wrote to us again: not blocked any more
                    await users_repo.set_telegram_blocked(self.pool, tg_user.id, False)
        return await handler(event, data)
