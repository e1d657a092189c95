"""Users and their Telegram accounts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.models import Row, TelegramAccountRow, UserRow
from db.pool import Conn
from db.secrets import token_hash

_USER = UserRow.columns()


async def create_user(
    conn: Conn, user_id: str, email: str, *, approved: bool, link_only: bool = False
) -> UserRow:
    """`link_only`: the operator created them, so only a personal link binds Telegram."""
    row = await conn.fetchrow(
        f"""INSERT INTO users (id, email, is_approved, link_only) VALUES ($1, $2, $3, $4)
            RETURNING {_USER}""",
        user_id,
        email,
        approved,
        link_only,
    )
    assert row is not None
    return UserRow.from_record(row)


async def get_user(conn: Conn, user_id: str) -> UserRow | None:
    row = await conn.fetchrow(f"SELECT {_USER} FROM users WHERE id = $1", user_id)
    return UserRow.from_record(row) if row else None


async def get_user_by_email(conn: Conn, email: str) -> UserRow | None:
    row = await conn.fetchrow(f"SELECT {_USER} FROM users WHERE email = $1", email)
    return UserRow.from_record(row) if row else None


async def set_approved(conn: Conn, user_id: str, approved: bool) -> UserRow | None:
    """Approving also clears an earlier rejection."""
    row = await conn.fetchrow(
        f"""UPDATE users SET is_approved = $2,
                  rejected_at = CASE WHEN $2 THEN NULL ELSE rejected_at END
            WHERE id = $1 RETURNING {_USER}""",
        user_id,
        approved,
    )
    return UserRow.from_record(row) if row else None


async def list_users(
    conn: Conn,
    *,
    approved: bool | None = None,
    after_email: str | None = None,
    limit: int = 100,
) -> list[UserRow]:
    """Users ordered by email, keyset-paged by the last email seen."""
    rows = await conn.fetch(
        f"""
        SELECT {_USER} FROM users
        WHERE ($1::boolean IS NULL OR is_approved = $1)
          AND ($2::text IS NULL OR email > $2)
        ORDER BY email
        LIMIT $3
        """,
        approved,
        after_email,
        limit,
    )
    return [UserRow.from_record(r) for r in rows]


_TG = TelegramAccountRow.columns()
_TG_T = TelegramAccountRow.columns("t")
_USER_U = UserRow.columns_as("u", "u_")  # beside the account's columns in one row


async def link_telegram(
    conn: Conn,
    telegram_id: int,
    user_id: str,
    *,
    username: str | None = None,
    first_name: str | None = None,
    language_code: str | None = None,
) -> TelegramAccountRow | None:
    """Link (or refresh) this Telegram account for this user; None when the account belongs
    to another user: a link never moves an account, whatever ran at the same moment."""
    row = await conn.fetchrow(
        f"""
        INSERT INTO telegram_accounts (telegram_id, user_id, username, first_name, language_code)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (telegram_id) DO UPDATE
           SET username = COALESCE(EXCLUDED.username, telegram_accounts.username),
               first_name = COALESCE(EXCLUDED.first_name, telegram_accounts.first_name),
               language_code = COALESCE(EXCLUDED.language_code, telegram_accounts.language_code),
               is_blocked = FALSE
         WHERE telegram_accounts.user_id = EXCLUDED.user_id
        RETURNING {_TG}
        """,
        telegram_id,
        user_id,
        username,
        first_name,
        language_code,
    )
    return None if row is None else TelegramAccountRow.from_record(row)


async def get_telegram_account(conn: Conn, telegram_id: int) -> TelegramAccountRow | None:
    row = await conn.fetchrow(
        f"SELECT {_TG} FROM telegram_accounts WHERE telegram_id = $1", telegram_id
    )
    return TelegramAccountRow.from_record(row) if row else None


async def get_telegram_account_of_user(conn: Conn, user_id: str) -> TelegramAccountRow | None:
    row = await conn.fetchrow(f"SELECT {_TG} FROM telegram_accounts WHERE user_id = $1", user_id)
    return TelegramAccountRow.from_record(row) if row else None


async def set_telegram_blocked(conn: Conn, telegram_id: int, blocked: bool) -> None:
    await conn.execute(
        "UPDATE telegram_accounts SET is_blocked = $2 WHERE telegram_id = $1", telegram_id, blocked
    )


# --- access: a user with their decision, Telegram account and language ------------------


@dataclass(frozen=True, slots=True)
class UserStatus(Row):
    """A user as admins see them: approval, who decided, how to reach them."""

    id: str
    email: str
    is_approved: bool
    rejected_at: datetime | None
    decided_at: datetime | None
    decided_by: int | None
    decided_by_name: str | None
    created_at: datetime
    telegram_id: int | None
    username: str | None
    first_name: str | None
    language_code: str | None
    is_blocked: bool | None
    language: str | None  # user_preferences.language

    @property
    def state(self) -> str:
        """approved | rejected | pending"""
        if self.is_approved:
            return "approved"
        return "rejected" if self.rejected_at is not None else "pending"


_STATUS = """
SELECT u.id, u.email, u.is_approved, u.rejected_at, u.decided_at, u.decided_by,
       u.decided_by_name, u.created_at, t.telegram_id, t.username, t.first_name,
       t.language_code, t.is_blocked, p.language
  FROM users u
  LEFT JOIN telegram_accounts t ON t.user_id = u.id
  LEFT JOIN user_preferences p ON p.user_id = u.id
