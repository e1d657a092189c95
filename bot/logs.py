"""Process logging: plain text or JSON lines (`LOG_FORMAT=json`), secrets scrubbed either way.

Every line logged while an update is handled carries its update id and the Telegram user id
(`bind_update`; contextvars, so each update's task has its own). The scrubber removes WB
tokens (the same `TOKEN_SHAPE` the WB client scrubs from its errors), LLM keys (`sk-...`),
Telegram bot tokens
(aiohttp and aiogram errors may print the API URL) and every secret setting's value.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime

from services.ai.client import LLM_KEY_SHAPE
from services.wb.tokens import TOKEN_SHAPE

UPDATE_ID: ContextVar[int | None] = ContextVar("update_id", default=None)
USER_ID: ContextVar[int | None] = ContextVar("user_id", default=None)

BOT_TOKEN_SHAPE = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}")


def bind_update(update_id: int | None, user_id: int | None) -> None:
    UPDATE_ID.set(update_id)
    USER_ID.set(user_id)


class Scrub(logging.Filter):
    """Replaces secrets in the formatted message (and arguments) with `***`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        text = LLM_KEY_SHAPE.sub("***", TOKEN_SHAPE.sub("***", text))
        return BOT_TOKEN_SHAPE.sub("***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.clean(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        record.msg, record.args = cleaned, None
        record.update_id = UPDATE_ID.get()
        record.user_id = USER_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "update_id": getattr(record, "update_id", None),
            "user_id": getattr(record, "user_id", None),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(level: str, fmt: str = "text", secrets: Iterable[str] = ()) -> None:
    """The root handler on stderr; text lines name the update and user when there is one."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(Scrub(secrets))
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(_TextFormatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # httpx logs every URL at INFO; URLs carry no secrets, but the noise helps nobody.
    logging.getLogger("httpx").setLevel(logging.WARNING)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        update_id = getattr(record, "update_id", None)
        if update_id is None:
            return text
        return f"{text} [update {update_id} user {getattr(record, 'user_id', None)}]"
