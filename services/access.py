"""Who may use the bot: registration and admin approval.

Users register with an email and wait until an admin approves them (`users.is_approved`).
The CLI and the bot both go through these functions, so the rules live in one place.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import asyncpg

from db.models import UserRow
from db.repos import users as users_repo

_EMAIL_RE = re.compile(r"^[^@\s<>&\"']{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")


class AccessError(Exception):
    """A request about users that cannot be done; the message says why."""


def normalize_email(raw: str) -> str:
    """Lower-cased, trimmed email, or AccessError if it does not look like one."""
    email = raw.strip().lower()
    if not _EMAIL_RE.match(email) or ".." in email:
        raise AccessError(f"not a valid email: {raw.strip()[:80]!r}")
    return email


@dataclass(frozen=True, slots=True)
class Registration:
    user: UserRow
    created: bool


async def add_user(
    pool: asyncpg.Pool,
    email: str,
    *,
    telegram_id: int | None = None,
    approve: bool = False,
    username: str | None = None,
    first_name: str | None = None,
    language_code: str | None = None,
) -> Registration:
    """Create a user (or return the existing one) and link a Telegram account if given."""
    email = normalize_email(email)
    async with pool.acquire() as conn, conn.transaction():
        if telegram_id is not None:
            linked = await users_repo.get_telegram_account(conn, telegram_id)
            if linked is not None:
                owner = await users_repo.get_user(conn, linked.user_id)
                if owner is not None and owner.email != email:
                    raise AccessError(
                        f"Telegram id {telegram_id} is already linked to another user"
                    )
        user = await users_repo.get_user_by_email(conn, email)
        created = user is None
        if user is None:
            user = await users_repo.create_user(conn, str(uuid.uuid4()), email, approved=approve)
        elif approve and not user.is_approved:
            user = await users_repo.set_approved(conn, user.id, True) or user
        if telegram_id is not None:
            other = await users_repo.get_telegram_account_of_user(conn, user.id)
            if other is not None and other.telegram_id != telegram_id:
                raise AccessError(f"{email} is already linked to another Telegram account")
            await users_repo.link_telegram(
                conn,
                telegram_id,
                user.id,
                username=username,
                first_name=first_name,
                language_code=language_code,
            )
    return Registration(user=user, created=created)


async def find_user(pool: asyncpg.Pool, email_or_id: str) -> UserRow | None:
    """Look a user up by email or by id (admins type either)."""
    key = email_or_id.strip()
    user = await users_repo.get_user(pool, key)
    if user is None and "@" in key:
        user = await users_repo.get_user_by_email(pool, key.lower())
    return user


async def set_approval(pool: asyncpg.Pool, email_or_id: str, approved: bool) -> UserRow:
    user = await find_user(pool, email_or_id)
    if user is None:
        raise AccessError(f"no such user: {email_or_id.strip()[:80]!r}")
    updated = await users_repo.set_approved(pool, user.id, approved)
    assert updated is not None
    return updated


async def list_users(
    pool: asyncpg.Pool, *, approved: bool | None = None, limit: int = 1000
) -> list[UserRow]:
    return await users_repo.list_users(pool, approved=approved, limit=limit)
