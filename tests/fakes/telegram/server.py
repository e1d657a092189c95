"""A loopback fake of the Telegram Bot API for end-to-end tests of the aiogram bot.

Serves `/bot{token}/{method}` and `/file/bot{token}/{path}` on 127.0.0.1 with a free port.
Point aiogram at it with `TelegramAPIServer.from_base(fake.base_url)` (the bot process reads
`TELEGRAM_API_BASE`). Replies use Telegram's envelope and Telegram's error descriptions, so the
bot meets the same exceptions it meets in production. Private chats only.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from bot.session import BotSession

from .markup import EntityParseError, ParsedText, parse_html, utf16_len
from .models import (
    ApiCall,
    ApiError,
    CallbackAnswer,
    ChatMessage,
    InlineButton,
    StoredFile,
    Upload,
    bad_request,
    plain_html,
)
from .signal import Signal
from .user import FakeUser

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher

T = TypeVar("T")
Handler = Callable[["Params"], Awaitable[Any]]

DEFAULT_TOKEN = "123456789:AAFakeTelegramTokenForTests_0123456789"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"
# Telegram's default when allowed_updates was never set: all but these three
_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
_OTHER_BUTTON_ACTIONS = frozenset(
    {
        "web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay",
    }
)  # fmt: skip
# parameters that are strings even when a form value looks like a number or JSON
_TEXT_PARAMS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "inline_message_id", "url",
        "secret_token", "language_code", "action", "file_id", "photo", "document", "video",
        "audio", "animation", "voice", "sticker", "thumbnail", "emoji", "name", "description",
        "short_description", "title", "query", "ip_address", "business_connection_id",
        "message_effect_id", "custom_emoji_id",
    }
)  # fmt: skip
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_INT = re.compile(r"-?\d+")


def _decode_form_value(key: str, value: str) -> Any:
    """Form bodies carry every value as a string; aiogram JSON-encodes the non-strings."""
    if key in _TEXT_PARAMS:
        return value
    if value in ("true", "false"):
        return value == "true"
    if _INT.fullmatch(value):
        return int(value)
    if value[:1] in ("{", "["):
        with suppress(ValueError):
            return json.loads(value)
    return value


class LoopbackSession(BotSession):
    """The bot's own session (JSON bodies, lean answers: bot/session.py), closing without
    aiogram's 250 ms wait for TLS connections to drain.

    The fake speaks plain HTTP on loopback, so there is nothing to drain, and the wait would
    cost every test a quarter of a second.
    """

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


class Params:
    """A request's parameters with Telegram-like coercion and errors."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        raise bad_request(f"field {name!r} must be of type String")

    def get_int(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT.fullmatch(value):
            return int(value)
        raise bad_request(f"invalid {name} specified")

    def get_bool(self, name: str) -> bool:
        return self.values.get(name) in (True, "true", "True", "1", 1)

    def get_json(self, name: str, *, error: str | None = None) -> Any:
        value = self.values.get(name)
        if isinstance(value, str) and value[:1] in ("{", "["):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error or f"can't parse {name} JSON object") from None
        return value


@dataclass
class _Markup:
    """A reply_markup, split the way Telegram treats it."""

    inline: list[list[InlineButton]] | None = None  # None: no inline keyboard given
    reply_keyboard: list[list[str]] | None = None
    remove_keyboard: bool = False


@dataclass
class _Query:
    user: FakeUser
    message_id: int
    data: str
    answer: CallbackAnswer | None = None


@dataclass
class _Failure:
    error: ApiError
    times: int


