"""`user_settings`: one row per user with their DeepSeek key, prompts, AI concurrency and
follow-up texts. AI work on a store reads its owner's row (domain rules, "Whose settings").

Keys are kept out of `repr` so a row never prints them, and the LLM keys (`SEALED_FIELDS`)
are stored sealed (`db.secrets`): written sealed here, opened here on read. A key the current
SECRET_KEY cannot open reads as None and is named in `unreadable_keys`, so AI work can say so
instead of silently billing the operator's key. JSONB columns are read as text and decoded
here, so the functions work with or without the pool's JSON codec.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import asyncpg

from db.pool import Conn
from db.secrets import SecretUnreadable, seal, unseal

Executor = Conn

DEFAULT_AI_CONCURRENCY: Final = 5
MAX_AI_CONCURRENCY: Final = 50

PROMPT_FIELDS: Final = (
    "prompt_chat_reply",
    "prompt_chat_tag",
    "prompt_chat_deletion_tag",
    "prompt_deletion_offer",
    "prompt_question_reply",
    "prompt_review_complaint",
    "prompt_review_reply",
)
KEY_FIELDS: Final = ("deepseek_api_key", "openai_api_key", "api_key")
SEALED_FIELDS: Final = ("deepseek_api_key", "openai_api_key")
"""The users' LLM keys. `api_key` (the web product's own key) is looked up by value
(`idx_user_settings_api_key`), so it is left as the web product writes it."""
NO_REPLY_TEXT_FIELDS: Final = (
    "no_reply_trigger_phrase",
    "no_reply_stop_message",
    "no_reply_trigger_phrase2",
    "no_reply_stop_message2",
)
JSON_LIST_FIELDS: Final = ("no_reply_messages", "no_reply_messages2")
UPDATABLE_FIELDS: Final = frozenset(
    (
        *PROMPT_FIELDS,
        *KEY_FIELDS,
        "ai_concurrency",
        "ai_monthly_cap_usd",
        *NO_REPLY_TEXT_FIELDS,
        *JSON_LIST_FIELDS,
    )
)

_COLUMNS: Final = (
    "id, deepseek_api_key, openai_api_key, api_key, ai_concurrency, "
    + ", ".join(PROMPT_FIELDS)
    + ", no_reply_messages::text AS no_reply_messages, no_reply_trigger_phrase, "
    "no_reply_stop_message, no_reply_messages2::text AS no_reply_messages2, "
    "no_reply_trigger_phrase2, no_reply_stop_message2, ai_monthly_cap_usd, created_at, updated_at"
)


@dataclass(frozen=True, slots=True)
class UserSettingsRow:
    id: str
    deepseek_api_key: str | None = field(default=None, repr=False)
    openai_api_key: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    ai_concurrency: int = DEFAULT_AI_CONCURRENCY
    prompt_chat_reply: str | None = None
    prompt_chat_tag: str | None = None
    prompt_chat_deletion_tag: str | None = None
    prompt_deletion_offer: str | None = None
    prompt_question_reply: str | None = None
    prompt_review_complaint: str | None = None
    prompt_review_reply: str | None = None
    no_reply_messages: list[str] = field(default_factory=list)
    no_reply_trigger_phrase: str | None = None
    no_reply_stop_message: str | None = None
    no_reply_messages2: list[str] = field(default_factory=list)
    no_reply_trigger_phrase2: str | None = None
    no_reply_stop_message2: str | None = None
    ai_monthly_cap_usd: Decimal | None = None
    """A cap on the month's LLM spend (USD); reached -> paid drafting stops (migration 0024)."""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    unreadable_keys: tuple[str, ...] = ()
    """Sealed keys the current SECRET_KEY cannot open (read as None)."""

    @property
    def has_deepseek_key(self) -> bool:
        return bool(self.deepseek_api_key and self.deepseek_api_key.strip())

    @property
    def effective_concurrency(self) -> int:
        """`ai_concurrency` clamped to 1..50; NULL or nonsense means the default 5."""
        value = self.ai_concurrency
        if not isinstance(value, int) or value < 1:
            return DEFAULT_AI_CONCURRENCY
        return min(value, MAX_AI_CONCURRENCY)


def _text_list(raw: Any) -> list[str]:
    if raw is None:
        return []
    value = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(value, list):
        return []
    # Items may be plain strings or {day, text} objects; keep the text.
    out: list[str] = []
    for item in value:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            out.append(item["text"])
    return out


def _opened(record: asyncpg.Record) -> tuple[dict[str, str | None], tuple[str, ...]]:
    keys: dict[str, str | None] = {}
    unreadable: list[str] = []
    for name in SEALED_FIELDS:
        try:
            keys[name] = unseal(record[name])
        except SecretUnreadable:
            keys[name] = None
            unreadable.append(name)
    return keys, tuple(unreadable)


def _row(record: asyncpg.Record) -> UserSettingsRow:
    concurrency = record["ai_concurrency"]
    keys, unreadable = _opened(record)
    return UserSettingsRow(
        id=record["id"],
        deepseek_api_key=keys["deepseek_api_key"],
        openai_api_key=keys["openai_api_key"],
        api_key=record["api_key"],
        ai_concurrency=DEFAULT_AI_CONCURRENCY if concurrency is None else int(concurrency),
        prompt_chat_reply=record["prompt_chat_reply"],
        prompt_chat_tag=record["prompt_chat_tag"],
        prompt_chat_deletion_tag=record["prompt_chat_deletion_tag"],
        prompt_deletion_offer=record["prompt_deletion_offer"],
        prompt_question_reply=record["prompt_question_reply"],
        prompt_review_complaint=record["prompt_review_complaint"],
        prompt_review_reply=record["prompt_review_reply"],
        no_reply_messages=_text_list(record["no_reply_messages"]),
        no_reply_trigger_phrase=record["no_reply_trigger_phrase"],
        no_reply_stop_message=record["no_reply_stop_message"],
        no_reply_messages2=_text_list(record["no_reply_messages2"]),
        no_reply_trigger_phrase2=record["no_reply_trigger_phrase2"],
        no_reply_stop_message2=record["no_reply_stop_message2"],
        ai_monthly_cap_usd=record["ai_monthly_cap_usd"],
        created_at=record["created_at"],
        updated_at=record["updated_at"],
        unreadable_keys=unreadable,
    )


async def get_user_settings(db: Executor, user_id: str) -> UserSettingsRow | None:
    record = await db.fetchrow(f"SELECT {_COLUMNS} FROM user_settings WHERE id = $1", user_id)
    return None if record is None else _row(record)


async def ensure_user_settings(db: Executor, user_id: str) -> UserSettingsRow:
    """The user's row, created with the schema's defaults when missing (the user must exist)."""
    await db.execute(
        "INSERT INTO user_settings (id) VALUES ($1) ON CONFLICT (id) DO NOTHING", user_id
    )
    row = await get_user_settings(db, user_id)
    assert row is not None
    return row


def _check_field(name: str, value: Any) -> Any:
    if name not in UPDATABLE_FIELDS:
        raise ValueError(f"user_settings field {name!r} cannot be updated here")
    if name == "ai_concurrency":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("ai_concurrency must be an integer")
        if not 1 <= value <= MAX_AI_CONCURRENCY:
            raise ValueError(f"ai_concurrency must be between 1 and {MAX_AI_CONCURRENCY}")
        return value
    if name == "ai_monthly_cap_usd":
        if value is None:
            return None
        try:
            cap = Decimal(str(value))
        except InvalidOperation as exc:
            raise ValueError("ai_monthly_cap_usd must be a number") from exc
        if not cap.is_finite() or cap < 0 or cap >= Decimal("100000000"):
            raise ValueError("ai_monthly_cap_usd must be between 0 and 99999999.99")
        return cap.quantize(Decimal("0.01"))
    if name in JSON_LIST_FIELDS:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{name} must be a list of strings")
        return json.dumps(list(value), ensure_ascii=False)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be text or None")
    if isinstance(value, str) and not value.strip():
        return None  # an empty prompt or key means "not set": fall back to the default
    if name in SEALED_FIELDS:
        return seal(value)
    return value


async def update_user_settings(db: Executor, user_id: str, **fields: Any) -> UserSettingsRow:
    """Set the given fields (prompts, keys, `ai_concurrency`, follow-up texts); creates the row.

    An empty string clears a text field (NULL), so the default prompt or key applies again.
    """
    if not fields:
        return await ensure_user_settings(db, user_id)
    names = sorted(fields)
    values = [_check_field(n, fields[n]) for n in names]
    cols = ", ".join(["id", *names])
    placeholders = ", ".join(
        ["$1"]
        + [
            f"${i}::text::jsonb" if n in JSON_LIST_FIELDS else f"${i}"
            for i, n in enumerate(names, start=2)
        ]
    )
    updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names)
    await db.execute(
        f"INSERT INTO user_settings ({cols}) VALUES ({placeholders}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}",
        user_id,
        *values,
    )
    row = await get_user_settings(db, user_id)
    assert row is not None
    return row
