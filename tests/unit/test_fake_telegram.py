"""The fake Telegram Bot API against a real aiogram Bot and Dispatcher polling loop."""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MenuButtonCommands,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from tests.fakes.telegram import FakeTelegram, FakeUser, parse_html

USER_ID = 1001


def production_like_bot(tg: FakeTelegram) -> Bot:
    """Wired the way bot/app.py wires it for TELEGRAM_API_BASE."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))
    return Bot(tg.token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    """For direct calls; its session skips aiogram's 250 ms close wait (see LoopbackSession)."""
    bot = tg.make_bot()
    yield bot
    await bot.session.close()


@pytest.fixture
def user(tg: FakeTelegram) -> FakeUser:
    return tg.user(USER_ID, first_name="Иван & Co", username="ivan")


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=label, url=value)
                if value.startswith("https://")
                else InlineKeyboardButton(text=label, callback_data=value)
                for label, value in row
            ]
            for row in rows
        ]
    )


def demo_router() -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        name = message.from_user.first_name if message.from_user else "?"
        text = f"Привет, <b>{html.escape(name)}</b>!"
        if command.args:
            text += f" Код: <code>{html.escape(command.args)}</code>"
        markup = keyboard([("Да ✅", "yes"), ("Нет", "no")], [("Сайт", "https://example.com")])
        await message.answer(text, reply_markup=markup)

    @router.callback_query(F.data.in_({"yes", "no"}))
    async def choose(call: CallbackQuery) -> None:
        assert isinstance(call.message, Message)
        await call.message.edit_text(f"Вы выбрали: {call.data}")
        await call.answer("Принято")

    @router.callback_query()
    async def stale(call: CallbackQuery) -> None:
        await call.answer("Кнопка устарела", show_alert=True)

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(html.escape(message.text or ""))

    return router


@pytest.fixture
async def running(tg: FakeTelegram) -> AsyncIterator[Bot]:
    dp = Dispatcher()
    dp.include_router(demo_router())
    async with tg.polling(dp, production_like_bot(tg), polling_timeout=5) as bot:
        yield bot


# --- the polling loop end to end ------------------------------------------------------------


async def test_start_keyboard_press_edits_and_answers(
    tg: FakeTelegram, user: FakeUser, running: Bot
) -> None:
    started = time.monotonic()
    await user.send("/start")
    greeting = await user.wait_message("Привет")
    assert time.monotonic() - started < 2.5  # the 5 s long poll returned once the update came

    assert greeting.text == "Привет, Иван & Co!"
    assert greeting.html == "Привет, <b>Иван &amp; Co</b>!"
    assert greeting.entities == [{"offset": 8, "length": 9, "type": "bold"}]
    assert greeting.buttons == [
        [("Да ✅", "yes"), ("Нет", "no")],
        [("Сайт", "https://example.com")],
    ]

    query_id = await user.press("Да")  # a unique substring of "Да ✅"
    edited = await user.wait_message("Вы выбрали")
    assert (edited.message_id, edited.text, edited.edited) == (
        greeting.message_id,
        "Вы выбрали: yes",
        True,
    )
    assert edited.keyboard == []  # an edit without reply_markup drops the keyboard
    assert edited.versions == ["Привет, Иван & Co!", "Вы выбрали: yes"]

    answer = await user.wait_answer(query_id)
    assert (answer.text, answer.show_alert, answer.data) == ("Принято", False, "yes")
    assert user.unanswered_queries == []
    assert user.last_message.text == "Вы выбрали: yes"


async def test_start_payload_command_entity_and_shared_message_ids(
    tg: FakeTelegram, user: FakeUser, running: Bot
) -> None:
    sent = await user.send("/start ref_42")
    assert sent.entities == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert "Код: ref_42" in (await user.wait_message()).text
    await user.send("1 < 2")
    assert (await user.wait_message()).text == "1 < 2"

    history = user.history
    assert [(m.message_id, m.from_bot) for m in history] == [
        (1, False),
        (2, True),
        (3, False),
        (4, True),
    ]
    update = tg.calls_to("getUpdates")
    assert update and all(call.params["timeout"] == 5 for call in update)


