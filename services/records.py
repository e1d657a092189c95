"""The typed records services hand to the bot: rows and cards as `db` reads them.

`bot` never imports `db` (the import contract in `make lint`); it names these types from
here. They are frozen value objects with no connection behind them.
"""

from __future__ import annotations

from db.models import (
    ComplaintRow,
    ProductRow,
    ReviewRow,
    StoreRef,
    StoreRow,
    TelegramAccountRow,
    UserRow,
)
from db.pool import Conn
from db.repos.members import Role
from db.repos.review_pages import ComplaintCard, ReviewCard, ReviewFilter, ReviewLine
from db.repos.users import UserStatus

__all__ = [
    "ComplaintCard",
    "ComplaintRow",
    "Conn",
    "ProductRow",
    "ReviewCard",
    "ReviewFilter",
    "ReviewLine",
    "ReviewRow",
    "Role",
    "StoreRef",
    "StoreRow",
    "TelegramAccountRow",
    "UserRow",
    "UserStatus",
]
