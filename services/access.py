"""Who may use the bot: registration and admin approval.

Users register with an email and wait until an admin approves them (`users.is_approved`).
The CLI and the bot both go through these functions, so the rules live in one place.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from db.models import TelegramAccountRow, UserRow
from db.pool import Conn
from db.repos import stores as stores_repo
from db.repos import users as users_repo
from db.repos.users import UserStatus
from services import emails
from services.access_cache import AccessCache
from services.emails import EmailProblem
from services.members import AcceptedInvite, InviteRef, accept_invite


class AccessError(Exception):
    """A request about users that cannot be done; the message says why.

    `code` lets a front end pick its own words: invalid_email, not_found, linked_elsewhere
    (the email or the Telegram account belongs to someone else), needs_link (the email is
    an existing user who may be linked only by a personal link), already_linked (no personal
    link for a user who has a Telegram account), link_invalid (unknown, used or expired
    personal link), telegram_taken (this Telegram account belongs to another user), error.
    """

    def __init__(
        self, message: str, *, code: str = "error", problem: EmailProblem | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.problem = problem
        """For invalid_email: what is wrong with it."""


def normalize_email(raw: str) -> str:
    """The one stored form of an email (services.emails.normalize), or AccessError
    `invalid_email` with the problem. Registration, the CLI and every lookup go through it."""
    try:
        return emails.normalize(raw)
    except emails.EmailError as exc:
        raise AccessError(str(exc), code="invalid_email", problem=exc.problem) from None


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
    claim: bool = False,
) -> Registration:
    """Create a user (or return the existing one) and link a Telegram account if given.

    `claim` is for a person who typed the email in Telegram: nothing proves it is theirs, so
    an existing user without a Telegram account is linked only while nobody decided on them
    (pending: the admins still decide, with the card showing who claimed it) and only if the
    operator neither created them nor issued them a personal link (`users.link_only`).
    Everyone else is refused with `needs_link`: they are bound by their personal link
    (issue_link_token). A user the operator creates here (claim False) is `link_only`; the
    operator's `--telegram-id` binds as told.
    """
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
            user = await users_repo.create_user(
                conn, str(uuid.uuid4()), email, approved=approve, link_only=not claim
            )
        elif claim and telegram_id is not None:
            await _check_claim(conn, user, telegram_id)
        if not created and approve and not user.is_approved:
            user = await users_repo.set_approved(conn, user.id, True) or user
        if telegram_id is not None:
            other = await users_repo.get_telegram_account_of_user(conn, user.id)
            if other is not None and other.telegram_id != telegram_id:
                raise AccessError(
                    f"{email} is already linked to another Telegram account",
                    code="linked_elsewhere",
                )
            linked = await users_repo.link_telegram(
                conn,
                telegram_id,
                user.id,
                username=username,
                first_name=first_name,
                language_code=language_code,
            )
            if linked is None:  # another user took this account at this very moment
                raise AccessError(
                    f"Telegram id {telegram_id} is already linked to another user",
                    code="linked_elsewhere",
                )
    return Registration(user=user, created=created)


async def _check_claim(conn: Conn, user: UserRow, telegram_id: int) -> None:
    """Refuse to link a typed email to an existing user nobody may claim (see add_user)."""
    account = await users_repo.get_telegram_account_of_user(conn, user.id)
    if account is not None:
        return  # theirs already, or linked_elsewhere below
    if not await users_repo.lock_claimable(conn, user.id):
        raise AccessError(
            f"{user.email} is an existing user: it is linked to Telegram only by a personal link"
            " (wbrep user link)",
            code="needs_link",
        )


async def find_user(pool: asyncpg.Pool, email_or_id: str) -> UserRow | None:
    """Look a user up by email or by id (admins type either)."""
    key = email_or_id.strip()
    user = await users_repo.get_user(pool, key)
    if user is None and "@" in key:
        try:
            email = normalize_email(key)
        except AccessError:  # a row older than the rules: only its exact spelling finds it
            email = key.lower()
        user = await users_repo.get_user_by_email(pool, email)
    return user


async def set_approval(pool: asyncpg.Pool, email_or_id: str, approved: bool) -> UserRow:
    user = await find_user(pool, email_or_id)
    if user is None:
        raise AccessError(f"no such user: {email_or_id.strip()[:80]!r}", code="not_found")
    async with pool.acquire() as conn, conn.transaction():
        updated = await users_repo.set_approved(conn, user.id, approved)
        if not approved:  # access withdrawn: their stores stop, as on a rejection
            await stores_repo.pause_owned(conn, user.id)
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

    The email is only claimed (AccessError `needs_link` for an existing user who is not
    pending, see add_user). An invite link opened before approval waits in `pending_invites`
    until an admin approves.
    """
    reg = await add_user(
        pool,
        email,
        telegram_id=telegram_id,
        approve=approve,
        username=username,
        first_name=first_name,
        language_code=language_code,
        claim=True,
    )
    if invite_token and not reg.user.is_approved:
        await users_repo.save_pending_invite(pool, reg.user.id, invite_token)
    status = await users_repo.get_status(pool, reg.user.id)
    assert status is not None
    return status


