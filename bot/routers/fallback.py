"""Last in line: what nobody else handled. Every callback gets an answer."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot.routing import Handlers
from bot.ui import answer
from services.records import UserRow

router = Handlers(name="fallback")


@router.callback_query()
async def on_unknown_callback(
    query: CallbackQuery, i18n: I18nContext, user: UserRow | None = None
) -> None:
    if user is None or not user.is_approved:
        await answer(query, i18n.get("access-not-approved"), alert=True)
        return
    await answer(query, i18n.get("error-stale"))


@router.message()
async def on_unknown_message(
    message: Message, i18n: I18nContext, user: UserRow | None = None
) -> None:
    if user is None:
        await message.answer(i18n.get("access-start-first"))
    elif not user.is_approved:
        await message.answer(i18n.get("access-not-approved"))
    else:
        await message.answer(i18n.get("unknown-input"))
