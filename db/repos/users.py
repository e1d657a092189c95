"""Users and their Telegram accounts."""

from __future__ import annotations

from db.models import TelegramAccountRow, UserRow
from db.pool import Conn

_USER = UserRow.columns()


async def create_user(conn: Conn, user_id: str, email: str, *, approved: bool) -> UserRow:
    row = await conn.fetchrow(
        f"INSERT INTO users (id, email, is_approved) VALUES ($1, $2, $3) RETURNING {_USER}",
        user_id,
        email,
        approved,
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
    row = await conn.fetchrow(
        f"UPDATE users SET is_approved = $2 WHERE id = $1 RETURNING {_USER}", user_id, approved
    )
    return UserRow.from_record(row) if row else None


async def delete_user(conn: Conn, user_id: str) -> bool:
    status = await conn.execute("DELETE FROM users WHERE id = $1", user_id)
    return status == "DELETE 1"


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


async def link_telegram(
    conn: Conn,
    telegram_id: int,
    user_id: str,
    *,
    username: str | None = None,
    first_name: str | None = None,
    language_code: str | None = None,
) -> TelegramAccountRow:
    row = await conn.fetchrow(
        f"""
        INSERT INTO telegram_accounts (telegram_id, user_id, username, first_name, language_code)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (telegram_id) DO UPDATE
           SET user_id = EXCLUDED.user_id,
               username = COALESCE(EXCLUDED.username, telegram_accounts.username),
               first_name = COALESCE(EXCLUDED.first_name, telegram_accounts.first_name),
               language_code = COALESCE(EXCLUDED.language_code, telegram_accounts.language_code),
               is_blocked = FALSE
        RETURNING {_TG}
        """,
        telegram_id,
        user_id,
        username,
        first_name,
        language_code,
    )
    assert row is not None
    return TelegramAccountRow.from_record(row)


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
