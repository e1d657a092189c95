"""A scripted Telegram user in a private chat with the bot under test."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .markup import utf16_len
from .models import CallbackAnswer, ChatMessage, InlineButton, StoredFile, plain_html
from .signal import Signal

if TYPE_CHECKING:
    from .server import FakeTelegram


@dataclass
class _Event:
    kind: str  # new | edited | markup
    message: ChatMessage  # snapshot at the time of the event


def _snapshot(message: ChatMessage) -> ChatMessage:
    return message.snapshot()


class FakeUser:
    """One user and the private chat with the bot (chat id = user id).

    Message ids are per chat and shared by the user's and the bot's messages, like Telegram.
    Everything the bot does to this chat is kept here for assertions.
    """

    def __init__(
        self,
        tg: FakeTelegram,
        user_id: int,
        *,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> None:
        self._tg = tg
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.blocked = False
        self.answers: list[CallbackAnswer] = []
        self.chat_actions: list[str] = []
        self.documents: list[StoredFile] = []
        self.photos: list[StoredFile] = []
        self.reply_keyboard: list[list[str]] | None = None  # labels of the custom keyboard
        self._history: list[ChatMessage] = []
        self._by_id: dict[int, ChatMessage] = {}
        self._events: list[_Event] = []
        self._cursor = 0  # wait_message consumes events up to here
        self._signal = Signal()  # new events and callback answers of this chat
        self._next_message_id = 1
        self._last_query_id: str | None = None

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, username={self.username!r})"

    # --- the user's view -------------------------------------------------------------------

    @property
    def chat_id(self) -> int:
        return self.id

    @property
    def messages(self) -> list[ChatMessage]:
        """The bot's messages as they stand now (deleted ones flagged), oldest first."""
        return [_snapshot(m) for m in self._history if m.from_bot]

    @property
    def history(self) -> list[ChatMessage]:
        """All messages of the chat, the user's included, oldest first."""
        return [_snapshot(m) for m in self._history]

    @property
    def last_message(self) -> ChatMessage:
        """The newest bot message that is not deleted."""
        for message in reversed(self._history):
            if message.from_bot and not message.deleted:
                return _snapshot(message)
        raise AssertionError(f"the bot has sent no message to user {self.id}")

    def message(self, message_id: int) -> ChatMessage:
        found = self._by_id.get(message_id)
        if found is None:
            raise AssertionError(f"no message {message_id} in the chat with user {self.id}")
        return _snapshot(found)

    @property
    def unanswered_queries(self) -> list[str]:
        """Ids of this user's button presses the bot has not answered."""
        return self._tg._unanswered_queries(self)

    def block_bot(self) -> None:
        """From now on the bot's sends to this user fail with 403, as after a block."""
        self.blocked = True

    def unblock_bot(self) -> None:
        self.blocked = False

    # --- acting ----------------------------------------------------------------------------

    async def send(self, text: str) -> ChatMessage:
        """Send a text message; a leading /command gets its bot_command entity."""
        assert text.strip(), "Telegram clients do not send empty messages"
        entities: list[dict[str, Any]] = []
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        message = self._add(from_bot=False, text=text, html=plain_html(text), entities=entities)
        self._tg._queue_update("message", self._tg._message_json(message, self))
        return _snapshot(message)

    async def send_document(
        self,
        data: bytes,
        filename: str,
        *,
        caption: str | None = None,
        mime_type: str | None = None,
    ) -> ChatMessage:
        """Send a file; the bot can getFile and download it."""
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self._tg._store_file(data, filename, mime, kind="documents", caption=caption)
        message = self._add(
            from_bot=False,
            text=caption or "",
            html=plain_html(caption or ""),
            kind="document",
            file=stored,
        )
        self._tg._queue_update("message", self._tg._message_json(message, self))
        return _snapshot(message)

    async def press(self, label: str, *, message: ChatMessage | int | None = None) -> str:
        """Press the inline button with this label; returns the callback query id.

        Looks on the given message, else on the newest bot message that has the label
        (exact label first, else a label containing it, if only one does on that message).
        """
        target, button = self._find_button(label, message)
        if button.callback_data is None:
            what = (
                f"opens {button.url}" if button.url is not None else f"is a {button.value} button"
            )
            raise AssertionError(f"button {button.label!r} {what}: there is no callback to press")
        return self._tg._queue_callback(self, target, button.callback_data)

    async def press_data(self, data: str, message: ChatMessage | int) -> str:
        """Send callback data of our choosing (forged, stale) as a press on `message`."""
        return self._tg._queue_callback(self, self._live(message), data)

    async def wait_message(
        self, contains: str | None = None, *, timeout: float = 5.0
    ) -> ChatMessage:
        """The next new or edited bot message in this chat whose text contains `contains`.

        Works like `expect`: events are consumed in order, so each call returns a later event
        than the previous one, and events skipped on the way to a match are passed over.
        Matches against the visible text, then against the HTML. Returns a snapshot.
        """

        def find() -> ChatMessage | None:
            for index in range(self._cursor, len(self._events)):
                snap = self._events[index].message
                if contains is None or contains in snap.text or contains in snap.html:
                    self._cursor = index + 1
                    return snap
            return None

        try:
            return await self._tg.wait_for(
                find, timeout=timeout, what="message", signal=self._signal
            )
        except AssertionError:
            seen = [
                f"{e.kind} #{e.message.message_id}: {e.message.text[:80]!r}"
                for e in self._events[self._cursor :]
            ]
            wanted = "any bot message" if contains is None else f"a bot message with {contains!r}"
            raise AssertionError(
                f"user {self.id} waited {timeout}s for {wanted}; unread events: {seen or 'none'}"
            ) from None

    async def wait_answer(
        self, query_id: str | None = None, *, timeout: float = 5.0
    ) -> CallbackAnswer:
        """The bot's answerCallbackQuery for this press (default: the latest press)."""
        wanted = query_id or self._last_query_id
        assert wanted is not None, "no button was pressed"

        def find() -> CallbackAnswer | None:
            return next((a for a in self.answers if a.query_id == wanted), None)

        try:
            return await self._tg.wait_for(
                find, timeout=timeout, what="callback answer", signal=self._signal
            )
        except AssertionError:
            raise AssertionError(
                f"the bot did not answer callback query {wanted} of user {self.id} in {timeout}s"
            ) from None

    # --- used by the server ----------------------------------------------------------------

    def _find_button(
        self, label: str, message: ChatMessage | int | None
    ) -> tuple[ChatMessage, InlineButton]:
        if message is not None:
            target = self._live(message)
            return target, target.button(label)
        candidates = [m for m in reversed(self._history) if m.from_bot and not m.deleted]
        for candidate in candidates:
            exact = [b for row in candidate.keyboard for b in row if b.label == label]
            if exact:
                return candidate, exact[0]
        for candidate in candidates:
            partial = [b for row in candidate.keyboard for b in row if label in b.label]
            if len(partial) == 1:
                return candidate, partial[0]
            if partial:
                raise AssertionError(
                    f"button {label!r} is ambiguous on message {candidate.message_id}: "
                    f"{[b.label for b in partial]}"
                )
        shown = [f"#{m.message_id} {m.labels}" for m in candidates if m.keyboard]
        hint = f"; reply keyboard: {self.reply_keyboard}" if self.reply_keyboard else ""
        raise AssertionError(
            f"no button {label!r} in the chat with user {self.id}; "
            f"available labels: {'; '.join(shown) or 'none'}{hint}"
        )

    def _live(self, message: ChatMessage | int) -> ChatMessage:
        message_id = message if isinstance(message, int) else message.message_id
        found = self._by_id.get(message_id)
        if found is None or found.deleted:
            raise AssertionError(f"message {message_id} is not in the chat with user {self.id}")
        return found

    def _get(self, message_id: int) -> ChatMessage | None:
        return self._by_id.get(message_id)

    def _add(self, *, from_bot: bool, text: str, html: str, **fields: Any) -> ChatMessage:
        message = ChatMessage(
            message_id=self._next_message_id,
            chat_id=self.id,
            from_bot=from_bot,
            date=self._tg._now(),
            text=text,
            html=html,
            versions=[text],
            **fields,
        )
        self._next_message_id += 1
        if message.file is not None and message.file.message_id is None:
            message.file.message_id = message.message_id  # the first message that carried it
        self._history.append(message)
        self._by_id[message.message_id] = message
        if from_bot:
            self._changed(message, "new")
        return message

    def _changed(self, message: ChatMessage, kind: str) -> None:
        self._events.append(_Event(kind, _snapshot(message)))
        self._signal.notify()
        self._tg._notify()

    def _answered(self, answer: CallbackAnswer) -> None:
        self.answers.append(answer)
        self._signal.notify()
        self._tg._notify()

    def _pressed(self, query_id: str) -> None:
        self._last_query_id = query_id

    def _user_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _chat_json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat
