"""Typed rows for the tables the bot reads as a whole.

Each model lists the columns it needs; `from_record` picks them out of an asyncpg Record, so
a query may select more columns than a model holds. Models are plain frozen dataclasses:
cheap to build, easy to compare in tests.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Self

from asyncpg import Record

_NAMES: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    """A row class's field names, read once (`dataclasses.fields` walks the class each call)."""
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


class Row:
    """Mixin: build a dataclass from a Record with the same column names."""

    @classmethod
    def from_record(cls, record: Record, prefix: str = "") -> Self:
        """The row from its columns, named `<prefix><field>` when a prefix is given."""
        return cls(**{n: record[prefix + n] for n in _names(cls)})

    @classmethod
    def columns(cls, alias: str = "") -> str:
        """The select list of this row's columns, each prefixed `alias.` when given."""
        table = f"{alias}." if alias else ""
        return ", ".join(table + n for n in _names(cls))

    @classmethod
    def columns_as(cls, alias: str, prefix: str) -> str:
        """The columns of `alias` named `<prefix><field>`: two tables' rows in one select,
        read back with `from_record(record, prefix)`."""
        return ", ".join(f"{alias}.{n} AS {prefix}{n}" for n in _names(cls))


@dataclass(frozen=True, slots=True)
class UserRow(Row):
    id: str
    email: str
    is_approved: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TelegramAccountRow(Row):
    telegram_id: int
    user_id: str
    username: str | None
    first_name: str | None
    language_code: str | None
    is_blocked: bool


_SYNC_STATUS_KIND = {
    "last_product_update_status": "products",
    "last_review_update_status": "reviews",
    "last_question_update_status": "questions",
    "last_chat_update_status": "chats",
}


@dataclass(frozen=True, slots=True)
class StoreRef(Row):
    """What a store picker shows of a store: no tokens, no sync columns (which every sync
    changes), so it can be kept while the store's name, status and owner stay
    (services/access_cache.py)."""

    id: str
    name: str
    status: str | None

    @property
    def is_active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True, slots=True)
class StoreRow(Row):
    """A store as stored: the four token columns hold sealed values (`db.secrets`); use
    `services.wb.factory.store_tokens` for the plaintext, never the fields themselves."""

    id: str
    name: str
    owner_id: str
    api_token: str
    content_api_token: str | None
    feedbacks_api_token: str | None
    chat_api_token: str | None
    is_auto_no_reply_enabled: bool | None
    last_product_update_status: str | None
    last_product_update_date: datetime | None
    last_product_update_error: str | None
    last_review_update_status: str | None
    last_review_update_date: datetime | None
    last_review_update_error: str | None
    last_chat_update_status: str | None
    last_chat_update_date: datetime | None
    last_chat_update_next: str | None
    last_chat_update_error: str | None
    last_question_update_status: str | None
    last_question_update_date: datetime | None
    last_question_update_error: str | None
    total_reviews: int | None
    total_chats: int | None
    chat_tag_counts: dict[str, Any] | None
    ai_instructions: str | None
    status: str | None
    created_at: datetime

    @classmethod
    def columns(cls, alias: str = "") -> str:
        """The select list; a sync status `pending` whose run holds no live lease (the process
        died mid-run) reads `interrupted` (the lease is in `sync_state`, migration 0011)."""
        table = alias or "stores"
        parts = []
        for name in (f.name for f in dataclasses.fields(cls)):
            kind = _SYNC_STATUS_KIND.get(name)
            if kind is None:
                parts.append(f"{table}.{name}")
                continue
            parts.append(
                f"CASE WHEN {table}.{name} = 'pending' AND NOT EXISTS ("
                f"SELECT 1 FROM sync_state l WHERE l.store_id = {table}.id"
                f" AND l.kind = '{kind}' AND l.lease_holder IS NOT NULL"
                f" AND l.lease_expires_at > clock_timestamp())"
                f" THEN 'interrupted' ELSE {table}.{name} END AS {name}"
            )
        return ", ".join(parts)

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def __repr__(self) -> str:  # tokens never reach logs
        return f"StoreRow(id={self.id!r}, name={self.name!r}, status={self.status!r})"


@dataclass(frozen=True, slots=True)
class ProductRow(Row):
    id: str
    store_id: str
    owner_id: str
    name: str
    wb_product_id: str
    vendor_code: str
    price: int | None
    image_url: str | None
    review_count: int | None
    is_active: bool | None
    work_status: str | None
    wb_api_data: Any


@dataclass(frozen=True, slots=True)
class ReviewRow(Row):
    id: str
    product_id: str
    store_id: str
    owner_id: str
    rating: int
    text: str
    pros: str | None
    cons: str | None
    author: str
    date: datetime
    answer: Any
    photo_links: Any
    video: Any
    supplier_feedback_valuation: int | None
    has_answer: bool | None
    is_product_active: bool | None
    review_status_wb: str | None
    complaint_status: str | None
    complaint_text: str | None
    complaint_sent_date: datetime | None
    draft_reply: str | None


@dataclass(frozen=True, slots=True)
class ComplaintRow(Row):
    id: str
    review_id: str
    store_id: str
    owner_id: str
    product_id: str
    complaint_text: str
    reason_id: int
    reason_name: str
    status: str
    generated_at: datetime
    regenerated_count: int | None
    last_regenerated_at: datetime | None
    sent_at: datetime | None
    sent_by_user_id: str | None
    moderated_at: datetime | None
    ai_cost_usd: Decimal | None
    review_rating: int
    review_text: str
    review_date: datetime
    product_name: str | None
    product_vendor_code: str | None