async def test_forged_callback_data_reaches_the_bot(user: FakeUser, running: Bot) -> None:
    await user.send("/start")
    greeting = await user.wait_message("Привет")
    await user.press_data("forged:999", greeting)
    answer = await user.wait_answer()
    assert (answer.text, answer.show_alert, answer.data) == ("Кнопка устарела", True, "forged:999")


async def test_press_fails_clearly(user: FakeUser, running: Bot) -> None:
    await user.send("/start")
    await user.wait_message("Привет")
    with pytest.raises(AssertionError, match=r"no button 'Может быть'.*'Да ✅', 'Нет', 'Сайт'"):
        await user.press("Может быть")
    with pytest.raises(AssertionError, match=re.escape("opens https://example.com")):
        await user.press("Сайт")
    with pytest.raises(
        AssertionError, match=re.escape("waited 0.05s for a bot message with 'nothing'")
    ):
        await user.wait_message("nothing", timeout=0.05)


async def test_updates_of_a_confirmed_offset_are_dropped(tg: FakeTelegram, bot: Bot) -> None:
    user = tg.user(7)
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await user.send("one")
    await user.send("two")
    first = await poll
    assert time.monotonic() - started < 2.5
    assert [u.message.text for u in first if u.message] == ["one", "two"]

    again = await bot.get_updates(offset=first[0].update_id + 1, timeout=0, limit=5)
    assert [u.update_id for u in again] == [first[1].update_id]
    assert await bot.get_updates(offset=first[1].update_id + 1, timeout=0) == []
    assert tg.pending_updates == []


async def test_second_long_poll_terminates_the_first(bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first
    assert await second == []


async def test_json_bodies_and_get_queries_work_too(tg: FakeTelegram, user: FakeUser) -> None:
    api = f"{tg.base_url}/bot{tg.token}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{api}/getMe") as resp:
            assert (resp.status, (await resp.json())["result"]["username"]) == (
                200,
                "wbrep_test_bot",
            )
        body = {"chat_id": user.id, "text": "<i>json</i>", "parse_mode": "HTML"}
        async with http.post(f"{api}/sendMessage", json=body) as resp:
            assert (await resp.json())["result"]["entities"][0]["type"] == "italic"
        async with http.post(
            f"{api}/sendMessage", json={"chat_id": user.id, "text": "<b>"}
        ) as resp:
            assert (await resp.json())["result"]["text"] == "<b>"  # no parse_mode: plain text
        async with http.get(f"{api}/getMe".replace(tg.token, "1:bad")) as resp:
            assert (resp.status, await resp.json()) == (
                401,
                {"ok": False, "error_code": 401, "description": "Unauthorized"},
            )
    assert [m.text for m in user.messages] == ["json", "<b>"]


# --- error modes as aiogram raises them -----------------------------------------------------


async def test_blocked_user_gives_forbidden(user: FakeUser, bot: Bot) -> None:
    user.block_bot()
    with pytest.raises(TelegramForbiddenError) as error:
        await bot.send_message(user.id, "привет")
    assert error.value.message == "Forbidden: bot was blocked by the user"
    user.unblock_bot()
    await bot.send_message(user.id, "привет")


async def test_flood_gives_retry_after(tg: FakeTelegram, user: FakeUser, bot: Bot) -> None:
    tg.flood("sendMessage", times=2, retry_after=7)
    for _ in range(2):
        with pytest.raises(TelegramRetryAfter) as error:
            await bot.send_message(user.id, "x")
        assert error.value.retry_after == 7
        assert "Too Many Requests: retry after 7" in error.value.message
    await bot.send_message(user.id, "x")
    assert [call.status for call in tg.calls_to("sendmessage")] == [429, 429, 200]