# --- personal links: `/start link_<token>` binds Telegram to an existing user ---------------

LINK_TTL = timedelta(days=7)
TELEGRAM_LINK_LOCK = 71201
"""Advisory lock class: one personal link at a time per Telegram account."""


@dataclass(frozen=True, slots=True)
class LinkToken:
    token: str
    user: UserRow
    expires_at: datetime


async def issue_link_token(
    pool: asyncpg.Pool, email_or_id: str, *, now: datetime | None = None
) -> LinkToken:
    """A one-time personal link for a user without a Telegram account (7 days, one use).

    The older unused links of the same user stop working, so only the newest one sent counts.
    """
    now = now or datetime.now(UTC)
    user = await find_user(pool, email_or_id)
    if user is None:
        raise AccessError(f"no such user: {email_or_id.strip()[:80]!r}", code="not_found")
    token = secrets.token_urlsafe(24)  # 32 characters: "link_" + token fits Telegram's 64
    async with pool.acquire() as conn, conn.transaction():
        await users_repo.lock_state(conn, user.id)  # one issuer at a time per user
        await users_repo.mark_link_only(conn, user.id)  # typing the email binds nobody now
        account = await users_repo.get_telegram_account_of_user(conn, user.id)
        if account is not None:
            raise AccessError(
                f"{user.email} is already linked to a Telegram account ({account.telegram_id})",
                code="already_linked",
            )
        await users_repo.replace_link_token(
            conn, token, user.id, now=now, expires_at=now + LINK_TTL
        )
    return LinkToken(token=token, user=user, expires_at=now + LINK_TTL)


@dataclass(frozen=True, slots=True)
class Linked:
    """A personal link opened: `first` is False when this account had already used it."""

    status: UserStatus
    first: bool


