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
from db.repos.users import UserStatus
from services.members import AcceptedInvite, accept_invite

_EMAIL_RE = re.compile(r"^[^@\s<>&\"']{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")


class AccessError(Exception):
    """A request about users that cannot be done; the message says why.

    `code` lets a front end pick its own words: invalid_email, not_found, linked_elsewhere
    (the email or the Telegram account belongs to someone else), error.
    """

    def __init__(self, message: str, *, code: str = "error") -> None:
        super().__init__(message)
        self.code = code


def normalize_email(raw: str) -> str:
    """Lower-cased, trimmed email, or AccessError if it does not look like one."""
    email = raw.strip().lower()
    if not _EMAIL_RE.match(email) or ".." in email:
        raise AccessError(f"not a valid email: {raw.strip()[:80]!r}", code="invalid_email")
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
                        f"Telegram id {telegram_id} is already linked to another user",
                        code="linked_elsewhere",
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
                raise AccessError(
                    f"{email} is already linked to another Telegram account",
                    code="linked_elsewhere",
                )
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
        raise AccessError(f"no such user: {email_or_id.strip()[:80]!r}", code="not_found")
    updated = await users_repo.set_approved(pool, user.id, approved)
    assert updated is not None
    return updated


async def list_users(
    pool: asyncpg.Pool, *, approved: bool | None = None, limit: int = 1000
) -> list[UserRow]:
    return await users_repo.list_users(pool, approved=approved, limit=limit)


# --- the bot's registration and decisions --------------------------------------------------


async def get_status(pool: asyncpg.Pool, user_id: str) -> UserStatus | None:
    return await users_repo.get_status(pool, user_id)


async def status_by_telegram(pool: asyncpg.Pool, telegram_id: int) -> UserStatus | None:
    return await users_repo.get_status_by_telegram(pool, telegram_id)


async def register(
    pool: asyncpg.Pool,
    email: str,
    *,
    telegram_id: int,
    username: str | None,
    first_name: str | None,
    language_code: str | None,
    approve: bool = False,
    invite_token: str | None = None,
) -> UserStatus:
    """Registration from Telegram: create the user and the link (admins approved at once).

    An invite link opened before approval waits in `pending_invites` until an admin approves.
    """
    reg = await add_user(
        pool,
        email,
        telegram_id=telegram_id,
        approve=approve,
        username=username,
        first_name=first_name,
        language_code=language_code,
    )
    if invite_token and not reg.user.is_approved:
        await users_repo.save_pending_invite(pool, reg.user.id, invite_token)
    status = await users_repo.get_status(pool, reg.user.id)
    assert status is not None
    return status


async def remember_invite(pool: asyncpg.Pool, user_id: str, token: str) -> None:
    await users_repo.save_pending_invite(pool, user_id, token)


async def take_pending_invite(pool: asyncpg.Pool, user_id: str) -> str | None:
    return await users_repo.take_pending_invite(pool, user_id)


@dataclass(frozen=True, slots=True)
class Decision:
    """The person after an admin's decision; `changed` is False when it was already so."""

    status: UserStatus
    changed: bool


async def decide(
    pool: asyncpg.Pool,
    email_or_id: str,
    approve: bool,
    *,
    admin_id: int | None = None,
    admin_name: str | None = None,
    only_pending: bool = False,
) -> Decision:
    """Approve or reject; only the call that changes something gets `changed` (one notice).

    `only_pending` is for registration cards: a card decides only on someone nobody decided
    on yet, so a late press shows the standing decision instead of overturning it.
    """
    user = await find_user(pool, email_or_id)
    if user is None:
        raise AccessError(f"no such user: {email_or_id.strip()[:80]!r}", code="not_found")
    changed = await users_repo.decide(
        pool,
        user.id,
        approve,
        admin_id=admin_id,
        admin_name=admin_name,
        only_pending=only_pending,
    )
    status = await users_repo.get_status(pool, user.id)
    if status is None:
        raise AccessError(f"no such user: {email_or_id.strip()[:80]!r}", code="not_found")
    return Decision(status=status, changed=changed)


@dataclass(frozen=True, slots=True)
class UsersPage:
    users: list[UserStatus]
    has_next: bool
    total: int


async def users_page(
    pool: asyncpg.Pool, *, after_email: str | None = None, size: int = 20
) -> UsersPage:
    rows = await users_repo.list_statuses(pool, after_email=after_email, limit=size + 1)
    total = await users_repo.count_users(pool)
    return UsersPage(users=rows[:size], has_next=len(rows) > size, total=total)


async def pending_page(pool: asyncpg.Pool, *, size: int = 20) -> UsersPage:
    rows = await users_repo.list_pending(pool, limit=size)
    total = await users_repo.count_users(pool, pending=True)
    return UsersPage(users=rows, has_next=total > len(rows), total=total)


@dataclass(frozen=True, slots=True)
class Joined:
    """An invite used: `first` is False when the person had already joined with it."""

    invite: AcceptedInvite
    first: bool


async def join_by_invite(pool: asyncpg.Pool, token: str, user_id: str) -> Joined:
    """Accept an invite (InviteError as members.accept_invite raises it).

    Opening the same link again is not an error, and is not news for the owner either.
    """
    used_by = await pool.fetchval("SELECT used_by FROM store_invites WHERE token = $1", token)
    invite = await accept_invite(pool, token, user_id)
    return Joined(invite=invite, first=used_by != user_id)