async def test_injected_failure_and_unauthorized(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail("getMe", error_code=500, description="Internal Server Error")
    with pytest.raises(TelegramServerError):
        await bot.get_me()
    me = await bot.get_me()
    assert (me.username, me.id, me.is_bot) == ("wbrep_test_bot", bot.id, True)

    intruder = tg.make_bot(token="42:wrong")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await intruder.get_me()
    finally:
        await intruder.session.close()


async def test_unknown_method_is_404_and_recorded(
    tg: FakeTelegram, user: FakeUser, bot: Bot
) -> None:
    with pytest.raises(TelegramNotFound, match="Not Found: method not found"):
        await bot.pin_chat_message(user.id, 1)
    assert [call.method for call in tg.unimplemented] == ["pinChatMessage"]


async def test_unknown_chat(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(555, "кто здесь")


async def test_length_is_counted_in_utf16_after_parsing(user: FakeUser, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest) as error:
        await bot.send_message(user.id, "я" * 5000)
    assert error.value.message == "Bad Request: message is too long"
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(user.id, "😀" * 2049)  # 4098 UTF-16 code units
    await bot.send_message(user.id, "😀" * 2048)
    await bot.send_message(user.id, "<b>" + "a" * 4096 + "</b>")  # tags do not count
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(user.id, "")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(user.id, "<b> </b>")


@pytest.mark.parametrize(
    ("data", "ok"),
    [("x" * 64, True), ("x" * 65, False), ("я" * 32, True), ("я" * 33, False), ("", False)],
)
async def test_callback_data_is_limited_to_64_bytes(
    user: FakeUser, bot: Bot, data: str, ok: bool
) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="кнопка", callback_data=data)]]
    )
    if ok:
        sent = await bot.send_message(user.id, "выбор", reply_markup=markup)
        assert sent.reply_markup is not None
        assert sent.reply_markup.model_dump() == markup.model_dump()
        return
    with pytest.raises(TelegramBadRequest) as error:
        await bot.send_message(user.id, "выбор", reply_markup=markup)
    assert error.value.message == "Bad Request: BUTTON_DATA_INVALID"


VALID_HTML = [
    ("<b>жирный</b> <strong>s</strong> <i>i</i><em>e</em>", "жирный s ie"),
    ("<u>u</u><ins>i</ins><s>s</s><strike>s</strike><del>d</del>", "uissd"),
    ('<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>', "xy"),
    ('<a href="https://example.com/?a=1&amp;b=2">ссылка</a>', "ссылка"),
    ('<pre><code class="language-python">print(1 &lt; 2)</code></pre>', "print(1 < 2)"),
    ("<blockquote>q</blockquote><blockquote expandable>e</blockquote>", "qe"),
    ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
    ("&lt;&gt;&amp;&quot;&#1071;&#x42F;", '<>&"ЯЯ'),
]

INVALID_HTML = [
    ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
    ("<br>", 'Unsupported start tag "br" at byte offset 0'),
    ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
    ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ("Ёж <b", "Unclosed start tag at byte offset 5"),  # offsets are in UTF-8 bytes
    ("Tom & Jerry", 'Unescaped "&" at byte offset 4'),
]


@pytest.mark.parametrize(("markup", "visible"), VALID_HTML)
async def test_valid_html_is_accepted(user: FakeUser, bot: Bot, markup: str, visible: str) -> None:
    sent = await bot.send_message(user.id, markup)
    assert sent.text == visible
    assert user.last_message.html == markup


@pytest.mark.parametrize(("markup", "reason"), INVALID_HTML)
async def test_invalid_html_is_refused(user: FakeUser, bot: Bot, markup: str, reason: str) -> None:
    with pytest.raises(TelegramBadRequest) as error:
        await bot.send_message(user.id, markup)
    assert error.value.message.startswith(f"Bad Request: can't parse entities: {reason}")


async def test_lenient_mode_shows_a_bare_ampersand_like_telegram() -> None:
    assert parse_html("Tom & Jerry &laquo;", strict=False).text == "Tom & Jerry &laquo;"
    async with FakeTelegram(strict_html=False) as tg:
        user = tg.user(9)
        bot = tg.make_bot()
        try:
            assert (await bot.send_message(user.id, "Tom & Jerry")).text == "Tom & Jerry"
        finally:
            await bot.session.close()


# --- editing, answering, deleting -----------------------------------------------------------


async def test_edit_rules(user: FakeUser, bot: Bot) -> None:
    markup = keyboard([("A", "a")])
    sent = await bot.send_message(user.id, "текст", reply_markup=markup)
    with pytest.raises(TelegramBadRequest) as error:
        await bot.edit_message_text(
            "текст", chat_id=user.id, message_id=sent.message_id, reply_markup=markup
        )
    assert error.value.message == (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=user.id, message_id=999)
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.edit_message_text("x" * 4097, chat_id=user.id, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.edit_message_text("<b>x", chat_id=user.id, message_id=sent.message_id)

    await bot.edit_message_reply_markup(
        chat_id=user.id, message_id=sent.message_id, reply_markup=keyboard([("B", "b")])
    )
    changed = user.message(sent.message_id)
    assert (changed.labels, changed.edited) == (["B"], False)  # markup edits are not "edited"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=user.id, message_id=sent.message_id, reply_markup=keyboard([("B", "b")])
        )
    await user.wait_message("текст")  # the new message, then the markup change
    assert (await user.wait_message(timeout=0.5)).labels == ["B"]


