"""Showing a screen: edit the message in place for a button press, send for a command."""

from __future__ import annotations

import contextlib

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram_i18n import I18nContext

from bot.background import busy
from bot.callbacks import MenuCb, MenuSection
from bot.middlewares.callback_answer import mark_answered
from bot.render import fit

# Edits that cannot be made: send the screen as a new message instead (a photo with a chart
# has a caption, not a text).
_SEND_INSTEAD = (
    "message to edit not found",
    "message can't be edited",
    "there is no text in the message to edit",
)


async def show(
    target: Message | CallbackQuery,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Edit the pressed message, or answer a command; 'not modified' is not an error."""
    text = fit(text)
    if isinstance(target, CallbackQuery):
        message = target.message
        if message is not None and not isinstance(message, InaccessibleMessage):
            try:
                edited = await message.edit_text(text, reply_markup=keyboard)
            except TelegramBadRequest as exc:
                if "message is not modified" in exc.message:
                    return message
                if not any(reason in exc.message for reason in _SEND_INSTEAD):
                    raise
            else:
                return edited if isinstance(edited, Message) else message
            return await message.answer(text, reply_markup=keyboard)
        if target.from_user is not None and target.bot is not None:
            return await target.bot.send_message(target.from_user.id, text, reply_markup=keyboard)
        return None
    return await target.answer(text, reply_markup=keyboard)


async def answer(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Answer a callback once; an expired query is not worth an error. Presses that have
    nothing to say need not call this (`CallbackAnswerMiddleware` answers them)."""
    mark_answered()
    with contextlib.suppress(TelegramBadRequest):
        await query.answer(text, show_alert=alert)


async def ask(
    target: Message | CallbackQuery,
    i18n: I18nContext,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """A prompt that waits for text: it says how to cancel and has a Cancel button (any
    button leaves the form, `LeaveForms`; this one goes home)."""
    cancel = InlineKeyboardButton(
        text=i18n.get("btn-cancel"), callback_data=MenuCb(section=MenuSection.HOME).pack()
    )
    rows = [*(keyboard.inline_keyboard if keyboard else []), [cancel]]
    if "/cancel" not in text:
        text = text + "\n\n" + i18n.get("prompt-cancel-hint")
    return await show(target, text, InlineKeyboardMarkup(inline_keyboard=rows))


__all__ = ["answer", "ask", "busy", "show"]