class FakeTelegram:
    """The fake Bot API server with its scripted users.

    `async with FakeTelegram() as tg:` starts it; `tg.user(42)` makes a user; `tg.calls` logs
    every request; `tg.flood(...)`, `tg.fail(...)` and `user.block_bot()` inject failures.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "wbrep_test_bot",
        bot_first_name: str = "WB Reputation",
        strict_html: bool = True,
        max_long_poll: float = 50.0,
        flood_limits: bool = False,
        per_second: int = 30,
        chat_gap: float = 0.9,
    ) -> None:
        """`strict_html` also refuses a bare `&` in HTML text (real Telegram shows it).

        `flood_limits` answers sendMessage with 429 (retry after 1 s) as Telegram does when
        a bot goes over its limits: more than `per_second` messages in any second, or two
        messages to one chat less than `chat_gap` seconds apart (Telegram's "about one a
        second", with room for the network's jitter). `flood_errors` counts them."""
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.strict_html = strict_html
        self.max_long_poll = max_long_poll
        self.flood_limits = flood_limits
        self.per_second = per_second
        self.chat_gap = chat_gap
        self.flood_errors = 0
        self._sent_at: deque[float] = deque()
        self._chat_sent_at: dict[str, float] = {}

        self.calls: list[ApiCall] = []
        self.unimplemented: list[ApiCall] = []
        self.deletions: list[tuple[int, int]] = []  # (chat_id, message_id) in order
        self.dropped_updates: list[dict[str, Any]] = []  # not queued: type not allowed
        self.webhook: dict[str, Any] | None = None  # the last setWebhook's parameters
        self.files: dict[str, StoredFile] = {}
        self.bot_profile: dict[tuple[str, str], str] = {}  # (field, language_code) -> value
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}  # chat_id (None: default)

        self._users: dict[int, FakeUser] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._allowed = _default_allowed()
        self._poll_generation = 0
        self._queries: dict[str, _Query] = {}
        self._next_query = 1
        self._next_file = 1
        self._commands: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._changes = Signal()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._handlers: dict[str, Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "setmydescription": self._profile_setter("description"),
            "setmyshortdescription": self._profile_setter("short_description"),
            "setmyname": self._profile_setter("name"),
            "setchatmenubutton": self._set_chat_menu_button,
            "getchatmenubutton": self._get_chat_menu_button,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "deletemessage": self._delete_message,
            "deletemessages": self._delete_messages,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "getfile": self._get_file,
            "copymessage": self._copy_message,
            "forwardmessage": self._forward_message,
            "sendchataction": self._send_chat_action,
        }

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        """Long polls return at once, then the server closes."""
        self._closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For `TelegramAPIServer.from_base` and the bot process's TELEGRAM_API_BASE."""
        assert self._port, "FakeTelegram is not started"
        return f"http://127.0.0.1:{self._port}"

    def make_bot(self, *, token: str | None = None, parse_mode: str | None = "HTML") -> Bot:
        """An aiogram Bot wired to this fake (parse_mode HTML by default, like the app)."""
        from aiogram import Bot
        from aiogram.client.default import DefaultBotProperties
        from aiogram.client.telegram import TelegramAPIServer

        session = LoopbackSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(
            token or self.token,
            session=session,
            default=DefaultBotProperties(parse_mode=parse_mode),
        )

    @asynccontextmanager
    async def polling(
        self,
        dispatcher: Dispatcher,
        bot: Bot | None = None,
        *,
        polling_timeout: int = 1,
        **kwargs: Any,
    ) -> AsyncIterator[Bot]:
        """Run `dispatcher.start_polling` against the fake for the block's duration.

        Enters once the first getUpdates arrived; leaves after polling stopped and the bot
        session closed, re-raising what the polling task raised.
        """
        bot = bot or self.make_bot()
        mark = len(self.calls)
        task = asyncio.create_task(
            dispatcher.start_polling(
                bot,
                polling_timeout=polling_timeout,
                handle_signals=False,
                close_bot_session=True,
                **kwargs,
            )
        )

        def polling_started() -> bool:
            return task.done() or any(c.method.lower() == "getupdates" for c in self.calls[mark:])

        try:
            await self.wait_for(polling_started, timeout=10.0, what="the first getUpdates")
            if task.done():
                await task  # start-up failed: raise its error here
            yield bot
        finally:
            if not task.done():
                try:
                    await dispatcher.stop_polling()
                except RuntimeError:  # not running yet
                    task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            await bot.session.close()

    # --- users and failures ----------------------------------------------------------------

    def user(
        self,
        user_id: int,
        *,
        first_name: str = "Иван",
        username: str | None = None,
        language_code: str | None = "ru",
        last_name: str | None = None,
    ) -> FakeUser:
        """The user with this id (made on first use; later calls return the same user)."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        created = FakeUser(
            self,
            user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self._users[user_id] = created
        return created

    def flood(self, method: str, *, times: int = 1, retry_after: int = 5) -> None:
        """The next `times` calls of `method` get 429 with parameters.retry_after."""
        self.fail(
            method,
            error_code=429,
            description=f"Too Many Requests: retry after {retry_after}",
            times=times,
            retry_after=retry_after,
        )

    def fail(
        self,
        method: str,
        *,
        error_code: int,
        description: str,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """The next `times` calls of `method` get this error instead of being served."""
        error = ApiError(error_code, description, retry_after=retry_after)
        self._failures.setdefault(method.lower(), deque()).append(_Failure(error, times))

    # --- assertions ------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        """Calls of one method (case-insensitive, like Telegram), in order."""
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    def commands(
        self, *, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[tuple[str, str]] | None:
        """(command, description) pairs set for this scope and language, None if unset."""
        return self._commands.get((_scope_key(scope), language_code))

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        *,
        timeout: float = 5.0,
        what: str = "condition",
        signal: Signal | None = None,
    ) -> T:
        """Re-check `predicate` after every request and state change until it is truthy
        (after each `signal` only, when the predicate reads nothing else that changes)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result is not None and result is not False:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            await (signal or self._changes).wait(remaining)

    async def wait_call(
        self, method: str, *, timeout: float = 5.0, after: int | None = None
    ) -> ApiCall:
        """The first finished call of `method` at index >= `after` (default: from now on)."""
        start = len(self.calls) if after is None else after
        wanted = method.lower()

        def find() -> ApiCall | None:
            return next(
                (c for c in self.calls[start:] if c.method.lower() == wanted and c.status),
                None,
            )

        return await self.wait_for(find, timeout=timeout, what=f"a {method} call")

    # --- plumbing shared with FakeUser -----------------------------------------------------

    def _now(self) -> int:
        return int(time.time())

    def _notify(self) -> None:
        self._changes.notify()

    async def _wait_change(self, timeout: float) -> None:
        await self._changes.wait(timeout)

    def _queue_update(self, kind: str, payload: dict[str, Any]) -> None:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        if kind in self._allowed:
            self._updates.append(update)
        else:
            self.dropped_updates.append(update)
        self._notify()

    def _queue_callback(self, user: FakeUser, message: ChatMessage, data: str) -> str:
        query_id = str(4_000_000_000_000_000_000 + self._next_query)
        self._next_query += 1
        self._queries[query_id] = _Query(user, message.message_id, data)
        user._pressed(query_id)
        self._queue_update(
            "callback_query",
            {
                "id": query_id,
                "from": user._user_json(),
                "message": self._message_json(message, user),
                "chat_instance": str(-(10**18) - user.id),
                "data": data,
            },
        )
        return query_id

    def _unanswered_queries(self, user: FakeUser) -> list[str]:
        return [qid for qid, q in self._queries.items() if q.user is user and q.answer is None]

    def _store_file(
        self, data: bytes, filename: str, mime_type: str, *, kind: str, caption: str | None = None
    ) -> StoredFile:
        number = self._next_file
        self._next_file += 1
        extension = "." + filename.rsplit(".", 1)[1] if "." in filename else ""
        stored = StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:08d}",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"{kind}/file_{number}{extension}",
            filename=filename,
            mime_type=mime_type,
            data=data,
            caption=caption,
        )
        self.files[stored.file_id] = stored
        return stored

    def _bot_json(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _message_json(
        self, message: ChatMessage, user: FakeUser, *, nested: bool = False
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self._bot_json() if message.from_bot else user._user_json(),
            "chat": user._chat_json(),
            "date": message.date,
        }
        if message.edit_date is not None:
            body["edit_date"] = message.edit_date
        if message.forward_from_user_id is not None:
            origin = self._users.get(message.forward_from_user_id)
            body["forward_origin"] = {
                "type": "user",
                "date": message.date,
                "sender_user": origin._user_json() if origin else self._bot_json(),
            }
        if message.reply_to_message_id is not None and not nested:
            target = user._get(message.reply_to_message_id)
            if target is not None and not target.deleted:
                body["reply_to_message"] = self._message_json(target, user, nested=True)
        text_key, entities_key = "text", "entities"
        if message.kind != "text":
            text_key, entities_key = "caption", "caption_entities"
            stored = message.file
            assert stored is not None
            if message.kind == "photo":
                body["photo"] = [
                    {
                        "file_id": stored.file_id,
                        "file_unique_id": stored.file_unique_id,
                        "width": 320,
                        "height": 320,
                        "file_size": stored.size,
                    }
                ]
            else:
                body["document"] = {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_name": stored.filename,
                    "mime_type": stored.mime_type,
                    "file_size": stored.size,
                }
        if message.text or message.kind == "text":
            body[text_key] = message.text
        if message.entities:
            body[entities_key] = message.entities
        if message.keyboard:
            body["reply_markup"] = {
                "inline_keyboard": [[button.raw for button in row] for row in message.keyboard]
            }
        return body

    # --- HTTP ------------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            values = await _read_params(request)
        except ApiError as error:
            return web.json_response(error.envelope(), status=error.error_code)
        call = ApiCall(method=method, params=values, time=time.monotonic())
        self.calls.append(call)
        self._notify()
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            handler = self._handlers.get(method.lower())
            if handler is None:
                self.unimplemented.append(call)
                raise ApiError(404, "Not Found: method not found")
            self._injected_failure(method)
            if self.flood_limits and method.lower() == "sendmessage":
                self._check_flood(str(values.get("chat_id")), call.time)
            result = await handler(Params(values))
            body: dict[str, Any] = {"ok": True, "result": result}
            status = 200
        except ApiError as error:
            body, status = error.envelope(), error.error_code
            call.description = error.description
        call.status = status
        self._notify()
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").envelope(), status=401)
        path = request.match_info["path"]
        stored = next((f for f in self.files.values() if f.file_path == path), None)
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").envelope(), status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type)

    def _check_flood(self, chat: str, now: float) -> None:
        """Telegram's flood control (see `flood_limits`); an accepted send is counted."""
        while self._sent_at and self._sent_at[0] <= now - 1.0:
            self._sent_at.popleft()
        last = self._chat_sent_at.get(chat)
        if len(self._sent_at) >= self.per_second or (
            last is not None and now - last < self.chat_gap
        ):
            self.flood_errors += 1
            raise ApiError(
                429,
                "Too Many Requests: retry after 1",
                retry_after=1,
            )
        self._sent_at.append(now)
        self._chat_sent_at[chat] = now

    def _injected_failure(self, method: str) -> None:
        queue = self._failures.get(method.lower())
        if not queue:
            return
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.popleft()
        raise failure.error

    # --- helpers for the methods -----------------------------------------------------------

    def _chat(self, params: Params, key: str = "chat_id") -> FakeUser:
        value = params.values.get(key)
        if value is None or value == "":
            raise bad_request(f"{key} is empty")
        chat_id = value if isinstance(value, int) and not isinstance(value, bool) else None
        user = self._users.get(chat_id) if chat_id is not None else None
        if user is None:
            raise bad_request("chat not found")
        return user

    def _sendable_chat(self, params: Params) -> FakeUser:
        user = self._chat(params)
        if user.blocked:
            raise ApiError(403, BLOCKED)
        return user

    def _formatted(
        self, params: Params, text_key: str, entities_key: str
    ) -> tuple[ParsedText, str, str | None]:
        """(parsed text, its HTML, parse_mode) or the parse error Telegram gives."""
        text = params.get_str(text_key) or ""
        parse_mode = params.get_str("parse_mode") or None
        if parse_mode is None or parse_mode.lower() in ("markdown", "markdownv2"):
            # Markdown is not modelled: the text is kept as it came, without entities
            entities = params.get_json(entities_key) if parse_mode is None else None
            return ParsedText(text, list(entities or [])), plain_html(text), parse_mode
        if parse_mode.lower() != "html":
            raise bad_request("unsupported parse_mode")
        try:
            parsed = parse_html(text, strict=self.strict_html)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        return parsed, text, parse_mode

    def _markup(self, params: Params) -> _Markup:
        raw = params.get_json("reply_markup", error="can't parse reply keyboard markup JSON object")
        if raw is None or raw == "":
            return _Markup()
        if not isinstance(raw, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in raw:
            return _Markup(inline=_inline_keyboard(raw["inline_keyboard"]))
        if "keyboard" in raw:
            rows = raw["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request(
                    'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
                )
            labels = [[b["text"] if isinstance(b, dict) else str(b) for b in row] for row in rows]
            return _Markup(reply_keyboard=labels)
        if raw.get("remove_keyboard"):
            return _Markup(remove_keyboard=True)
        if raw.get("force_reply"):
            return _Markup()
        raise bad_request("can't parse reply keyboard markup JSON object")

    def _reply_target(self, user: FakeUser, params: Params) -> int | None:
        reply = params.get_json("reply_parameters")
        allow_missing = params.get_bool("allow_sending_without_reply")
        target_id: int | None
        if isinstance(reply, dict):
            target_id = reply.get("message_id")
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
        else:
            target_id = params.get_int("reply_to_message_id")
        if target_id is None:
            return None
        target = user._get(target_id)
        if target is None or target.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return target_id

    def _apply_reply_keyboard(self, user: FakeUser, markup: _Markup) -> None:
        if markup.reply_keyboard is not None:
            user.reply_keyboard = markup.reply_keyboard
        elif markup.remove_keyboard:
            user.reply_keyboard = None

    def _edit_target(self, params: Params) -> tuple[FakeUser, ChatMessage]:
        if params.values.get("inline_message_id"):
            raise bad_request("message to edit not found")  # no inline messages here
        user = self._chat(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = user._get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return user, message

    def _input_file(self, params: Params, field: str, kind: str) -> StoredFile:
        value = params.values.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.values.get(value.removeprefix("attach://"))
        if isinstance(value, Upload):
            mime = value.content_type
            if mime in ("", "application/octet-stream"):
                mime = mimetypes.guess_type(value.filename)[0] or "application/octet-stream"
            return self._store_file(value.data, value.filename, mime, kind=kind)
        if not value:
            raise bad_request(f"there is no {field} in the request")
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            # no network here: remember the URL, with no bytes
            name = value.rstrip("/").rsplit("/", 1)[-1] or field
            return self._store_file(b"", name, "application/octet-stream", kind=kind)
        raise bad_request("wrong file identifier/HTTP URL specified")

    # --- methods ---------------------------------------------------------------------------

    async def _get_me(self, params: Params) -> Any:
        return {
            **self._bot_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: Params) -> Any:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get_int("offset")
        limit = min(max(params.get_int("limit") or 100, 1), 100)
        timeout = max(params.get_int("timeout") or 0, 0)
        allowed = params.get_json("allowed_updates")
        if isinstance(allowed, list):
            self._allowed = set(allowed) if allowed else _default_allowed()
        if offset:
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            else:
                self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll ends with 409, as on Telegram
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(timeout, self.max_long_poll)
        while True:
            if self._closing:
                return []
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            if self._updates:
                return self._updates[:limit]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await self._wait_change(remaining)

    async def _set_webhook(self, params: Params) -> Any:
        url = params.get_str("url") or ""
        if not url:
            self.webhook = None
            return True
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        self.webhook = dict(params.values)
        allowed = params.get_json("allowed_updates")
        if isinstance(allowed, list):
            self._allowed = set(allowed) if allowed else _default_allowed()
        self._poll_generation += 1
        self._notify()
        return True

    async def _delete_webhook(self, params: Params) -> Any:
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        return True

    async def _get_webhook_info(self, params: Params) -> Any:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", "") if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook:
            info["max_connections"] = self.webhook.get("max_connections", 40)
            allowed = self.webhook.get("allowed_updates")
            if isinstance(allowed, list):
                info["allowed_updates"] = allowed
        return info

    async def _set_my_commands(self, params: Params) -> Any:
        commands = params.get_json("commands")
        if not isinstance(commands, list):
            raise bad_request("commands must be an Array")
        pairs: list[tuple[str, str]] = []
        for item in commands:
            if not isinstance(item, dict):
                raise bad_request("BotCommand must be an Object")
            command, description = item.get("command"), item.get("description")
            if not isinstance(command, str) or not _COMMAND.fullmatch(command):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            pairs.append((command, description))
        if len(pairs) > 100:
            raise bad_request("too many bot commands specified")
        key = (_scope_key(params.get_json("scope")), params.get_str("language_code") or "")
        if pairs:
            self._commands[key] = pairs
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: Params) -> Any:
        key = (_scope_key(params.get_json("scope")), params.get_str("language_code") or "")
        return [{"command": c, "description": d} for c, d in self._commands.get(key, [])]

    async def _delete_my_commands(self, params: Params) -> Any:
        key = (_scope_key(params.get_json("scope")), params.get_str("language_code") or "")
        self._commands.pop(key, None)
        return True

    def _profile_setter(self, field: str) -> Handler:
        async def setter(params: Params) -> Any:
            language = params.get_str("language_code") or ""
            self.bot_profile[(field, language)] = params.get_str(field) or ""
            return True

        return setter

    async def _set_chat_menu_button(self, params: Params) -> Any:
        chat_id = self._chat(params).id if params.values.get("chat_id") else None
        button = params.get_json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or "type" not in button:
            raise bad_request("can't parse menu button")
        self.menu_buttons[chat_id] = button
        return True

    async def _get_chat_menu_button(self, params: Params) -> Any:
        chat_id = self._chat(params).id if params.values.get("chat_id") else None
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}

    async def _send_message(self, params: Params) -> Any:
        user = self._sendable_chat(params)
        parsed, html, parse_mode = self._formatted(params, "text", "entities")
        if not parsed.text.strip():
            raise bad_request("message text is empty")
        if parsed.length > MAX_TEXT:
            raise bad_request("message is too long")
        markup = self._markup(params)
        reply_to = self._reply_target(user, params)
        message = user._add(
            from_bot=True,
            text=parsed.text,
            html=html,
            entities=parsed.entities,
            keyboard=markup.inline or [],
            parse_mode=parse_mode,
            reply_to_message_id=reply_to,
        )
        self._apply_reply_keyboard(user, markup)
        return self._message_json(message, user)

    async def _edit_message_text(self, params: Params) -> Any:
        user, message = self._edit_target(params)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        parsed, html, parse_mode = self._formatted(params, "text", "entities")
        if not parsed.text.strip():
            raise bad_request("message text is empty")
        if parsed.length > MAX_TEXT:
            raise bad_request("MESSAGE_TOO_LONG")
        return self._apply_edit(user, message, parsed, html, parse_mode, self._markup(params))

    async def _edit_message_caption(self, params: Params) -> Any:
        user, message = self._edit_target(params)
        if message.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        parsed, html, parse_mode = self._formatted(params, "caption", "caption_entities")
        if parsed.length > MAX_CAPTION:
            raise bad_request("message caption is too long")
        return self._apply_edit(user, message, parsed, html, parse_mode, self._markup(params))

    def _apply_edit(
        self,
        user: FakeUser,
        message: ChatMessage,
        parsed: ParsedText,
        html: str,
        parse_mode: str | None,
        markup: _Markup,
    ) -> Any:
        if markup.reply_keyboard is not None or markup.remove_keyboard:
            raise bad_request("inline keyboard expected")
        keyboard = markup.inline or []  # an edit without reply_markup drops the keyboard
        if (parsed.text, parsed.entities, keyboard) == (
            message.text,
            message.entities,
            message.keyboard,
        ):
            raise bad_request(NOT_MODIFIED)
        text_changed = (parsed.text, parsed.entities) != (message.text, message.entities)
        message.text, message.entities, message.keyboard = parsed.text, parsed.entities, keyboard
        message.html, message.parse_mode = html, parse_mode
        if text_changed:
            message.edited = True
            message.edit_date = self._now()
            message.versions.append(parsed.text)
        user._changed(message, "edited" if text_changed else "markup")
        return self._message_json(message, user)

    async def _edit_message_reply_markup(self, params: Params) -> Any:
        user, message = self._edit_target(params)
        markup = self._markup(params)
        if markup.reply_keyboard is not None or markup.remove_keyboard:
            raise bad_request("inline keyboard expected")
        keyboard = markup.inline or []
        if keyboard == message.keyboard:
            raise bad_request(NOT_MODIFIED)
        message.keyboard = keyboard
        user._changed(message, "markup")
        return self._message_json(message, user)

    async def _answer_callback_query(self, params: Params) -> Any:
        query_id = params.get_str("callback_query_id") or ""
        query = self._queries.get(query_id)
        if query is None or query.answer is not None:
            raise bad_request(QUERY_INVALID)
        text = params.get_str("text")
        if text is not None and utf16_len(text) > MAX_CALLBACK_ANSWER:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answer = CallbackAnswer(
            query_id=query_id,
            text=text,
            show_alert=params.get_bool("show_alert"),
            url=params.get_str("url"),
            cache_time=params.get_int("cache_time"),
            message_id=query.message_id,
            data=query.data,
        )
        query.user._answered(query.answer)
        return True

    async def _delete_message(self, params: Params) -> Any:
        user = self._chat(params)
        message_id = params.get_int("message_id")
        message = user._get(message_id) if message_id is not None else None
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        self._delete(user, message)
        return True

    async def _delete_messages(self, params: Params) -> Any:
        user = self._chat(params)
        ids = params.get_json("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must be an Array of 1-100 message identifiers")
        found = [m for i in ids if isinstance(i, int) and (m := user._get(i)) and not m.deleted]
        if not found:
            raise bad_request("message to delete not found")
        for message in found:
            self._delete(user, message)
        return True

    def _delete(self, user: FakeUser, message: ChatMessage) -> None:
        message.deleted = True
        self.deletions.append((user.id, message.message_id))
        self._notify()

    async def _send_photo(self, params: Params) -> Any:
        return self._send_media(params, "photo", "photos")

    async def _send_document(self, params: Params) -> Any:
        return self._send_media(params, "document", "documents")

    def _send_media(self, params: Params, field: str, kind: str) -> Any:
        user = self._sendable_chat(params)
        parsed, html, parse_mode = self._formatted(params, "caption", "caption_entities")
        if parsed.length > MAX_CAPTION:
            raise bad_request("message caption is too long")
        markup = self._markup(params)
        reply_to = self._reply_target(user, params)
        stored = self._input_file(params, field, kind)
        stored.caption = parsed.text or None
        message = user._add(
            from_bot=True,
            text=parsed.text,
            html=html,
            entities=parsed.entities,
            keyboard=markup.inline or [],
            kind=field,
            parse_mode=parse_mode,
            file=stored,
            reply_to_message_id=reply_to,
        )
        (user.photos if field == "photo" else user.documents).append(stored)
        self._apply_reply_keyboard(user, markup)
        return self._message_json(message, user)

    async def _get_file(self, params: Params) -> Any:
        stored = self.files.get(params.get_str("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    def _source_message(self, params: Params, missing: str) -> tuple[FakeUser, ChatMessage]:
        source_chat = self._chat(params, "from_chat_id")
        message_id = params.get_int("message_id")
        source = source_chat._get(message_id) if message_id is not None else None
        if source is None or source.deleted:
            raise bad_request(missing)
        return source_chat, source

    async def _copy_message(self, params: Params) -> Any:
        user = self._sendable_chat(params)
        _, source = self._source_message(params, "message to copy not found")
        text, html, entities = source.text, source.html, source.entities
        parse_mode = source.parse_mode
        if "caption" in params.values and source.kind != "text":
            parsed, html, parse_mode = self._formatted(params, "caption", "caption_entities")
            text, entities = parsed.text, parsed.entities
        markup = self._markup(params)
        message = user._add(
            from_bot=True,
            text=text,
            html=html,
            entities=list(entities),
            keyboard=markup.inline or [],
            kind=source.kind,
            parse_mode=parse_mode,
            file=source.file,
            reply_to_message_id=self._reply_target(user, params),
        )
        self._apply_reply_keyboard(user, markup)
        return {"message_id": message.message_id}

    async def _forward_message(self, params: Params) -> Any:
        user = self._sendable_chat(params)
        source_chat, source = self._source_message(params, "message to forward not found")
        message = user._add(
            from_bot=True,
            text=source.text,
            html=source.html,
            entities=list(source.entities),
            kind=source.kind,
            parse_mode=source.parse_mode,
            file=source.file,
            forward_from_user_id=self.bot_id if source.from_bot else source_chat.id,
        )
        return self._message_json(message, user)

    async def _send_chat_action(self, params: Params) -> Any:
        user = self._sendable_chat(params)
        action = params.get_str("action") or ""
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        user.chat_actions.append(action)
        self._notify()
        return True


def _default_allowed() -> set[str]:
    from aiogram.types import Update

    everything = {name for name in Update.model_fields if name != "update_id"}
    return everything - _NOT_BY_DEFAULT


def _scope_key(scope: Any) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


def _inline_keyboard(rows: Any) -> list[list[InlineButton]]:
    """Validate an inline keyboard the way Telegram answers the common mistakes."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    keyboard: list[list[InlineButton]] = []
    for row in rows:
        parsed_row: list[InlineButton] = []
        for raw in row:
            if not isinstance(raw, dict):
                raise bad_request("can't parse inline keyboard button: InlineKeyboardButton "
                                  "should be an Object")  # fmt: skip
            label = raw.get("text")
            if not isinstance(label, str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            if "callback_data" in raw:
                data = raw["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
                parsed_row.append(InlineButton(label, callback_data=data, raw=raw))
            elif "url" in raw:
                url = raw["url"]
                if not isinstance(url, str) or not url.strip():
                    raise bad_request("BUTTON_URL_INVALID")
                parsed_row.append(InlineButton(label, url=url, raw=raw))
            elif _OTHER_BUTTON_ACTIONS & raw.keys():
                parsed_row.append(InlineButton(label, raw=raw))
            else:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
        if parsed_row:
            keyboard.append(parsed_row)
    return keyboard


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Query string plus a JSON, urlencoded or multipart body, decoded to Python values."""
    values: dict[str, Any] = {k: _decode_form_value(k, v) for k, v in request.query.items()}
    if request.method != "POST" or not request.body_exists:
        return values
    content_type = request.content_type
    try:
        if content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise bad_request("JSON object expected")
            values.update(body)
        elif content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    values[key] = Upload(value.filename, value.content_type, data)
                elif isinstance(value, bytes | bytearray):
                    values[key] = _decode_form_value(key, bytes(value).decode("utf-8"))
                else:
                    values[key] = _decode_form_value(key, value)
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "Request Entity Too Large") from None
    except ValueError:
        raise bad_request("can't parse JSON object") from None
    return values