async def test_callback_answer_rules(tg: FakeTelegram, user: FakeUser, bot: Bot) -> None:
    sent = await bot.send_message(user.id, "выбор", reply_markup=keyboard([("A", "a")]))
    query_id = await user.press("A", message=sent.message_id)
    update = tg.pending_updates[-1]["callback_query"]
    assert (update["data"], update["message"]["message_id"]) == ("a", sent.message_id)

    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="ok")
    invalid = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    for bad_id in (query_id, "12345"):
        with pytest.raises(TelegramBadRequest) as error:
            await bot.answer_callback_query(bad_id)
        assert error.value.message == invalid
    assert [a.text for a in user.answers] == ["ok"]


async def test_bot_deletes_its_own_and_the_users_messages(
    tg: FakeTelegram, user: FakeUser, bot: Bot
) -> None:
    mine = await user.send("секрет")
    sent = await bot.send_message(user.id, "ответ")
    assert await bot.delete_message(user.id, mine.message_id)
    assert await bot.delete_message(user.id, sent.message_id)
    assert tg.deletions == [(user.id, 1), (user.id, 2)]
    assert [(m.message_id, m.deleted) for m in user.messages] == [(2, True)]
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(user.id, sent.message_id)
    with pytest.raises(AssertionError, match="has sent no message"):
        _ = user.last_message


# --- files, commands, webhook, the rest -----------------------------------------------------


async def test_documents_and_photos_round_trip(tg: FakeTelegram, user: FakeUser, bot: Bot) -> None:
    payload = "артикул;оценка\n123;5\n".encode()
    sent = await bot.send_document(
        user.id, BufferedInputFile(payload, "отчёт.csv"), caption="<b>Отчёт</b> за неделю"
    )
    assert sent.document is not None and sent.document.file_name == "отчёт.csv"
    assert sent.caption == "Отчёт за неделю"
    (stored,) = user.documents
    assert (stored.filename, stored.data, stored.mime_type) == ("отчёт.csv", payload, "text/csv")

    downloaded = await bot.download(sent.document.file_id)
    assert downloaded is not None and downloaded.read() == payload
    again = await bot.send_document(user.id, sent.document.file_id)  # re-send by file_id
    assert again.document is not None and again.document.file_id == sent.document.file_id

    photo = await bot.send_photo(user.id, BufferedInputFile(b"\x89PNG...", "chart.png"))
    assert photo.photo and user.photos[0].data == b"\x89PNG..."
    upload = tg.calls_to("sendPhoto")[0].params
    assert upload["photo"].startswith("attach://")

    incoming = await user.send_document(b"hello", "note.txt", caption="файл")
    assert incoming.file is not None
    file = await bot.get_file(incoming.file.file_id)
    assert file.file_path is not None
    assert (await bot.download_file(file.file_path)) is not None


