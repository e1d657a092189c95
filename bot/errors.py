"""The last net: an unexpected error is logged and the person gets an answer, never a
spinning button or silence."""

from __future__ import annotations

import contextlib
import logging

from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent
from aiogram_i18n import I18nContext

from bot.i18n import create_core

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, i18n: I18nContext | None = None) -> bool:
    log.exception("unhandled error in update %s", event.update.update_id, exc_info=event.exception)
    text = (
        i18n.get("error-generic") if i18n is not None else create_core().get("error-generic", "ru")
    )
    update = event.update
    with contextlib.suppress(TelegramAPIError):
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.message is not None:
            await update.message.answer(text)
    return True