"""


async def get_status(conn: Conn, user_id: str) -> UserStatus | None:
    row = await conn.fetchrow(_STATUS + " WHERE u.id = $1", user_id)
    return UserStatus.from_record(row) if row else None


async def get_status_by_telegram(conn: Conn, telegram_id: int) -> UserStatus | None:
    row = await conn.fetchrow(_STATUS + " WHERE t.telegram_id = $1", telegram_id)
    return UserStatus.from_record(row) if row else None


async def decide(
    conn: Conn,
    user_id: str,
    approve: bool,
    *,
    admin_id: int | None,
    admin_name: str | None,
    only_pending: bool,
) -> bool:
    """Record an admin's decision if it changes something; False when it would not.

    `only_pending` (a registration card's button): only a person nobody decided on yet.
    Otherwise (a command): approve anyone not approved, reject anyone not rejected. The
    conditions are in the UPDATE, so two admins pressing at once get one change.
    """
    if approve:
        where = "NOT is_approved" + (" AND rejected_at IS NULL" if only_pending else "")
        sets = "is_approved = TRUE, rejected_at = NULL"
    else:
        where = "rejected_at IS NULL" + (" AND NOT is_approved" if only_pending else "")
        sets = "is_approved = FALSE, rejected_at = NOW()"
    status = await conn.execute(
        f"""UPDATE users SET {sets}, decided_at = NOW(), decided_by = $2, decided_by_name = $3
             WHERE id = $1 AND {where}""",
        user_id,
        admin_id,
        admin_name,
    )
    return bool(status == "UPDATE 1")


async def list_pending(conn: Conn, *, limit: int = 20) -> list[UserStatus]:
    """People waiting for a decision, oldest registration first."""
    rows = await conn.fetch(
        _STATUS
        + """ WHERE NOT u.is_approved AND u.rejected_at IS NULL
              ORDER BY u.created_at, u.id LIMIT $1""",
        limit,
    )
    return [UserStatus.from_record(r) for r in rows]


async def count_users(conn: Conn, *, pending: bool = False) -> int:
    where = "WHERE NOT is_approved AND rejected_at IS NULL" if pending else ""
    return int(await conn.fetchval(f"SELECT count(*) FROM users {where}"))


async def list_statuses(
    conn: Conn, *, after_email: str | None = None, limit: int = 20
) -> list[UserStatus]:
    """All users by email, keyset-paged by the last email seen (idx_users_email)."""
    rows = await conn.fetch(
        _STATUS + " WHERE ($1::text IS NULL OR u.email > $1) ORDER BY u.email LIMIT $2",
        after_email,
        limit,
    )
    return [UserStatus.from_record(r) for r in rows]


async def save_pending_invite(conn: Conn, user_id: str, token: str) -> None:
    """The newest invite link a waiting person opened (one per person), by its hash only."""
    await conn.execute(
        """INSERT INTO pending_invites (user_id, token_hash) VALUES ($1, $2)
           ON CONFLICT (user_id) DO UPDATE
              SET token_hash = EXCLUDED.token_hash, created_at = NOW()""",
        user_id,
        token_hash(token),
    )


async def take_pending_invite(conn: Conn, user_id: str) -> str | None:
    """Remove and return the waiting invite's hash: whoever takes it applies it, once."""
    found = await conn.fetchval(
        "DELETE FROM pending_invites WHERE user_id = $1 RETURNING token_hash", user_id
    )
    return str(found) if found is not None else None


async def get_identity(
    conn: Conn, telegram_id: int
) -> tuple[TelegramAccountRow, UserRow | None, dict[str, Any] | None] | None:
    """Who writes, in one query per update: the account, its user and their preferences."""
    row = await conn.fetchrow(
        f"""
        SELECT {_TG_T},
               {_USER_U}, to_jsonb(p) AS prefs
          FROM telegram_accounts t
          LEFT JOIN users u ON u.id = t.user_id
          LEFT JOIN user_preferences p ON p.user_id = t.user_id
         WHERE t.telegram_id = $1
        """,
        telegram_id,
    )
    if row is None:
        return None
    user = UserRow.from_record(row, prefix="u_") if row["u_id"] is not None else None
    prefs = _as_dict(row["prefs"])
    return TelegramAccountRow.from_record(row), user, prefs


def _as_dict(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    return value if isinstance(value, dict) else json.loads(value)


# --- claims and personal links ---------------------------------------------------------


async def lock_state(conn: Conn, user_id: str) -> str | None:
    """approved | rejected | pending, with the user's row locked until the transaction ends.

    The lock orders a claim by email after (or before) a decision taken at the same moment.
    """
    row = await conn.fetchrow(
        "SELECT is_approved, rejected_at FROM users WHERE id = $1 FOR UPDATE", user_id
    )
    if row is None:
        return None
    if row["is_approved"]:
        return "approved"
    return "rejected" if row["rejected_at"] is not None else "pending"


async def lock_claimable(conn: Conn, user_id: str) -> bool:
    """Whether typing this user's email may bind a Telegram account to them: only a pending
    user nobody created by hand and nobody issued a link for (an imported one). The user's
    row stays locked until the transaction ends, so a decision or a link issued at the same
    moment comes wholly before or after the claim."""
    row = await conn.fetchrow(
        "SELECT is_approved, rejected_at, link_only FROM users WHERE id = $1 FOR UPDATE", user_id
    )
    return (
        row is not None
        and not row["is_approved"]
        and row["rejected_at"] is None
        and not row["link_only"]
    )


async def mark_link_only(conn: Conn, user_id: str) -> None:
    """From now on only a personal link binds this user (one was issued)."""
    await conn.execute("UPDATE users SET link_only = TRUE WHERE id = $1", user_id)


@dataclass(frozen=True, slots=True)
class LinkTokenRow(Row):
    """A personal link as stored: only the token's hash (migration 0012)."""

    token_hash: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by_telegram_id: int | None


_LINK = LinkTokenRow.columns()


async def replace_link_token(
    conn: Conn, token: str, user_id: str, *, now: datetime, expires_at: datetime
) -> None:
    """A new personal link (its hash is stored); the user's older unused ones stop working."""
    await conn.execute(
        "DELETE FROM user_link_tokens WHERE user_id = $1 AND used_at IS NULL", user_id
    )
    await conn.execute(
        """INSERT INTO user_link_tokens (token_hash, user_id, created_at, expires_at)
           VALUES ($1, $2, $3, $4)""",
        token_hash(token),
        user_id,
        now,
        expires_at,
    )


async def lock_link_token(conn: Conn, token: str) -> LinkTokenRow | None:
    """The link's row, locked: two presses of the same link take turns."""
    row = await conn.fetchrow(
        f"SELECT {_LINK} FROM user_link_tokens WHERE token_hash = $1 FOR UPDATE",
        token_hash(token),
    )
    return LinkTokenRow.from_record(row) if row else None


async def use_link_token(conn: Conn, token: str, telegram_id: int, now: datetime) -> bool:
    """Mark the link used if it still may be; False when it was used or expired meanwhile."""
    status = await conn.execute(
        """UPDATE user_link_tokens SET used_at = $3, used_by_telegram_id = $2
            WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $3""",
        token_hash(token),
        telegram_id,
        now,
    )
    return bool(status == "UPDATE 1")


async def lock_telegram_account(conn: Conn, lock_key: int, telegram_id: int) -> None:
    """A transaction-scoped advisory lock on one Telegram account."""
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", lock_key, str(telegram_id))
