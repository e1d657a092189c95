"""Access and preference services on a real database.

Decisions, pages, waiting invites, claims by email and personal links.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from db.secrets import token_hash
from services import access, preferences
from services.access import AccessError
from services.members import InviteError, InviteRef, create_invite
from services.preferences import PreferenceError
from tests.support.stores import make_store, make_user


async def registered(pool: asyncpg.Pool, email: str, telegram_id: int, **kw: object) -> str:
    person = await access.register(
        pool,
        email,
        telegram_id=telegram_id,
        username=None,
        first_name="Иван",
        language_code="ru",
        **kw,  # type: ignore[arg-type]
    )
    return person.id


async def test_register_links_telegram_and_admins_are_approved(pool: asyncpg.Pool) -> None:
    person = await access.register(
        pool, " Ivan@Example.com ", telegram_id=1, username="iv", first_name="Иван",
        language_code="en",
    )  # fmt: skip
    assert (person.email, person.state, person.telegram_id, person.username) == (
        "ivan@example.com",
        "pending",
        1,
        "iv",
    )
    admin = await access.register(
        pool, "boss@example.com", telegram_id=2, username=None, first_name=None,
        language_code=None, approve=True,
    )  # fmt: skip
    assert admin.state == "approved"
    with pytest.raises(AccessError) as err:
        await registered(pool, "ivan@example.com", 3)
    assert err.value.code == "linked_elsewhere"
    with pytest.raises(AccessError) as err:
        access.normalize_email("ivan@")
    assert err.value.code == "invalid_email"


async def test_a_card_decides_once_and_commands_override(pool: asyncpg.Pool) -> None:
    user_id = await registered(pool, "p@example.com", 10)
    first = await access.decide(
        pool, user_id, False, admin_id=1000, admin_name="A", only_pending=True
    )
    assert first.changed and first.status.state == "rejected"
    assert (first.status.decided_by, first.status.decided_by_name) == (1000, "A")
    late = await access.decide(
        pool, user_id, True, admin_id=1001, admin_name="B", only_pending=True
    )
    assert not late.changed and late.status.state == "rejected"
    assert late.status.decided_by_name == "A"  # the standing decision is shown, not overturned
    again = await access.decide(pool, "P@example.com", False, admin_id=1001)
    assert not again.changed
    lifted = await access.decide(pool, "p@example.com", True, admin_id=1001, admin_name="B")
    assert lifted.changed and lifted.status.state == "approved"
    assert lifted.status.rejected_at is None and lifted.status.decided_by_name == "B"
    withdrawn = await access.decide(pool, user_id, False, admin_id=1000, admin_name="A")
    assert withdrawn.changed and withdrawn.status.state == "rejected"
    with pytest.raises(AccessError) as err:
        await access.decide(pool, "nobody@example.com", True)
    assert err.value.code == "not_found"


async def test_two_admins_at_once_make_one_change(pool: asyncpg.Pool) -> None:
    user_id = await registered(pool, "race@example.com", 11)
    results = await asyncio.gather(
        *(access.decide(pool, user_id, i % 2 == 0, admin_id=i, only_pending=True) for i in range(6))
    )
    assert sum(r.changed for r in results) == 1
    states = {r.status.state for r in results if r.changed}
    final = await access.get_status(pool, user_id)
    assert final is not None and {final.state} == states


async def test_cli_approval_lifts_a_rejection(pool: asyncpg.Pool) -> None:
    user_id = await registered(pool, "cli@example.com", 12)
    await access.decide(pool, user_id, False)
    user = await access.set_approval(pool, "cli@example.com", True)
    status = await access.get_status(pool, user.id)
    assert status is not None and status.state == "approved" and status.rejected_at is None


async def test_users_and_pending_pages(pool: asyncpg.Pool) -> None:
    for i in range(45):
        await make_user(pool, f"u{i:02d}@example.com", approved=i >= 5)
    await access.decide(pool, "u00@example.com", False)
    seen: list[str] = []
    after = None
    while True:
        page = await access.users_page(pool, after_email=after, size=20)
        assert page.total == 45
        seen += [u.email for u in page.users]
        if not page.has_next:
            break
        after = page.users[-1].email
    assert seen == [f"u{i:02d}@example.com" for i in range(45)]
    pending = await access.pending_page(pool, size=3)
    assert pending.total == 4 and len(pending.users) == 3 and pending.has_next
    assert all(u.state == "pending" for u in pending.users)


async def test_waiting_invite_is_taken_once_and_joining_twice_is_no_news(
    pool: asyncpg.Pool,
) -> None:
    owner = await make_user(pool)
    store = await make_store(pool, owner, "tok")
    token = await create_invite(pool, store, owner)
    person = await registered(pool, "m@example.com", 20, invite_token="old")
    await access.remember_invite(pool, person, token)  # the newest link wins
    waiting = await access.take_pending_invite(pool, person)
    assert waiting == InviteRef.of(token) and token not in waiting.token_hash  # hash only
    assert await access.take_pending_invite(pool, person) is None
    first = await access.join_by_invite(pool, waiting, person)
    again = await access.join_by_invite(pool, token, person)
    assert first.first and not again.first and first.invite.store_name == "Тестовый магазин"
    with pytest.raises(InviteError) as err:
        await access.join_by_invite(pool, token, await make_user(pool))
    assert err.value.code == "used"
    # Two presses of a new invite at once: the owner hears of one of them.
    for _ in range(5):
        token = await create_invite(pool, store, owner)
        other = await make_user(pool)
        both = await asyncio.gather(*(access.join_by_invite(pool, token, other) for _ in "ab"))
        assert sorted(j.first for j in both) == [False, True]


async def test_preferences_defaults_and_changes(pool: asyncpg.Pool) -> None:
    user = await make_user(pool)
    assert await preferences.get(pool, user) == preferences.Preferences()
    prefs = await preferences.set_threshold(pool, user, 2)
    assert (prefs.alert_threshold, prefs.language, prefs.quiet) == (2, None, None)
    prefs = await preferences.set_language(pool, user, "en")
    prefs = await preferences.set_quiet_hours(pool, user, (23, 9))
    assert (prefs.alert_threshold, prefs.language, prefs.quiet) == (2, "en", (23, 9))
    assert (await preferences.set_quiet_hours(pool, user, None)).quiet is None
    for bad in (
        preferences.set_threshold(pool, user, 6),
        preferences.set_language(pool, user, "de"),
        preferences.set_quiet_hours(pool, user, (8, 8)),
        preferences.set_quiet_hours(pool, user, (24, 8)),
    ):
        with pytest.raises(PreferenceError):
            await bad


# --- claims by email and personal links ------------------------------------------------


async def test_an_approved_user_without_telegram_cannot_be_claimed_by_email(
    pool: asyncpg.Pool,
) -> None:
    """Knowing the email of an approved user (added by the operator, or imported) is not enough."""
    owner = await make_user(pool, "owner@example.com", approved=True)
    with pytest.raises(AccessError) as err:
        await registered(pool, "Owner@Example.com", 66)
    assert err.value.code == "needs_link"
    assert await access.status_by_telegram(pool, 66) is None
    status = await access.get_status(pool, owner)
    assert status is not None and status.telegram_id is None and status.state == "approved"
    # An admin typing it is refused as well: it would approve nothing new, only hand over stores.
    with pytest.raises(AccessError) as err:
        await registered(pool, "owner@example.com", 67, approve=True)
    assert err.value.code == "needs_link"
    # A rejected one is refused too: a later /approve would otherwise reach whoever claimed it.
    await make_user(pool, "gone@example.com", approved=False)
    await access.decide(pool, "gone@example.com", False)
    with pytest.raises(AccessError) as err:
        await registered(pool, "gone@example.com", 68)
    assert err.value.code == "needs_link"
    assert await pool.fetchval("SELECT count(*) FROM telegram_accounts") == 0
    # The operator's explicit --telegram-id still binds.
    reg = await access.add_user(pool, "owner@example.com", telegram_id=69)
    assert reg.user.id == owner and not reg.created


async def test_a_pending_user_without_telegram_is_still_claimed_by_email(
    pool: asyncpg.Pool,
) -> None:
    user_id = await make_user(pool, "wait@example.com", approved=False)
    person = await access.register(
        pool, "wait@example.com", telegram_id=70, username="w", first_name=None,
        language_code=None,
    )  # fmt: skip
    assert (person.id, person.state, person.telegram_id) == (user_id, "pending", 70)
    # Typing it again from the same account is not a new claim.
    again = await registered(pool, "wait@example.com", 70)
    assert again == user_id


async def test_a_personal_link_links_once(pool: asyncpg.Pool) -> None:
    user_id = await make_user(pool, "owner@example.com", approved=True)
    link = await access.issue_link_token(pool, "owner@example.com")
    assert link.user.id == user_id and len(f"link_{link.token}") <= 64
    linked = await link_by_token(pool, link.token, 71)
    assert linked.first and linked.status.telegram_id == 71 and linked.status.state == "approved"
    row = await pool.fetchrow(
        "SELECT used_at, used_by_telegram_id FROM user_link_tokens WHERE token_hash = $1",
        token_hash(link.token),
    )
    assert row is not None and row["used_at"] is not None and row["used_by_telegram_id"] == 71
    # The same account opening it again is told it is linked; anyone else is refused.
    assert not (await link_by_token(pool, link.token, 71)).first
    with pytest.raises(AccessError) as err:
        await link_by_token(pool, link.token, 72)
    assert err.value.code == "link_invalid"
    assert await access.status_by_telegram(pool, 72) is None
    # A linked user gets no new link.
    with pytest.raises(AccessError) as err:
        await access.issue_link_token(pool, user_id)
    assert err.value.code == "already_linked"
    with pytest.raises(AccessError) as err:
        await access.issue_link_token(pool, "nobody@example.com")
    assert err.value.code == "not_found"


async def test_two_presses_of_a_personal_link_link_once(pool: asyncpg.Pool) -> None:
    await make_user(pool, "race@example.com", approved=True)
    link = await access.issue_link_token(pool, "race@example.com")
    results = await asyncio.gather(
        *(link_by_token(pool, link.token, 80 + i) for i in range(4)), return_exceptions=True
    )
    ok = [r for r in results if isinstance(r, access.Linked)]
    assert len(ok) == 1 and ok[0].first
    assert all(
        isinstance(r, AccessError) and r.code == "link_invalid" for r in results if r not in ok
    )
    assert await pool.fetchval("SELECT count(*) FROM telegram_accounts") == 1


async def test_an_expired_personal_link_is_refused(pool: asyncpg.Pool) -> None:
    await make_user(pool, "late@example.com", approved=True)
    issued = datetime.now(UTC) - access.LINK_TTL - timedelta(minutes=1)
    link = await access.issue_link_token(pool, "late@example.com", now=issued)
    with pytest.raises(AccessError) as err:
        await link_by_token(pool, link.token, 90)
    assert err.value.code == "link_invalid"
    assert await access.status_by_telegram(pool, 90) is None
    with pytest.raises(AccessError) as err:
        await link_by_token(pool, "no-such-token", 90)
    assert err.value.code == "link_invalid"


async def test_a_new_personal_link_makes_the_older_one_stop_working(pool: asyncpg.Pool) -> None:
    user_id = await make_user(pool, "new@example.com", approved=False)
    old = await access.issue_link_token(pool, user_id)
    new = await access.issue_link_token(pool, "new@example.com")
    assert old.token != new.token
    with pytest.raises(AccessError) as err:
        await link_by_token(pool, old.token, 91)
    assert err.value.code == "link_invalid"
    linked = await link_by_token(pool, new.token, 91)
    assert linked.first and linked.status.id == user_id and linked.status.state == "pending"


async def test_a_personal_link_never_moves_a_telegram_account(pool: asyncpg.Pool) -> None:
    mine = await registered(pool, "mine@example.com", 92)
    await make_user(pool, "theirs@example.com", approved=True)
    link = await access.issue_link_token(pool, "theirs@example.com")
    with pytest.raises(AccessError) as err:
        await link_by_token(pool, link.token, 92)
    assert err.value.code == "telegram_taken"
    status = await access.status_by_telegram(pool, 92)
    assert status is not None and status.id == mine
    # The link was not spent: the right person can still use it.
    assert (await link_by_token(pool, link.token, 93)).status.email == "theirs@example.com"


async def test_one_account_opening_two_links_at_once_gets_one(pool: asyncpg.Pool) -> None:
    for i in range(10):  # the race is won differently from run to run
        pair = [await make_user(pool, f"{x}{i}@example.com", approved=True) for x in "ab"]
        links = [await access.issue_link_token(pool, user) for user in pair]
        results = await asyncio.gather(
            *(link_by_token(pool, link.token, 900 + i) for link in links), return_exceptions=True
        )
        ok = [r for r in results if isinstance(r, access.Linked)]
        refused = [r for r in results if isinstance(r, AccessError)]
        assert len(ok) == 1 and [r.code for r in refused] == ["telegram_taken"], results
        status = await access.status_by_telegram(pool, 900 + i)
        assert status is not None and status.id == ok[0].status.id


async def test_a_registration_and_a_link_at_once_never_move_an_account(
    pool: asyncpg.Pool,
) -> None:
    for i in range(10):  # the race is won differently from run to run
        await make_user(pool, f"link{i}@example.com", approved=True)
        link = await access.issue_link_token(pool, f"link{i}@example.com")
        tg = 950 + i
        results = await asyncio.gather(
            access.add_user(pool, f"new{i}@example.com", telegram_id=tg),
            link_by_token(pool, link.token, tg),
            return_exceptions=True,
        )
        won = [r for r in results if not isinstance(r, BaseException)]
        assert len(won) == 1, results
        owner = await pool.fetchval(
            "SELECT u.email FROM telegram_accounts t JOIN users u ON u.id = t.user_id"
            " WHERE t.telegram_id = $1",
            tg,
        )
        winner = won[0]
        expected = (
            winner.user.email if isinstance(winner, access.Registration) else winner.status.email
        )
        assert owner == expected


async def link_by_token(pool: asyncpg.Pool, token: str, telegram_id: int) -> access.Linked:
    return await access.link_by_token(
        pool, token, telegram_id=telegram_id, username=None, first_name="Иван", language_code="ru"
    )


async def test_identity_is_the_account_its_user_and_their_preferences(pool: asyncpg.Pool) -> None:
    """One statement per update (the auth middleware): the user's columns come back beside
    the account's and are read into the same row the users table holds."""
    user_id = await registered(pool, "who@example.com", 7301)
    await preferences.set_language(pool, user_id, "en")
    found = await access.identity(pool, 7301)
    assert found is not None
    account, user, prefs = found
    assert (account.telegram_id, account.user_id, account.first_name) == (7301, user_id, "Иван")
    record = await pool.fetchrow("SELECT id, email, is_approved, created_at FROM users")
    assert user is not None and (user.id, user.email, user.is_approved, user.created_at) == tuple(
        record
    )
    assert prefs is not None and prefs["language"] == "en"
    assert await access.identity(pool, 7302) is None
