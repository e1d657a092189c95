"""The person's follow-up message sets (user_settings.no_reply_*): list, add, edit, reorder,
delete, trigger phrase and stop message. Every text that will reach a buyer is checked by the
output guard when saved (domain-rules.md, "What the AI may say" applies to our own texts too).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import asyncpg

from db.repos import user_settings as settings_repo
from services.ai.guard import check_text
from services.sequences import MessageSet
from services.untrusted import clean_text

MESSAGE_MAX: Final = 1000
TRIGGER_MAX: Final = 200
SET_MAX: Final = 14


class SetError(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    TOO_MANY = "too_many"
    NO_SUCH = "no_such"
    GUARD = "guard"


class MessageSetError(Exception):
    def __init__(self, code: SetError, problems: list[str] | None = None) -> None:
        super().__init__(code.value)
        self.code = code
        self.problems = problems or []


@dataclass(frozen=True, slots=True)
class SetView:
    set_no: MessageSet
    messages: list[str]
    trigger: str | None
    stop_message: str | None


def _columns(set_no: MessageSet) -> tuple[str, str, str]:
    if set_no is MessageSet.FIRST:
        return "no_reply_messages", "no_reply_trigger_phrase", "no_reply_stop_message"
    return "no_reply_messages2", "no_reply_trigger_phrase2", "no_reply_stop_message2"


class MessageSetService:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def get(self, user_id: str, set_no: MessageSet) -> SetView:
        s = await settings_repo.get_user_settings(self.pool, user_id)
        if s is None:
            return SetView(set_no, [], None, None)
        msgs, trig, stop = _columns(set_no)
        return SetView(set_no, list(getattr(s, msgs)), getattr(s, trig), getattr(s, stop))

    @staticmethod
    def checked(text: str, set_no: MessageSet) -> str:
        """The text as it will be sent, or an error: empty, over 1000, or the guard's no."""
        value = clean_text(text).strip()
        if not value:
            raise MessageSetError(SetError.EMPTY)
        if len(value) > MESSAGE_MAX:
            raise MessageSetError(SetError.TOO_LONG)
        rating = 4 if set_no is MessageSet.SECOND else 3
        result = check_text(value, channel="chat", rating=rating, compensation_allowed=True)
        if not result.ok:
            raise MessageSetError(SetError.GUARD, result.problems)
        return result.text  # what the guard read is what is sent

    async def _save_messages(self, user_id: str, set_no: MessageSet, msgs: list[str]) -> SetView:
        await settings_repo.update_user_settings(self.pool, user_id, **{_columns(set_no)[0]: msgs})
        return await self.get(user_id, set_no)

    async def add(self, user_id: str, set_no: MessageSet, text: str) -> SetView:
        view = await self.get(user_id, set_no)
        if len(view.messages) >= SET_MAX:
            raise MessageSetError(SetError.TOO_MANY)
        return await self._save_messages(
            user_id, set_no, [*view.messages, self.checked(text, set_no)]
        )

    async def edit(self, user_id: str, set_no: MessageSet, index: int, text: str) -> SetView:
        view = await self.get(user_id, set_no)
        if not 0 <= index < len(view.messages):
            raise MessageSetError(SetError.NO_SUCH)
        msgs = list(view.messages)
        msgs[index] = self.checked(text, set_no)
        return await self._save_messages(user_id, set_no, msgs)

    async def move_up(self, user_id: str, set_no: MessageSet, index: int) -> SetView:
        view = await self.get(user_id, set_no)
        if not 0 < index < len(view.messages):
            raise MessageSetError(SetError.NO_SUCH)
        msgs = list(view.messages)
        msgs[index - 1], msgs[index] = msgs[index], msgs[index - 1]
        return await self._save_messages(user_id, set_no, msgs)

    async def delete(self, user_id: str, set_no: MessageSet, index: int) -> SetView:
        view = await self.get(user_id, set_no)
        if not 0 <= index < len(view.messages):
            raise MessageSetError(SetError.NO_SUCH)
        msgs = [m for i, m in enumerate(view.messages) if i != index]
        return await self._save_messages(user_id, set_no, msgs)

    async def set_trigger(self, user_id: str, set_no: MessageSet, text: str) -> SetView:
        """The phrase that starts the set when the seller writes it ("-" clears it)."""
        value = clean_text(text).strip()
        if value == "-":
            value = ""
        if len(value) > TRIGGER_MAX:
            raise MessageSetError(SetError.TOO_LONG)
        await settings_repo.update_user_settings(self.pool, user_id, **{_columns(set_no)[1]: value})
        return await self.get(user_id, set_no)

    async def set_stop_message(self, user_id: str, set_no: MessageSet, text: str) -> SetView:
        """The message after the last step ("-" clears it); checked like the steps."""
        value = "" if text.strip() == "-" else self.checked(text, set_no)
        await settings_repo.update_user_settings(self.pool, user_id, **{_columns(set_no)[2]: value})
        return await self.get(user_id, set_no)