async def link_by_token(
    pool: asyncpg.Pool,
    token: str,
    *,
    telegram_id: int,
    username: str | None,
    first_name: str | None,
    language_code: str | None,
    now: datetime | None = None,
) -> Linked:
    """Bind this Telegram account to the link's user, once (AccessError says why not).

    The token row is locked and marked used in the transaction that writes the link, with a
    conditional UPDATE, so two presses (or two people) link once. The same account opening
    its used link again is told it is linked (`first` False); anyone else `link_invalid`.
    """
    now = now or datetime.now(UTC)
    invalid = AccessError("this personal link is not valid", code="link_invalid")
    async with pool.acquire() as conn, conn.transaction():
        # One link at a time per Telegram account: two links opened at once by one account
        # would each see it unlinked and the later write would move it.
        await users_repo.lock_telegram_account(conn, TELEGRAM_LINK_LOCK, telegram_id)
        row = await users_repo.lock_link_token(conn, token)
        if row is None:
            raise invalid
        account = await users_repo.get_telegram_account(conn, telegram_id)
        if row.used_at is not None:
            if (
                row.used_by_telegram_id != telegram_id
                or account is None
                or account.user_id != row.user_id
            ):
                raise AccessError("this personal link was already used", code="link_invalid")
            first = False
        else:
            if row.expires_at <= now:
                raise AccessError("this personal link has expired", code="link_invalid")
            if account is not None and account.user_id != row.user_id:
                raise AccessError(
                    f"Telegram id {telegram_id} is already linked to another user",
                    code="telegram_taken",
                )
            other = await users_repo.get_telegram_account_of_user(conn, row.user_id)
            if other is not None and other.telegram_id != telegram_id:
                raise AccessError(
                    "the user is already linked to another Telegram account",
                    code="linked_elsewhere",
                )
            if not await users_repo.use_link_token(conn, token, telegram_id, now):
                raise invalid
            try:
                linked = await users_repo.link_telegram(
                    conn,
                    telegram_id,
                    row.user_id,
                    username=username,
                    first_name=first_name,
                    language_code=language_code,
                )
            except asyncpg.UniqueViolationError:  # the user was linked at this very moment
                raise AccessError(
                    "the user is already linked to another Telegram account",
                    code="linked_elsewhere",
                ) from None
            if linked is None:  # taken by a registration at this very moment
                raise AccessError(
                    f"Telegram id {telegram_id} is already linked to another user",
                    code="telegram_taken",
                )
            first = True
    status = await users_repo.get_status(pool, row.user_id)
    if status is None:
        raise invalid
    return Linked(status=status, first=first)


async def remember_invite(pool: asyncpg.Pool, user_id: str, token: str) -> None:
    """Keep the invite a waiting person opened, by its hash (the database keeps no token)."""
    await users_repo.save_pending_invite(pool, user_id, token)


async def take_pending_invite(pool: asyncpg.Pool, user_id: str) -> InviteRef | None:
    found = await users_repo.take_pending_invite(pool, user_id)
    return InviteRef(found) if found is not None else None


