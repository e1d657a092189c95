"""Buyer chat (host `buyer-chat-api`, wb-api.md §6).

Event paging (undocumented by WB, chosen here): without `next` the stream starts at the oldest
event; a page is the `events_page_size` events strictly after `next` (never cut between equal
timestamps), and `result.next` is the last event's `addTimestamp`. With nothing newer the
answer is `totalEvents: 0`, `events: []`, `next` echoing the request (or now, on the very first
call of an empty shop) and `newestEventTime`/`oldestEventTime` null.
"""

from __future__ import annotations

import mimetypes
import secrets
import uuid

from aiohttp import BodyPartReader, web

from tests.fakes.wb.context import Ctx, Route
from tests.fakes.wb.responses import PROBLEM, chat_error, json_response, request_id
from tests.fakes.wb.state import Attachment, fmt_utc

MESSAGE_MAX = 1000
SIGN_MAX = 255
FILE_MAX = 5 * 1024 * 1024
FILES_TOTAL_MAX = 30 * 1024 * 1024
ALLOWED_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})
RETRY_SECONDS = 30


def _code() -> str:
    return secrets.token_hex(6)[:11].upper()


async def list_chats(ctx: Ctx) -> web.StreamResponse:
    return json_response(
        {"result": [chat.to_json() for chat in ctx.seller.chats.values()], "errors": None}
    )


async def events(ctx: Ctx) -> web.StreamResponse:
    raw = ctx.request.query.get("next")
    after: int | None = None
    if raw is not None:
        try:
            after = int(raw, 10)
        except ValueError:
            return chat_error(400, "Invalid number")
        if after <= 0:
            return chat_error(400, 'Invalid value for "next"')
    page = ctx.seller.events_after(after, ctx.config.events_page_size)
    if page:
        result = {
            "next": page[-1].ts_ms,
            "newestEventTime": fmt_utc(page[-1].ts_ms // 1000),
            "oldestEventTime": fmt_utc(page[0].ts_ms // 1000),
            "totalEvents": len(page),
            "events": [event.to_json() for event in page],
        }
    else:
        result = {
            "next": after if after is not None else ctx.now_ms,
            "newestEventTime": None,
            "oldestEventTime": None,
            "totalEvents": 0,
            "events": [],
        }
    return json_response({"result": result, "errors": None})


async def send_message(ctx: Ctx) -> web.StreamResponse:
    request = ctx.request
    if not request.content_type.startswith("multipart/form-data"):
        return chat_error(400, "request Content-Type isn't multipart/form-data", problem=True)
    fields: dict[str, str] = {}
    files: list[tuple[str, str, bytes, int]] = []  # name, content type, data, size
    reader = await request.multipart()
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            await part.release()
            continue
        if part.name == "file" or part.filename is not None:
            name = part.filename or "file"
            ctype = part.headers.get("Content-Type", "")
            if not ctype or ctype == "application/octet-stream":
                ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            chunks: list[bytes] = []
            size = 0
            while chunk := await part.read_chunk():
                size += len(chunk)
                if size <= FILE_MAX:
                    chunks.append(chunk)
            files.append((name, ctype.split(";")[0].strip().lower(), b"".join(chunks), size))
        elif part.name:
            fields[part.name] = await part.text()
    sign = fields.get("replySign", "")
    if not sign or len(sign) > SIGN_MAX:
        return chat_error(400, 'Invalid value for "replySign"', problem=True)
    chat = ctx.seller.chat_by_sign(sign)
    if chat is None:
        return chat_error(400, "Invalid signature", problem=True)
    text = fields.get("message")
    if (text is not None and len(text) > MESSAGE_MAX) or (not text and not files):
        return chat_error(400, 'Invalid value for "message"', problem=True)
    total = 0
    for name, ctype, _data, size in files:
        if ctype not in ALLOWED_TYPES:
            return chat_error(400, f'{_code()}: "{name}" has unsupported mime type', problem=True)
        if size > FILE_MAX:
            return chat_error(400, f"{_code()}: attachment too big. Max size: 5MiB", problem=True)
        total += size
    if total > FILES_TOTAL_MAX:
        return chat_error(
            400, f"{_code()}: attachments too big. Max total size: 30MiB", problem=True
        )
    at_ms = ctx.now_ms
    attachments = [
        Attachment(str(uuid.uuid4()), name, ctype, at_ms, data=data)
        for name, ctype, data, _size in files
    ]
    event = ctx.seller.seller_message(
        chat.chat_id, text or None, at_ms=at_ms, attachments=attachments
    )
    ctx.stats.messages_sent.append((ctx.seller.sid, chat.chat_id, text or ""))
    return json_response(
        {
            "result": {"addTime": event.ts_ms, "chatID": chat.chat_id, "sign": chat.reply_sign},
            "errors": [],
        }
    )


async def download(ctx: Ctx) -> web.StreamResponse:
    file_id = ctx.request.match_info["id"]
    try:
        uuid.UUID(file_id)
    except ValueError:
        return chat_error(400, "invalid fileID", title="invalid fileID")
    attachment = ctx.seller.attachments.get(file_id)
    if attachment is None:
        return chat_error(400, "invalid fileID", title="invalid fileID")
    if attachment.moderation == "pending":
        return json_response({"moderationState": "pending", "retrySeconds": RETRY_SECONDS}, 202)
    if attachment.moderation == "blocked":
        return json_response(
            {
                "status": 451,
                "title": "Unavailable for Legal Reasons",
                "origin": "proxy-chats",
                "detail": "moderation error",
                "requestId": request_id(),
            },
            451,
            content_type=PROBLEM,
        )
    return web.Response(body=attachment.body(), content_type=attachment.content_type)


ROUTES = [
    Route("chat", "GET", "/api/v1/seller/chats", list_chats, "chat"),
    Route("chat", "GET", "/api/v1/seller/events", events, "chat"),
    Route("chat", "POST", "/api/v1/seller/message", send_message, "chat", True),
    Route("chat", "GET", "/api/v1/seller/download/{id}", download, "chat_download"),
]
