"""Stores end to end: add (token checks, deletion), list, card, sync now, rename, pause,
delete, managers and invites, and refusals of forged callback data."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.callbacks import StoreCb
from bot.routers import stores as stores_router
from db.repos import stores as stores_repo
from db.secrets import unseal
from services import stores as stores_svc
from services.access import add_user
from services.members import accept_invite, create_invite
from tests.e2e.harness import BotEnv, add_store_until_token
from tests.fakes.telegram import FakeUser
from tests.fakes.telegram.models import ChatMessage
from tests.fakes.wb import Faults
from tests.support.processes import start_child
from tests.support.stores import sealed_with_another_key, sync_held_elsewhere

OWNER_TG = 501


async def approved(env: BotEnv, telegram_id: int, email: str) -> tuple[FakeUser, str]:
    reg = await add_user(env.pool, email, telegram_id=telegram_id, approve=True)
    return env.user(telegram_id), reg.user.id


async def store_of(env: BotEnv, owner_id: str, name: str = "Пледы", **token: Any) -> str:
    store, _ = await stores_svc.add_store(
        env.pool, env.services.wb, owner_id=owner_id, name=name, token=env.wb.token(**token)
    )
    return store.id


async def open_list(user: FakeUser) -> ChatMessage:
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Магазины")
    return await user.wait_message("Магазин")


async def open_card(user: FakeUser, name: str) -> ChatMessage:
    await open_list(user)
    await user.press(name)
    return await user.wait_message("Синхронизация")


def never_echoed(user: FakeUser, token: str) -> None:
    for message in user.messages:
        for version in [*message.versions, message.html]:
            assert token not in version
    assert token[-20:] not in str(user.messages)


async def test_add_store_with_valid_token(bot_env: BotEnv) -> None:
    seller, _ = await approved(bot_env, OWNER_TG, "seller@example.com")
    listing = await open_list(seller)
    assert "Магазинов пока нет" in listing.text
    await add_store_until_token(seller, "Пледы <и> подушки")
    token = bot_env.wb.token()
    sent = await seller.send(token)
    added = await seller.wait_message("добавлен")
    assert "«Пледы <и> подушки»" in added.text and "&lt;и&gt;" in added.html
    assert "персональный" in added.text and "отзывы и вопросы" in added.text
    assert seller.message(sent.message_id).deleted
    assert (seller.id, sent.message_id) in bot_env.tg.deletions
    never_echoed(seller, token)
    assert await bot_env.pool.fetchval("SELECT count(*) FROM stores") == 1

    await seller.press("Открыть магазин")
    card = await seller.wait_message("Синхронизация")
    assert "Ваша роль: владелец" in card.text and "0 отзывов · 0 чатов" in card.text
    for kind in ("Товары", "Отзывы", "Вопросы", "Чаты"):
        assert f"{kind}: ещё не было" in card.text
    assert {"🔄 Синхронизировать", "🗑 Удалить", "👥 Менеджеры"} <= set(card.labels)
    await seller.press("К магазинам")
    listing = await seller.wait_message("Магазины")
    assert "👑 Пледы <и> подушки" in listing.labels
    assert "1 магазин" in listing.text
    await seller.wait_answer()
    assert not seller.unanswered_queries


async def test_bad_tokens_are_explained_and_nothing_is_saved(bot_env: BotEnv) -> None:
    seller, _ = await approved(bot_env, OWNER_TG, "seller@example.com")
    await open_list(seller)
    await add_store_until_token(seller)
    past = datetime.now(UTC) - timedelta(days=1)
    cases = [
        ("не токен вовсе", "Это не токен WB API"),
        (bot_env.wb.token(expires_at=past), "Срок действия токена истёк"),
        (bot_env.wb.token(read_only=True), "только для чтения"),
        (bot_env.wb.token(categories=("chat", "content")), "нет категории «Вопросы и отзывы»"),
    ]
    for token, words in cases:
        sent = await seller.send(token)
        reply = await seller.wait_message("ничего не сохранено")
        assert words in reply.text, reply.text
        assert seller.message(sent.message_id).deleted
        never_echoed(seller, token)
    assert await bot_env.pool.fetchval("SELECT count(*) FROM stores") == 0
    # Still waiting for a token: a good one now works.
    await seller.send(bot_env.wb.token())
    await seller.wait_message("добавлен")
    assert await bot_env.pool.fetchval("SELECT count(*) FROM stores") == 1


async def test_base_token_and_missing_chat_category_are_warned(bot_env: BotEnv) -> None:
    seller, _ = await approved(bot_env, OWNER_TG, "seller@example.com")
    await open_list(seller)
    await add_store_until_token(seller)
    await seller.send(bot_env.wb.token(acc=1, categories=("feedbacks", "content")))
    added = await seller.wait_message("добавлен")
    assert "базовый" in added.text
    assert "5 запросов в час" in added.text and "персональный токен" in added.text
    assert "Нет категории «Чат с покупателями»" in added.text
    assert await bot_env.pool.fetchval("SELECT count(*) FROM stores") == 1


async def test_sync_now_shows_progress_then_summary(
    bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stores_router, "PROGRESS_INTERVAL", 0.0)
    seller, owner_id = await approved(bot_env, OWNER_TG, "seller@example.com")
    store_id = await store_of(bot_env, owner_id)
    await open_card(seller, "Пледы")
    await seller.press("Синхронизировать")
    assert (await seller.wait_answer()).text == "Синхронизация запущена."
    summary = await seller.wait_message("завершена")
    shop = bot_env.wb.state
    reviews = await bot_env.pool.fetchval(
        "SELECT count(*) FROM reviews WHERE store_id = $1", store_id
    )
    assert reviews == len(shop.feedbacks)
    assert f"✅ Товары: получено {len(shop.cards)}, новых {len(shop.cards)}" in summary.text
    assert f"новых {len(shop.feedbacks)}" in summary.text.split("Отзывы:")[1].split("\n")[0]
    assert f"✅ Вопросы: получено {len(shop.questions)}" in summary.text
    assert "✅ Чаты:" in summary.text
    first, *middle = summary.versions[:-1]
    assert first.startswith("🔄 Синхронизация «Пледы»")
    assert any("товары:" in v or "отзывы:" in v for v in middle), summary.versions  # edited

    await seller.press("К магазину")
    card = await seller.wait_message("Синхронизация")
    assert f"{len(shop.feedbacks)} отзывов" in card.text
    assert card.text.count("✅ ") == 5  # the store status and the four kinds
    await seller.wait_answer()
    assert not seller.unanswered_queries


async def test_sync_now_reports_running_and_token_errors(bot_env: BotEnv) -> None:
    seller, owner_id = await approved(bot_env, OWNER_TG, "seller@example.com")
    store_id = await store_of(bot_env, owner_id)
    # Another process runs the reviews sync (as the scheduler would).
    async with sync_held_elsewhere(bot_env.pool, store_id, "reviews"):
        await open_card(seller, "Пледы")
        await seller.press("Синхронизировать")
        summary = await seller.wait_message("завершена")
    assert "⏭ Отзывы: уже идёт" in summary.text
    assert "✅ Товары" in summary.text

    # The token expired after it was saved: every kind says so in Russian.
    expired = bot_env.wb.token(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    await bot_env.pool.execute("UPDATE stores SET api_token = $2 WHERE id = $1", store_id, expired)
    await seller.press("К магазину")
    await seller.wait_message("Синхронизация")
    await seller.press("Синхронизировать")
    summary = await seller.wait_message("завершена")
    assert "❌ Отзывы: срок токена истёк, замените токен" in summary.text
    await seller.press("К магазину")
    card = await seller.wait_message("Синхронизация")
    assert "Отзывы: ❌" in card.text and "срок токена истёк" in card.text


async def test_a_token_the_current_key_cannot_read_is_said_on_the_card_and_in_sync(
    bot_env: BotEnv,
) -> None:
    seller, owner_id = await approved(bot_env, OWNER_TG, "seller@example.com")
    store_id = await store_of(bot_env, owner_id)
    card = await open_card(seller, "Пледы")
    assert "не читается" not in card.text
    # SECRET_KEY changed since the token was saved (or the backup came without its key).
    await bot_env.pool.execute(
        "UPDATE stores SET api_token = $2 WHERE id = $1",
        store_id,
        sealed_with_another_key(bot_env.wb.token()),
    )
    await seller.press("К магазинам")
    await seller.wait_message("Магазин")
    await seller.press("Пледы")
    card = await seller.wait_message("Синхронизация")
    assert "Токен не читается" in card.text and "SECRET_KEY" in card.text
    await seller.press("Синхронизировать")
    summary = await seller.wait_message("завершена")
    line = "сохранённый токен не читается текущим ключом SECRET_KEY: замените токен"
    assert summary.text.count(line) == 4  # every kind, and no "internal error"
    assert "внутренней ошибки" not in summary.text
    await seller.press("К магазину")
    card = await seller.wait_message("Синхронизация")
    assert "Токен не читается" in card.text and "Отзывы: ❌" in card.text
    # Replacing the token is the owner's way out.
    await seller.press("Заменить токен")
    await seller.wait_message("токен")
    await seller.send(bot_env.wb.token())
    await seller.wait_message("заменён")
    await seller.press("К магазину")
    card = await seller.wait_message("Синхронизация")
    assert "Токен не читается" not in card.text


async def test_rename_pause_resume_and_delete(bot_env: BotEnv) -> None:
    seller, owner_id = await approved(bot_env, OWNER_TG, "seller@example.com")
    store_id = await store_of(bot_env, owner_id)
    await open_card(seller, "Пледы")
    await seller.press("Переименовать")
    await seller.wait_message("Новое название")
    await seller.send("  Пледы & <b>ко</b>  ")
    await seller.wait_message("переименован")
    card = await seller.wait_message("Синхронизация")
    assert "Пледы & <b>ко</b>" in card.text  # shown as text, not markup
    name = await bot_env.pool.fetchval("SELECT name FROM stores WHERE id = $1", store_id)
    assert name == "Пледы & <b>ко</b>"

    await seller.press("Пауза")
    card = await seller.wait_message("На паузе")
    assert "▶️ Возобновить" in card.labels
    assert await bot_env.pool.fetchval("SELECT status FROM stores") == "inactive"
    await seller.press("Синхронизировать")
    assert "на паузе" in (await seller.wait_answer()).text  # type: ignore[operator]
    await seller.press("Возобновить")
    await seller.wait_message("✅ Работает")
    assert await bot_env.pool.fetchval("SELECT status FROM stores") == "active"

    await seller.press("Удалить")
    await seller.wait_message("Удалить магазин")
    await seller.press("Нет, оставить")
    await seller.wait_message("Синхронизация")
    assert await bot_env.pool.fetchval("SELECT count(*) FROM stores") == 1
    await seller.press("Удалить")
    await seller.wait_message("Удалить магазин")
    await seller.press("Да, удалить")
    await seller.wait_message("Магазинов пока нет")
    assert "удалён" in ((await seller.wait_answer()).text or "")
    assert await bot_env.pool.fetchval("SELECT count(*) FROM stores") == 0
    await seller.wait_answer()
    assert not seller.unanswered_queries


async def test_replace_token(bot_env: BotEnv) -> None:
    seller, owner_id = await approved(bot_env, OWNER_TG, "seller@example.com")
    store_id = await store_of(bot_env, owner_id)
    await open_card(seller, "Пледы")
    await seller.press("Заменить токен")
    await seller.wait_message("новый токен")
    other = bot_env.wb.token(sid="another-seller")
    sent = await seller.send(other)
    reply = await seller.wait_message("ничего не сохранено")
    assert "другого кабинета" in reply.text
    assert seller.message(sent.message_id).deleted
    fresh = bot_env.wb.token()
    sent = await seller.send(fresh)
    await seller.wait_message("заменён")
    assert seller.message(sent.message_id).deleted
    never_echoed(seller, other)
    never_echoed(seller, fresh)
    saved = await bot_env.pool.fetchval("SELECT api_token FROM stores WHERE id = $1", store_id)
    assert saved != fresh and fresh not in saved and unseal(saved) == fresh  # sealed at rest


async def test_invite_list_and_remove_manager(bot_env: BotEnv) -> None:
    owner, owner_id = await approved(bot_env, OWNER_TG, "seller@example.com")
    _, manager_id = await approved(bot_env, 502, "manager@example.com")
    store_id = await store_of(bot_env, owner_id)
    await open_card(owner, "Пледы")
    await owner.press("Менеджеры")
    screen = await owner.wait_message("Менеджеры «Пледы»")
    assert "Менеджеров пока нет" in screen.text
    await owner.press("Пригласить менеджера")
    invite = await owner.wait_message("t.me/")
    prefix = f"https://t.me/{bot_env.tg.bot_username}?start=inv_"
    assert prefix in invite.text
    token = invite.text.split(prefix)[1].split()[0]
    accepted = await accept_invite(bot_env.pool, token, manager_id)
    assert accepted.store_id == store_id

    await owner.press("К магазину", message=invite)
    await owner.wait_message("Синхронизация")
    await owner.press("Менеджеры")
    screen = await owner.wait_message("manager@example.com")
    await owner.press("✖ manager@example.com")
    screen = await owner.wait_message("Менеджеров пока нет")
    assert (await owner.wait_answer()).text == "Менеджер удалён."
    assert await bot_env.pool.fetchval("SELECT count(*) FROM store_members") == 0
    await owner.wait_answer()
    assert not owner.unanswered_queries


async def test_manager_sees_the_store_but_cannot_change_it(bot_env: BotEnv) -> None:
    _, owner_id = await approved(bot_env, OWNER_TG, "seller@example.com")
    manager, manager_id = await approved(bot_env, 502, "manager@example.com")
    store_id = await store_of(bot_env, owner_id)
    await accept_invite(
        bot_env.pool, await create_invite(bot_env.pool, store_id, owner_id), manager_id
    )

    listing = await open_list(manager)
    assert "👤 Пледы" in listing.labels
    card = await open_card(manager, "Пледы")
    assert "Ваша роль: менеджер" in card.text
    # No owner buttons; sync, chats and the store's own lists (issue 12: the card leads to them).
    assert card.labels == [
        "🔄 Синхронизировать",
        "💬 Чаты",
        "⭐ Отзывы",
        "📝 Жалобы",
        "📦 Товары",
        "❓ Вопросы",
        "📊 Статистика",
        "🤖 Автоответы 4–5★",
        "« К магазинам",
    ]
    for action in ("delok", "del", "ren", "tok", "pause", "mgrs", "inv"):
        query = await manager.press_data(StoreCb(action=action, store_id=store_id).pack(), card)
        refused = await manager.wait_answer(query)
        assert refused.text == "Это может сделать только владелец магазина."
    assert manager.message(card.message_id).text == card.text  # nothing was shown
    assert await bot_env.pool.fetchval("SELECT count(*) FROM stores") == 1
    assert await bot_env.pool.fetchval("SELECT count(*) FROM store_invites") == 1


async def test_strangers_forged_store_id_is_refused_without_leaking(bot_env: BotEnv) -> None:
    _, owner_id = await approved(bot_env, OWNER_TG, "seller@example.com")
    stranger, _ = await approved(bot_env, 503, "stranger@example.com")
    store_id = await store_of(bot_env, owner_id, name="Секретный магазин")
    menu = await open_list(stranger)
    answers = []
    for action, target in [
        ("open", store_id),
        ("open", "00000000-0000-0000-0000-000000000000"),
        ("sync", store_id),
        ("delok", store_id),
        ("mgrs", store_id),
        ("inv", store_id),
    ]:
        query = await stranger.press_data(StoreCb(action=action, store_id=target).pack(), menu)
        answers.append((await stranger.wait_answer(query)).text)
    assert set(answers) == {"Магазин не найден или у вас нет к нему доступа."}
    assert all("Секретный" not in m.text for m in stranger.messages)
    assert stranger.message(menu.message_id).text == menu.text
    assert await bot_env.pool.fetchval("SELECT count(*) FROM stores") == 1
    assert await bot_env.pool.fetchval("SELECT count(*) FROM store_invites") == 0


async def test_a_token_sent_outside_the_form_is_deleted(bot_env: BotEnv) -> None:
    seller, _ = await approved(bot_env, OWNER_TG, "seller@example.com")
    token = bot_env.wb.token()
    sent = await seller.send(token)
    await seller.wait_message("удалил сообщение")
    assert seller.message(sent.message_id).deleted
    never_echoed(seller, token)
    assert await bot_env.pool.fetchval("SELECT count(*) FROM stores") == 0


async def _pings(env: BotEnv, store_id: str) -> None:
    """The stored token works against WB (the emulator refuses "Bearer Bearer …")."""
    store = await stores_repo.get_store(env.pool, store_id)
    assert store is not None
    await env.services.wb.for_store(store).ping("feedbacks")


async def test_a_token_pasted_with_bearer_is_stored_bare(bot_env: BotEnv) -> None:
    """Issue 10, item 10: the portal's "Bearer <token>" was stored and sent with the prefix."""
    seller, owner_id = await approved(bot_env, OWNER_TG, "seller@example.com")
    await open_list(seller)
    await add_store_until_token(seller)
    token = bot_env.wb.token()
    sent = await seller.send(f"Bearer {token}")
    await seller.wait_message("добавлен")
    assert seller.message(sent.message_id).deleted
    never_echoed(seller, token)
    store_id = await bot_env.pool.fetchval("SELECT id FROM stores WHERE owner_id = $1", owner_id)
    await _pings(bot_env, store_id)

    await seller.press("Открыть магазин")
    await seller.wait_message("Синхронизация")
    await seller.press("Заменить токен")
    await seller.wait_message("новый токен")
    fresh = bot_env.wb.token()
    sent = await seller.send(f"  bearer \t{fresh} ")
    await seller.wait_message("заменён")
    assert seller.message(sent.message_id).deleted
    never_echoed(seller, fresh)
    store = await stores_repo.get_store(bot_env.pool, store_id)
    assert store is not None and unseal(store.api_token) == fresh
    await _pings(bot_env, store_id)


