"""The bot's Bot API session (bot/session.py) against the fake Telegram: JSON bodies, answers
validated from JSON, edits acknowledged without parsing, aiogram's errors unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import EditMessageText, GetMe, TelegramMethod
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiohttp import web

from bot.session import BotSession, NeedsForm
from tests.fakes.telegram import FakeTelegram

USER_ID = 4242


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    session = BotSession(api=TelegramAPIServer.from_base(tg.base_url))
    bot = Bot(tg.token, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    yield bot
    await session.close()


def _keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Да & нет <b>", callback_data="c:1")]]
    )


async def test_send_goes_as_json_with_defaults_resolved(tg: FakeTelegram, bot: Bot) -> None:
    user = tg.user(USER_ID)
    sent = await bot.send_message(
        USER_ID, "<b>Жирный</b> &amp; 🙂", reply_markup=_keyboard(), disable_notification=False
    )
    assert isinstance(sent, Message) and sent.bot is bot  # validated from JSON, bound to bot
    call = tg.calls_to("sendMessage")[-1]
    assert call.params["parse_mode"] == "HTML"  # the bot's default, resolved
    assert call.params["disable_notification"] is False  # a false field is sent, not dropped
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "Да & нет <b>"
    assert user.last_message.text == "Жирный & 🙂"
    assert user.last_message.labels == ["Да & нет <b>"]


async def test_edit_is_acknowledged_not_parsed(tg: FakeTelegram, bot: Bot) -> None:
    user = tg.user(USER_ID)
    sent = await bot.send_message(USER_ID, "первый")
    edited = await bot.edit_message_text(
        "второй", chat_id=USER_ID, message_id=sent.message_id, reply_markup=_keyboard()
    )
    assert edited is True
    assert user.last_message.text == "второй"


async def test_errors_are_aiograms(tg: FakeTelegram, bot: Bot) -> None:
    tg.user(USER_ID)
    sent = await bot.send_message(USER_ID, "текст")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("текст", chat_id=USER_ID, message_id=sent.message_id)
    tg.flood("editMessageText", retry_after=3)
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.edit_message_text("новый", chat_id=USER_ID, message_id=sent.message_id)
    assert flood.value.retry_after == 3
    tg.fail("sendMessage", error_code=500, description="Internal Server Error")
    with pytest.raises(TelegramServerError):
        await bot.send_message(USER_ID, "x")
    tg.fail("sendMessage", error_code=403, description="Forbidden: bot was blocked by the user")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(USER_ID, "x")


async def test_a_file_goes_as_multipart(tg: FakeTelegram, bot: Bot) -> None:
    user = tg.user(USER_ID)
    document = BufferedInputFile(b"a;b\n1;2\n", filename="r.csv")
    sent = await bot.send_document(USER_ID, document, caption="<i>отчёт</i>")
    assert isinstance(sent, Message) and sent.document is not None
    assert user.last_message.kind == "document" and user.last_message.text == "отчёт"


async def _serve(body: bytes) -> tuple[web.AppRunner, str]:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("body", "method"),
    [
        (b"<html>Bad Gateway</html>", GetMe()),
        (b'{"ok": true, "result": 5}', GetMe()),
        (b"<html>Bad Gateway</html>", EditMessageText(text="x", chat_id=1, message_id=1)),
    ],
)
async def test_a_body_that_does_not_parse_is_aiograms_decode_error(
    body: bytes, method: TelegramMethod[Any]
) -> None:
    runner, base = await _serve(body)
    session = BotSession(api=TelegramAPIServer.from_base(base))
    bot = Bot("1:x", session=session)
    try:
        with pytest.raises(ClientDecodeError):
            await bot(method)
    finally:
        await session.close()
        await runner.cleanup()


def test_json_body_resolves_defaults_times_and_leaves_out_unset_fields() -> None:
    import datetime
    import json

    from aiogram.methods import BanChatMember, SendMessage
    from aiogram.types import LinkPreviewOptions

    session = BotSession()
    bot = Bot("1:x", session=session, default=DefaultBotProperties(parse_mode="HTML"))
    sent = json.loads(
        session.json_body(
            bot,
            SendMessage(
                chat_id=5, text="<b>x</b>", reply_markup=_keyboard(), protect_content=False
            ),
        )
    )
    assert sent == {
        "chat_id": 5,
        "text": "<b>x</b>",
        "parse_mode": "HTML",
        "protect_content": False,
        "reply_markup": {"inline_keyboard": [[{"text": "Да & нет <b>", "callback_data": "c:1"}]]},
    }
    # a nested default the bot does not set is left to aiogram, which leaves the key out
    preview = SendMessage(
        chat_id=5, text="x", link_preview_options=LinkPreviewOptions(is_disabled=True)
    )
    with pytest.raises(NeedsForm):
        session.json_body(bot, preview)
    form = {field[0]["name"]: field[2] for field in session.build_form_data(bot, preview)._fields}
    assert json.loads(form["link_preview_options"]) == {"is_disabled": True}
    until = datetime.datetime(2030, 1, 2, tzinfo=datetime.UTC)
    banned = json.loads(
        session.json_body(bot, BanChatMember(chat_id=5, user_id=6, until_date=until))
    )
    assert banned == {"chat_id": 5, "user_id": 6, "until_date": round(until.timestamp())}
