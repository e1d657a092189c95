"""What the fake remembers: messages, buttons, files, calls. Plain data for test assertions."""

from __future__ import annotations

import copy
import html
from dataclasses import dataclass, field
from typing import Any


class ApiError(Exception):
    """A Bot API error reply; the server turns it into Telegram's error envelope."""

    def __init__(self, error_code: int, description: str, *, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass
class StoredFile:
    """A file the fake holds: uploaded by the bot or sent by a user; served by getFile."""

    file_id: str
    file_unique_id: str
    file_path: str
    filename: str
    mime_type: str
    data: bytes = field(repr=False)
    caption: str | None = None
    message_id: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class InlineButton:
    """One inline keyboard button as the bot sent it."""

    label: str
    callback_data: str | None = None
    url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)  # the button as sent

    @property
    def value(self) -> str:
        """callback_data, url, or the name of the button's other action."""
        if self.callback_data is not None:
            return self.callback_data
        if self.url is not None:
            return self.url
        return next((key for key in self.raw if key != "text"), "")


@dataclass
class ChatMessage:
    """A message in a private chat, as it stands now (or as it stood, for a snapshot).

    `text` is the visible text (a caption for media); `html` is Telegram HTML for it: the markup
    the bot sent in parse_mode HTML, else the escaped text.
    """

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str
    html: str
    entities: list[dict[str, Any]] = field(default_factory=list)
    keyboard: list[list[InlineButton]] = field(default_factory=list)
    kind: str = "text"  # text | photo | document
    parse_mode: str | None = None
    edited: bool = False
    deleted: bool = False
    edit_date: int | None = None
    file: StoredFile | None = None
    reply_to_message_id: int | None = None
    forward_from_user_id: int | None = None
    versions: list[str] = field(default_factory=list)  # visible texts, oldest first

    @property
    def id(self) -> int:
        return self.message_id

    def snapshot(self) -> ChatMessage:
        """A copy later changes to this message do not reach. The fake replaces `entities`
        and `keyboard` on an edit and appends to `versions`; buttons are frozen. A copy of
        each list, not `copy.deepcopy`: in the press benchmark deep copies were a third of
        the fake's CPU, and the fake shares a core with the bot it measures."""
        snap = copy.copy(self)
        snap.entities = [dict(entity) for entity in self.entities]
        snap.keyboard = [list(row) for row in self.keyboard]
        snap.versions = list(self.versions)
        if self.file is not None:
            snap.file = copy.copy(self.file)
        return snap

    @property
    def buttons(self) -> list[list[tuple[str, str]]]:
        """Rows of (label, callback_data or url)."""
        return [[(b.label, b.value) for b in row] for row in self.keyboard]

    @property
    def labels(self) -> list[str]:
        return [b.label for row in self.keyboard for b in row]

    def button(self, label: str) -> InlineButton:
        """The button with this exact label, else the one whose label contains it."""
        flat = [b for row in self.keyboard for b in row]
        exact = [b for b in flat if b.label == label]
        if exact:
            return exact[0]
        partial = [b for b in flat if label in b.label]
        if len(partial) == 1:
            return partial[0]
        what = "is ambiguous" if partial else "is not there"
        raise AssertionError(
            f"button {label!r} {what} on message {self.message_id} ({self.text[:60]!r}); "
            f"labels: {self.labels}"
        )


BotMessage = ChatMessage


def plain_html(text: str) -> str:
    return html.escape(text, quote=False)


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's answerCallbackQuery for one press."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    message_id: int | None
    data: str | None


@dataclass
class ApiCall:
    """One request to the fake, in arrival order.

    `params` are decoded: form values that are JSON (numbers, booleans, objects) come back as
    Python values, text fields stay strings, file parts are `Upload`s.
    """

    method: str
    params: dict[str, Any]
    time: float  # time.monotonic() on arrival
    status: int = 0  # HTTP status sent back; 0 while the call is in progress
    description: str | None = None  # the error description when not ok

    @property
    def ok(self) -> bool:
        return self.status == 200