async def test_a_token_in_a_caption_at_the_token_step_is_deleted_and_explained(
    bot_env: BotEnv,
) -> None:
    seller, _ = await approved(bot_env, OWNER_TG, "seller@example.com")
    await open_list(seller)
    await add_store_until_token(seller)
    token = bot_env.wb.token()
    sent = await seller.send_document(b"%PDF-1.4", "token.pdf", caption=token)
    told = await seller.wait_message("подписью")
    assert "текстовым сообщением" in told.text
    assert seller.message(sent.message_id).deleted
    never_echoed(seller, token)
    assert await bot_env.pool.fetchval("SELECT count(*) FROM stores") == 0
    # The form still waits for the token: sent as text, it is taken.
    await seller.send(token)
    await seller.wait_message("добавлен")
    assert await bot_env.pool.fetchval("SELECT count(*) FROM stores") == 1


async def test_a_sync_killed_mid_run_shows_as_interrupted_with_what_it_stored(
    bot_env: BotEnv, db_url: str
) -> None:
    """Issue 10, item 4: the card said "⏳ running since …" and "0 reviews" until the next run."""
    seller, owner_id = await approved(bot_env, OWNER_TG, "seller@example.com")
    store_id = await store_of(bot_env, owner_id)
    # The lists are read and stored; the archive never answers, so the run is mid-way.
    bot_env.wb.faults = Faults(
        hang_rate=1.0, hang_seconds=60, path_prefix="/feedbacks/api/v1/feedbacks/archive"
    )
    child = await start_child(
        "sync_child", db_url, store_id, "reviews", json.dumps(bot_env.wb.urls), "1.5"
    )
    try:
        for _ in range(600):
            stored = await bot_env.pool.fetchval(
                "SELECT count(*) FROM reviews WHERE store_id = $1", store_id
            )
            if stored and bot_env.wb.stats.faults["hang"]:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the child never got mid-way")
        await asyncio.sleep(0.3)  # the lists' last pages land
    finally:
        child.kill()  # SIGKILL: no finally block of the run gets to release anything
        await child.wait()
    stored = await bot_env.pool.fetchval(
        "SELECT count(*) FROM reviews WHERE store_id = $1", store_id
    )
    lease = await bot_env.pool.fetchrow(
        "SELECT lease_holder, lease_expires_at - clock_timestamp() AS left"
        " FROM sync_state WHERE store_id = $1 AND kind = 'reviews'",
        store_id,
    )
    assert lease is not None and lease["lease_holder"], "the dead run's lease is still there"
    await asyncio.sleep(max(lease["left"].total_seconds(), 0) + 0.1)  # until it expires
    card = await open_card(seller, "Пледы")
    assert "Отзывы: ⚠️ прервана" in card.text, card.text
    assert f"{stored} отзыв" in card.text, (stored, card.text)
    assert "⏳" not in card.text

    # The next run takes the expired lease and finishes the kind.
    bot_env.wb.faults.clear()
    result = await bot_env.services.sync.sync(store_id, "reviews")
    assert result.ok, result


async def test_sync_now_goes_on_after_a_kind_fails(bot_env: BotEnv) -> None:
    """Issue 10, item 3: one kind's failure aborted the remaining kinds of "sync now"."""
    seller, owner_id = await approved(bot_env, OWNER_TG, "seller@example.com")
    store_id = await store_of(bot_env, owner_id)
    await bot_env.pool.execute("ALTER TABLE questions RENAME TO questions_away")  # a fault
    try:
        await open_card(seller, "Пледы")
        await seller.press("Синхронизировать")
        summary = await seller.wait_message("завершена", timeout=30)
    finally:
        await bot_env.pool.execute("ALTER TABLE questions_away RENAME TO questions")
    assert "✅ Товары" in summary.text and "✅ Отзывы" in summary.text
    assert "❌ Вопросы: внутренняя ошибка" in summary.text
    assert "✅ Чаты" in summary.text, "the kind after the failed one still ran"
    chats = await bot_env.pool.fetchval("SELECT count(*) FROM chats WHERE store_id = $1", store_id)
    assert chats == len(bot_env.wb.state.chats)
