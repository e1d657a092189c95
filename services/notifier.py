"""How services reach people without knowing Telegram: a small interface the bot implements.

Services decide who is told what and record it; the notifier only renders and sends. A send
answers `"sent"`, `"blocked"` (the person blocked the bot: final, the notifier has already
marked the account) or `"failed"` (anything else: the caller retries later).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

Delivery = Literal["sent", "blocked", "failed"]


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: str
    telegram_id: int
    language: str


@dataclass(frozen=True, slots=True)
class ReviewCard:
    """What an alert shows about one review (and its complaint draft, if it has one)."""

    review_id: str
    store_id: str
    store_name: str
    product_id: str
    product_name: str
    vendor_code: str
    nm_id: str
    rating: int
    text: str
    pros: str
    cons: str
    author: str
    date: datetime
    complaint_id: str | None = None
    complaint_status: str | None = None
    complaint_text: str | None = None
    reason_name: str | None = None

    @property
    def has_draft(self) -> bool:
        return self.complaint_id is not None and self.complaint_status == "draft"


@dataclass(frozen=True, slots=True)
class Notice:
    """A one-off message: `key` names the text, `args` fill it (plain values, not escaped)."""

    key: Literal["auth_failed", "token_expiring", "sequence_refused"]
    args: dict[str, str | int] = field(default_factory=dict)


class Notifier(Protocol):
    async def review_alert(self, to: Recipient, card: ReviewCard) -> Delivery: ...

    async def review_digest(self, to: Recipient, cards: list[ReviewCard]) -> Delivery: ...

    async def notice(self, to: Recipient, notice: Notice) -> Delivery: ...
