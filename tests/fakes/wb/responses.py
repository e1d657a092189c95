"""WB's response shapes: envelopes, gateway problem+json, per-API error bodies (wb-api.md §2.6).

JSON is written the way WB's Go services write it: UTF-8, compact, and with ``<``, ``>``, ``&``
escaped as ``\\u003c``, ``\\u003e``, ``\\u0026`` (Go's default HTML-safe encoding), so clients must
decode JSON rather than match raw text.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

import pydantic_core
from aiohttp import web

PROBLEM = "application/problem+json"
JSON = "application/json"

_STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    451: "Unavailable for Legal Reasons",
}


def request_id() -> str:
    return secrets.token_hex(16)


def dumps(data: Any, *, fast: bool = False) -> bytes:
    """Compact UTF-8 JSON, HTML-escaped as Go does.

    `fast` encodes with pydantic's Rust encoder (about 3x quicker on feedback pages): the same
    bytes as `json` for strings, ints, bools, null, lists and dicts, but floats may be spelled
    differently (``1e16`` for ``1e+16``), so only data without floats should use it.
    """
    raw = b""
    if fast:
        try:
            raw = pydantic_core.to_json(data)
        except pydantic_core.PydanticSerializationError:  # a lone surrogate: the slow way
            fast = False
    if not fast:
        # replacing in bytes: str.replace on non-ASCII text is 20x slower; a lone surrogate
        # (a hostile text) goes out as its JSON escape `\udXXX`, as an encoder may send it
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8", "backslashreplace"
        )
    return raw.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


def json_response(
    data: Any,
    status: int = 200,
    *,
    content_type: str = JSON,
    headers: dict[str, str] | None = None,
    fast: bool = False,
) -> web.Response:
    return web.Response(
        body=dumps(data, fast=fast),
        status=status,
        headers={"Content-Type": f"{content_type}; charset=utf-8", **(headers or {})},
    )


def envelope(data: Any, *, fast: bool = False) -> web.Response:
    """Feedbacks/questions/prices success envelope (`fast`: see `dumps`)."""
    return json_response(
        {"data": data, "error": False, "errorText": "", "additionalErrors": None}, fast=fast
    )


def envelope_of_items(data: dict[str, Any], key: str, items: list[bytes]) -> web.Response:
    """The success envelope with `data[key]` a list of items already encoded by `dumps`."""
    head = dumps({**data, key: []}, fast=True)  # `key` is last: the body ends in b"[]}"
    body = b"".join(
        (
            b'{"data":',
            head[:-2],
            b",".join(items),
            b']},"error":false,"errorText":"","additionalErrors":null}',
        )
    )
    return web.Response(body=body, headers={"Content-Type": f"{JSON}; charset=utf-8"})


def envelope_error(status: int, text: str) -> web.Response:
    """Feedbacks-API application error (``responseFeedbackQuestionErr``)."""
    return json_response(
        {
            "data": None,
            "error": True,
            "errorText": text,
            "additionalErrors": None,
            "requestId": request_id(),
        },
        status,
    )


def fbapi_error(detail: str) -> web.Response:
    """The 400 shape of the feedback answer endpoints."""
    return json_response(
        {"title": "bad request", "requestId": request_id(), "origin": "fbapi", "detail": detail},
        400,
    )


def chat_error(
    status: int, detail: str, *, title: str = "Bad Request", problem: bool = False
) -> web.Response:
    """Buyer-chat errors (`proxy-chats`)."""
    return json_response(
        {
            "status": status,
            "title": title,
            "origin": "proxy-chats",
            "detail": detail,
            "requestId": request_id(),
            "error": detail,
        },
        status,
        content_type=PROBLEM if problem else JSON,
    )


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    origin: str = "s2s-api-auth-catalog",
    headers: dict[str, str] | None = None,
    now: datetime | None = None,
) -> web.Response:
    """Gateway errors: 401, 403, 404, 429 (application/problem+json)."""
    moment = now or datetime.now(UTC)
    return json_response(
        {
            "title": title,
            "detail": detail,
            "code": f"07e4668e-{secrets.token_hex(6)}-[UK-{secrets.token_urlsafe(8)}]",
            "requestId": request_id(),
            "origin": origin,
            "status": status,
            "statusText": _STATUS_TEXT.get(status, ""),
            "timestamp": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        status,
        content_type=PROBLEM,
        headers=headers,
    )
