"""One-time tokens at rest, end to end: a backup of the database holds no usable personal link
or invite, and both still work for the people who hold them."""

from __future__ import annotations

import asyncpg

from db.secrets import token_hash
from services import access
from services.members import create_invite
from tests.e2e.harness import BotEnv
from tests.support.stores import make_store


async def dump(pool: asyncpg.Pool) -> str:
    """What a backup of the token tables would show."""
    rows = []
    for table in ("store_invites", "pending_invites", "user_link_tokens"):
        rows += [dict(r) for r in await pool.fetch(f"SELECT * FROM {table}")]
    return str(rows)


async def test_a_waiting_invite_and_a_personal_link_leave_no_token_in_the_database(
    bot_env: BotEnv,
) -> None:
    admin, pool = bot_env.admin, bot_env.pool
    owner = await access.add_user(pool, "owner@example.com", telegram_id=801, approve=True)
    store_id = await make_store(pool, owner.user.id, "tok", name="Носки")
    invite = await create_invite(pool, store_id, owner.user.id)
    person = bot_env.user(802, first_name="Мария")
    await person.send(f"/start inv_{invite}")
    await person.wait_message("Вас пригласили")
    await person.send("maria@example.com")
    await person.wait_message("Заявка принята")
    link_user = await access.add_user(pool, "seller@example.com")
    link = await access.issue_link_token(pool, "seller@example.com")

    backup = await dump(pool)
    assert invite not in backup and link.token not in backup
    assert backup.count(token_hash(invite)) == 2  # the invite and the person waiting on it

    # The hashes are no links: opening one is refused like any unknown link.
    stranger = bot_env.user(803)
    await stranger.send(f"/start link_{token_hash(link.token)[:32]}")
    await stranger.wait_message("недействительна")

    # The real ones still work: the approval applies the waiting invite (kept as its hash).
    card = await admin.wait_message("maria@example.com")
    await admin.press("Одобрить", message=card)
    await admin.wait_answer()
    await person.wait_message("Теперь вы менеджер магазина «Носки»")
    seller = bot_env.user(804)
    await seller.send(f"/start link_{link.token}")
    await seller.wait_message("привязан")
    status = await access.status_by_telegram(pool, 804)
    assert status is not None and status.id == link_user.user.id
