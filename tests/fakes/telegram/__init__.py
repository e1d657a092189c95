"""Loopback fake of the Telegram Bot API with scripted users, for end-to-end bot tests."""

from .markup import EntityParseError, ParsedText, parse_html, utf16_len
from .models import (
    ApiCall,
    BotMessage,
    CallbackAnswer,
    ChatMessage,
    InlineButton,
    StoredFile,
    Upload,
)
from .server import DEFAULT_TOKEN, FakeTelegram, LoopbackSession
from .user import FakeUser

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "BotMessage",
    "CallbackAnswer",
    "ChatMessage",
    "EntityParseError",
    "FakeTelegram",
    "FakeUser",
    "InlineButton",
    "LoopbackSession",
    "ParsedText",
    "StoredFile",
    "Upload",
    "parse_html",
    "utf16_len",
]
