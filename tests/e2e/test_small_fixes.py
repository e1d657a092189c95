"""Issue 10, item 11: small defects found from the outside, each end to end."""

from __future__ import annotations

from services import access
from services.members import create_invite, remove_manager
from tests.e2e.harness import BotEnv
from tests.support.stores import make_store


async def _approved(env: BotEnv, telegram_id: int, email: str) -> str:
    reg = await access.add_user(env.pool, email, telegram_id=telegram_id, approve=True)
    return reg.user.id


async def test_a_removed_manager_reopening_their_invite_is_told_the_truth(
    bot_env: BotEnv,
) -> None:
    owner_id = await _approved(bot_env, 601, "owner@example.com")
    store_id = await make_store(bot_env.pool, owner_id, "tok", name="Пледы")
    token = await create_invite(bot_env.pool, store_id, owner_id)
    manager_id = await _approved(bot_env, 602, "mgr@example.com")
    manager = bot_env.user(602)
    await manager.send(f"/start inv_{token}")
    await manager.wait_message("Теперь вы менеджер")
    await manager.send(f"/start inv_{token}")
    await manager.wait_message("уже менеджер")  # still one: the link again is no news

    assert await remove_manager(bot_env.pool, store_id, manager_id)
    await manager.send(f"/start inv_{token}")
    told = await manager.wait_message("убрал вас из менеджеров")
    assert "уже менеджер" not in told.text
    members = "SELECT count(*) FROM store_members WHERE store_id = $1"
    assert await bot_env.pool.fetchval(members, store_id) == 0
