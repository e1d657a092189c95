"""The Bot API session: aiogram's aiohttp session, with less work per request.

Every press costs at least two Bot API requests (the edit and the callback's answer) and a
share of a `getUpdates`; in the press benchmark (issue 17) building and parsing them was
about half of the bot's CPU. Three things aiogram's session does that this one does not:

- Form bodies: aiogram walks every value in Python (`prepare_value`), URL-encodes each field
  and JSON-encodes nested ones (keyboards) first. A request without files is sent as one
  JSON body instead (the Bot API takes both), dumped by pydantic and encoded in C.
- Two parses: aiogram decodes the JSON into dicts, then validates them into models. Answers
  are validated straight from JSON (`model_validate_json`), one pass.
- Parsing what nobody reads: an edit answers with the whole edited message (a dozen nested
  models), which no caller of this bot reads back (`bot.ui.show` keeps the pressed message).
  For `ACK_ONLY` methods only `ok` is decoded and the result is `True`, which is what the
  Bot API itself answers for an edit of an inline message.

Anything unusual (an error status, `ok: false`, a body that does not parse, a request with
files or a value the JSON path does not know) goes through aiogram's own code, so its
exceptions (`TelegramBadRequest`, `TelegramRetryAfter`, `ClientDecodeError`...) are raised
exactly as before.

A press with nothing to say is answered by `acknowledge`: the same request, without building
and dumping a method model for one field.

aiogram parses every answer as `Response[<the method's result type>]`, a pydantic generic
built on first use. pydantic caches those classes by weak reference only, and a class lives
in reference cycles, so every full garbage collection freed them and the next request of
each method built its class again (several ms of CPU each). One reference per method is kept.
"""

from __future__ import annotations

import datetime
import json
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast

import msgspec
from aiogram.client.default import Default
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    Response,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiohttp import ClientError, ClientTimeout
from pydantic import ValidationError

if TYPE_CHECKING:
    from aiogram import Bot

ACK_ONLY: frozenset[type[TelegramMethod[Any]]] = frozenset(
    {EditMessageText, EditMessageReplyMarkup, AnswerCallbackQuery, DeleteMessage}
)
"""Methods whose answer the bot never reads: only `ok` is checked, the result is `True`."""

_RESPONSE_TYPES: dict[type[Any], type[Any]] = {}
"""Each method's parametrized `Response` class, built once per process and never freed."""

_JSON_HEADERS = {"Content-Type": "application/json"}


class _Ack(msgspec.Struct):
    ok: bool = False


_ACK = msgspec.json.Decoder(_Ack)  # skips the result without building it


class NeedsForm(Exception):
    """A value only aiogram's form path sends right (a file, an unset nested default)."""


def response_type(method: TelegramMethod[TelegramType]) -> type[Response[TelegramType]]:
    """The class aiogram asks pydantic for, kept alive here."""
    kind = type(method)
    found = _RESPONSE_TYPES.get(kind)
    if found is None:
        found = _RESPONSE_TYPES[kind] = Response[method.__returning__]  # type: ignore[name-defined]
    return cast(type[Response[TelegramType]], found)


class BotSession(AiohttpSession):
    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,
    ) -> TelegramType:
        try:
            body = self.json_body(bot, method)
        except NeedsForm:  # uploads need multipart: aiogram's own way
            return await super().make_request(bot, method, timeout)
        return await self.post(bot, method, body, timeout)

    async def acknowledge(self, bot: Bot, query_id: str) -> None:
        """`answerCallbackQuery` with no text: raises what any call raises. It skips the
        session's middlewares, so a 429 is not retried: a silent answer is not worth a wait
        (the spinner stops by itself) and its caller drops Bot API errors."""
        method = AnswerCallbackQuery.model_construct(callback_query_id=query_id)
        await self.post(bot, method, json.dumps({"callback_query_id": query_id}).encode())

    async def post(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        body: bytes,
        timeout: float | None = None,
    ) -> TelegramType:
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=body,
                headers=_JSON_HEADERS,
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw = await resp.read()
                status = resp.status
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        return self.read_result(bot, method, status, raw)

    def json_body(self, bot: Bot, method: TelegramMethod[TelegramType]) -> bytes:
        """The method's fields as aiogram would send them, as one JSON object: defaults
        resolved (`Default`), unset and empty-string fields left out (as aiogram's form
        leaves them out), times as Unix seconds. Raises `NeedsForm` for a file, or for a
        nested default the bot does not set (aiogram drops that key; rare, so left to it)."""

        def encode(value: Any) -> Any:
            if isinstance(value, Default):
                resolved = bot.default[value.name]
                if resolved is None:  # aiogram leaves the key out; JSON would say null
                    raise NeedsForm(f"unset default {value.name}")
                return resolved
            if isinstance(value, datetime.datetime):
                return round(value.timestamp())
            if isinstance(value, datetime.timedelta):
                return round((datetime.datetime.now() + value).timestamp())
            raise NeedsForm(type(value).__name__)  # InputFile, or anything else unknown

        fields: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False, exclude_none=True).items():
            if isinstance(value, Default):
                value = bot.default[value.name]
            if value is not None and value != "":
                fields[key] = value
        return json.dumps(
            fields, default=encode, ensure_ascii=False, separators=(",", ":")
        ).encode()

    def read_result(
        self, bot: Bot, method: TelegramMethod[TelegramType], status: int, raw: bytes
    ) -> TelegramType:
        if HTTPStatus.OK <= status <= HTTPStatus.IM_USED:
            try:
                if type(method) in ACK_ONLY:
                    if _ACK.decode(raw).ok:
                        return cast(TelegramType, True)
                else:
                    response = response_type(method).model_validate_json(raw, context={"bot": bot})
                    if response.ok:
                        return cast(TelegramType, response.result)
            except (ValidationError, msgspec.DecodeError, ValueError):
                pass  # aiogram's check below raises its own decode error
        content = raw.decode("utf-8", errors="replace")
        response = self.check_response(bot, method, status, content)  # raises on errors
        return cast(TelegramType, response.result)

    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        response_type(method)
        return super().check_response(bot, method, status_code, content)


__all__ = ["ACK_ONLY", "BotSession", "response_type"]
