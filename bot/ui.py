"""Showing a screen: edit the message in place for a button press, send for a command."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InaccessibleMessage, InlineKeyboardMarkup, Message

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
    """Answer a callback once; an expired query is not worth an error."""
    with contextlib.suppress(TelegramBadRequest):
        await query.answer(text, show_alert=alert)


_busy: set[str] = set()


@contextlib.contextmanager
def busy(key: str) -> Iterator[bool]:
    """True for the first press on `key` in this process while it works, False for the rest.

    A courtesy against double presses only: across processes PostgreSQL decides (leases,
    conditional updates, publish claims)."""
    if key in _busy:
        yield False
        return
    _busy.add(key)
    try:
        yield True
    finally:
        _busy.discard(key)