async def test_commands_per_scope_and_language(tg: FakeTelegram, user: FakeUser, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Начать")])
    await bot.set_my_commands(
        [BotCommand(command="help", description="Help")],
        scope=BotCommandScopeChat(chat_id=user.id),
        language_code="en",
    )
    assert tg.commands() == [("start", "Начать")]
    scope = {"type": "chat", "chat_id": user.id}
    assert tg.commands(scope=scope, language_code="en") == [("help", "Help")]
    assert tg.commands(scope=scope) is None
    listed = await bot.get_my_commands(
        scope=BotCommandScopeChat(chat_id=user.id), language_code="en"
    )
    assert [(c.command, c.description) for c in listed] == [("help", "Help")]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-Name", description="x")])
    await bot.delete_my_commands()
    assert tg.commands() is None and await bot.get_my_commands() == []


async def test_webhook_blocks_get_updates(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_webhook("https://bot.example.com/tg", secret_token="s3cret")
    info = await bot.get_webhook_info()
    assert info.url == "https://bot.example.com/tg"
    assert tg.webhook is not None and tg.webhook["secret_token"] == "s3cret"
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    await tg.user(3).send("pending")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    await bot.delete_webhook(drop_pending_updates=True)
    assert tg.webhook is None and await bot.get_updates(timeout=0) == []


async def test_chat_action_menu_button_copy_forward_and_keyboards(
    tg: FakeTelegram, user: FakeUser, bot: Bot
) -> None:
    assert await bot.send_chat_action(user.id, "typing")
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(user.id, "dancing")
    assert user.chat_actions == ["typing"]

    await bot.set_chat_menu_button(chat_id=user.id, menu_button=MenuButtonCommands())
    assert isinstance(await bot.get_chat_menu_button(chat_id=user.id), MenuButtonCommands)

    admin = tg.user(2002, first_name="Админ")
    question = await user.send("Где мой заказ?")
    forwarded = await bot.forward_message(admin.id, user.id, question.message_id)
    assert forwarded.forward_origin is not None and admin.last_message.text == "Где мой заказ?"
    copied = await bot.copy_message(admin.id, user.id, question.message_id)
    assert admin.message(copied.message_id).text == "Где мой заказ?"

    reply = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Отзывы")]], resize_keyboard=True)
    await bot.send_message(user.id, "меню", reply_markup=reply)
    assert user.reply_keyboard == [["Отзывы"]]
    await bot.send_message(user.id, "скрыто", reply_markup=ReplyKeyboardRemove())
    assert user.reply_keyboard is None

    call = tg.calls_to("sendMessage")[0]
    assert (call.params["chat_id"], call.params["text"], call.ok) == (user.id, "меню", True)
    assert all(a.time <= b.time for a, b in zip(tg.calls, tg.calls[1:], strict=False))


async def test_flood_limits_per_chat_and_per_bot() -> None:
    async with FakeTelegram(flood_limits=True, per_second=5) as tg:
        bot = tg.make_bot()
        try:
            users = [tg.user(100 + i) for i in range(6)]
            await bot.send_message(users[0].id, "one")
            with pytest.raises(TelegramRetryAfter):
                await bot.send_message(users[0].id, "too soon for this chat")
            for u in users[1:5]:
                await bot.send_message(u.id, "x")
            with pytest.raises(TelegramRetryAfter):
                await bot.send_message(users[5].id, "the sixth in one second")
            assert tg.flood_errors == 2
        finally:
            await bot.session.close()


async def test_snapshots_keep_the_message_as_it_stood(
    tg: FakeTelegram, user: FakeUser, bot: Bot
) -> None:
    sent = await bot.send_message(user.id, "<b>один</b>", reply_markup=keyboard([("A", "a")]))
    before = user.message(sent.message_id)
    await bot.edit_message_text(
        "<i>два</i>",
        chat_id=user.id,
        message_id=sent.message_id,
        reply_markup=keyboard([("B", "b")]),
    )
    after = user.message(sent.message_id)
    assert (before.text, before.labels, before.versions, before.edited) == (
        "один",
        ["A"],
        ["один"],
        False,
    )
    assert before.entities == [{"type": "bold", "offset": 0, "length": 4}]
    assert (after.text, after.labels, after.versions) == ("два", ["B"], ["один", "два"])
    after.entities.clear()  # a test changing its snapshot changes nothing in the chat
    after.keyboard.clear()
    assert user.message(sent.message_id).entities == [{"type": "italic", "offset": 0, "length": 3}]
    assert user.message(sent.message_id).labels == ["B"]


async def test_a_wait_for_one_chat_wakes_on_that_chat_only(tg: FakeTelegram, bot: Bot) -> None:
    alice, bob = tg.user(2001, first_name="Alice"), tg.user(2002, first_name="Bob")
    waiting = asyncio.create_task(alice.wait_message("для Алисы", timeout=5))
    await asyncio.sleep(0)
    # Alice's wait hangs on her chat's signal, not on every change of the server
    assert (len(alice._signal._waiters), len(tg._changes._waiters)) == (1, 0)
    first = set(alice._signal._waiters)
    for n in range(3):
        await bot.send_message(bob.id, f"для Боба {n}")
    assert not waiting.done()
    assert alice._signal._waiters == first  # never woken: the same wait, not a new one
    await bot.send_message(alice.id, "для Алисы")
    assert (await waiting).text == "для Алисы"
