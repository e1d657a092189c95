"""One way to answer a press: a handler with nothing to say leaves it to the middleware; one
that says something (`bot.ui.answer`) is answered once, with its text."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.middlewares.callback_answer import CallbackAnswerMiddleware
from bot.ui import answer
from tests.fakes.telegram import FakeTelegram, FakeUser


def buttons_router() -> Router:
    router = Router()

    @router.message(F.text)
    async def menu(message: Message) -> None:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(text="Тихо", callback_data="quiet"),
                    InlineKeyboardButton(text="Сказать", callback_data="say"),
                ]
            ]
        )
        await message.answer("Меню", reply_markup=markup)

    @router.callback_query(F.data == "quiet")
    async def quiet(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text("Сделано")

    @router.callback_query(F.data == "say")
    async def say(query: CallbackQuery) -> None:
        await answer(query, "Готово", alert=True)

    return router


@pytest.fixture
async def running(tg: FakeTelegram) -> AsyncIterator[Bot]:
    dp = Dispatcher()
    dp.callback_query.outer_middleware(CallbackAnswerMiddleware())
    dp.include_router(buttons_router())
    async with tg.polling(dp, tg.make_bot(), polling_timeout=5) as bot:
        yield bot


async def test_a_quiet_handler_is_answered_for_it(tg: FakeTelegram, running: Bot) -> None:
    user: FakeUser = tg.user(1001, first_name="Ива")
    await user.send("меню")
    await user.wait_message("Меню")
    query_id = await user.press("Тихо")
    await user.wait_message("Сделано")
    reply = await user.wait_answer(query_id)
    assert (reply.text, reply.show_alert) == (None, False)
    assert user.unanswered_queries == []


async def test_a_handler_that_answers_is_answered_once_with_its_text(
    tg: FakeTelegram, running: Bot
) -> None:
    user = tg.user(1002, first_name="Ива")
    await user.send("меню")
    await user.wait_message("Меню")
    query_id = await user.press("Сказать")
    reply = await user.wait_answer(query_id)
    assert (reply.text, reply.show_alert) == ("Готово", True)
    assert [a.query_id for a in user.answers].count(query_id) == 1
