"""Access and preference services on a real database: decisions, pages, waiting invites."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from services import access, preferences
from services.access import AccessError
from services.members import InviteError, create_invite
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
    assert await access.take_pending_invite(pool, person) == token
    assert await access.take_pending_invite(pool, person) is None
    first = await access.join_by_invite(pool, token, person)
    again = await access.join_by_invite(pool, token, person)
    assert first.first and not again.first and first.invite.store_name == "Тестовый магазин"
    with pytest.raises(InviteError) as err:
        await access.join_by_invite(pool, token, await make_user(pool))
    assert err.value.code == "used"


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
