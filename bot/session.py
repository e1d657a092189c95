"""The Bot API session: aiogram's aiohttp session, with less work per request.

Every press costs at least two Bot API requests (the edit and the callback's answer) and a
share of a `getUpdates`; in the press benchmark (issue 17) building and parsing them was
about half of the bot's CPU. Three things aiogram's session does that this one does not:

- Form bodies: aiogram URL-encodes each field, JSON-encoding nested ones (keyboards) first.
  A request without files is sent as one JSON body instead (the Bot API takes both).
- Two parses: aiogram decodes the JSON into dicts, then validates them into models. Answers
  are validated straight from JSON (`model_validate_json`), one pass.
- Parsing what nobody reads: an edit answers with the whole edited message (a dozen nested
  models), which no caller of this bot reads back (`bot.ui.show` keeps the pressed message).
  For `ACK_ONLY` methods only `ok` is decoded and the result is `True`, which is what the
  Bot API itself answers for an edit of an inline message.

Anything unusual (an error status, `ok: false`, a body that does not parse, a request with
files) goes through aiogram's own code, so its exceptions (`TelegramBadRequest`,
`TelegramRetryAfter`, `ClientDecodeError`...) are raised exactly as before.

aiogram parses every answer as `Response[<the method's result type>]`, a pydantic generic
built on first use. pydantic caches those classes by weak reference only, and a class lives
in reference cycles, so every full garbage collection freed them and the next request of
each method built its class again (several ms of CPU each). One reference per method is kept.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast

import msgspec
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
from aiogram.types import InputFile
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
_ENCODE = msgspec.json.Encoder().encode


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
        files: dict[str, InputFile] = {}
        body = self.json_body(bot, method, files)
        if files:  # uploads need multipart: aiogram's own way
            return await super().make_request(bot, method, timeout)
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

    def json_body(
        self, bot: Bot, method: TelegramMethod[TelegramType], files: dict[str, InputFile]
    ) -> bytes:
        """The method's fields as aiogram would send them (defaults resolved, files set
        aside), as one JSON object; unset and empty-string fields are left out, as aiogram's
        form leaves them out."""
        fields: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None and prepared != "":
                fields[key] = prepared
        return _ENCODE(fields)

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