@dataclass(frozen=True, slots=True)
class Decision:
    """The person after an admin's decision; `changed` is False when it was already so."""

    status: UserStatus
    changed: bool
    paused: int = 0
    """Stores of a rejected owner that were running and are paused now."""


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

    A rejection pauses every store the person owns, in the same transaction (even when they
    were rejected already: a store resumed by hand is paused again), so no sync runs with
    their token and no manager works their stores. Approving again resumes nothing: the
    owner resumes each store from its card.
    """
    user = await find_user(pool, email_or_id)
    if user is None:
        raise AccessError(f"no such user: {email_or_id.strip()[:80]!r}", code="not_found")
    paused = 0
    async with pool.acquire() as conn, conn.transaction():
        changed = await users_repo.decide(
            conn,
            user.id,
            approve,
            admin_id=admin_id,
            admin_name=admin_name,
            only_pending=only_pending,
        )
        status = await users_repo.get_status(conn, user.id)
        if status is not None and status.state == "rejected":
            paused = await stores_repo.pause_owned(conn, user.id)
    if status is None:
        raise AccessError(f"no such user: {email_or_id.strip()[:80]!r}", code="not_found")
    return Decision(status=status, changed=changed, paused=paused)


async def paused_stores(pool: asyncpg.Pool, user_id: str) -> int:
    """Stores this person owns that are paused: an approval resumes none, so they are told."""
    return await stores_repo.count_paused(pool, user_id)


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


async def join_by_invite(pool: asyncpg.Pool, token: str | InviteRef, user_id: str) -> Joined:
    """Accept an invite (InviteError as members.accept_invite raises it).

    Opening the same link again is not an error, and is not news for the owner either.
    """
    invite = await accept_invite(pool, token, user_id)  # decided under the invite's row lock
    return Joined(invite=invite, first=invite.first)


async def identity(
    pool: asyncpg.Pool, telegram_id: int
) -> tuple[TelegramAccountRow, UserRow | None, dict[str, Any] | None] | None:
    """Who writes, in one query per update: the account, its user and their preferences."""
    return await users_repo.get_identity(pool, telegram_id)


async def set_reachable(pool: asyncpg.Pool, telegram_id: int, reachable: bool) -> None:
    """Record whether the Telegram account can receive messages (False: it blocked the bot)."""
    await users_repo.set_telegram_blocked(pool, telegram_id, not reachable)


class AccessService:
    """Who uses the bot (registration, approval, links, invites waiting for approval) on the
    app's pool: built once and injected as `access`."""

    def __init__(self, pool: asyncpg.Pool, cache: AccessCache | None = None) -> None:
        self._pool = pool
        self._cache = cache or AccessCache()

    async def identity(
        self, telegram_id: int
    ) -> tuple[TelegramAccountRow, UserRow | None, dict[str, Any] | None] | None:
        """As `identity`, kept in `cache` while it is live; the preferences are a copy each
        time (the rows are frozen)."""
        found = await self._cache.get(
            ("identity", telegram_id), lambda: identity(self._pool, telegram_id)
        )
        if found is None:
            return None
        account, user, prefs = found
        return account, user, dict(prefs) if prefs is not None else None

    async def set_reachable(self, telegram_id: int, reachable: bool) -> None:
        await set_reachable(self._pool, telegram_id, reachable)

    async def get_status(self, user_id: str) -> UserStatus | None:
        return await get_status(self._pool, user_id)

    async def status_by_telegram(self, telegram_id: int) -> UserStatus | None:
        return await status_by_telegram(self._pool, telegram_id)

    async def find_user(self, email_or_id: str) -> UserRow | None:
        return await find_user(self._pool, email_or_id)

    async def register(
        self,
        email: str,
        *,
        telegram_id: int,
        username: str | None,
        first_name: str | None,
        language_code: str | None,
        approve: bool = False,
        invite_token: str | None = None,
    ) -> UserStatus:
        return await register(
            self._pool,
            email,
            telegram_id=telegram_id,
            username=username,
            first_name=first_name,
            language_code=language_code,
            approve=approve,
            invite_token=invite_token,
        )

    async def link_by_token(
        self,
        token: str,
        *,
        telegram_id: int,
        username: str | None,
        first_name: str | None,
        language_code: str | None,
    ) -> Linked:
        return await link_by_token(
            self._pool,
            token,
            telegram_id=telegram_id,
            username=username,
            first_name=first_name,
            language_code=language_code,
        )

    async def decide(
        self,
        email_or_id: str,
        approve: bool,
        *,
        admin_id: int | None = None,
        admin_name: str | None = None,
        only_pending: bool = False,
    ) -> Decision:
        return await decide(
            self._pool,
            email_or_id,
            approve,
            admin_id=admin_id,
            admin_name=admin_name,
            only_pending=only_pending,
        )

    async def remember_invite(self, user_id: str, token: str) -> None:
        await remember_invite(self._pool, user_id, token)

    async def take_pending_invite(self, user_id: str) -> InviteRef | None:
        return await take_pending_invite(self._pool, user_id)

    async def join_by_invite(self, token: str | InviteRef, user_id: str) -> Joined:
        return await join_by_invite(self._pool, token, user_id)

    async def paused_stores(self, user_id: str) -> int:
        return await paused_stores(self._pool, user_id)

    async def users_page(self, *, after_email: str | None = None, size: int = 20) -> UsersPage:
        return await users_page(self._pool, after_email=after_email, size=size)

    async def pending_page(self, *, size: int = 20) -> UsersPage:
        return await pending_page(self._pool, size=size)

    async def list_users(self, *, approved: bool | None = None, limit: int = 1000) -> list[UserRow]:
        return await list_users(self._pool, approved=approved, limit=limit)
