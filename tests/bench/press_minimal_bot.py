"""The reference for `bench_press.py`: a minimal aiogram bot whose handlers only send or edit
one message, with the same button labels the product's reviews list has.

`python -m tests.bench.press_minimal_bot` with BOT_TOKEN and TELEGRAM_API_BASE set; with
MINIMAL_ANSWERS=1 it also answers each press (`answerCallbackQuery`, which Telegram asks of
every bot so the button's spinner stops, and which the product does), for a second reference.
"""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher, F
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message


def _kb() -> InlineKeyboardMarkup:
    row = [InlineKeyboardButton(text=str(i), callback_data=f"c:{i}") for i in range(1, 6)]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            row,
            [InlineKeyboardButton(text="Далее »", callback_data="n")],
            [InlineKeyboardButton(text="« К списку", callback_data="l")],
            [InlineKeyboardButton(text="Отзывы", callback_data="o")],
            [InlineKeyboardButton(text="« Меню", callback_data="m")],
        ]
    )


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"]))
    bot = Bot(
        os.environ["BOT_TOKEN"], session=session, default=DefaultBotProperties(parse_mode="HTML")
    )
    dp = Dispatcher()
    presses = 0
    answers = os.environ.get("MINIMAL_ANSWERS") == "1"

    @dp.message(F.text)
    async def menu(message: Message) -> None:
        await message.answer("WB menu", reply_markup=_kb())

    @dp.callback_query()
    async def press(query: CallbackQuery) -> None:
        nonlocal presses
        presses += 1
        assert query.message is not None
        await bot.edit_message_text(
            f"Найдено 100 отзывов · {presses}",
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            reply_markup=_kb(),
        )
        if answers:
            await query.answer()

    await dp.start_polling(bot, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main())
