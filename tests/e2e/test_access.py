"""Access end to end: registration, admin decisions (cards, commands, lists), invite links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from bot.callbacks import AdminCb, MenuCb, MenuSection
from bot.i18n import create_core
from services import access
from services.members import create_invite
from tests.e2e.harness import BotEnv, running_bot
from tests.fakes.telegram import FakeUser
from tests.support.stores import make_store


async def register(env: BotEnv, person: FakeUser, email: str) -> None:
    await person.send("/start")
    await person.wait_message("email")
    await person.send(email)
    await person.wait_message("Заявка принята")


async def approved(env: BotEnv, telegram_id: int, email: str) -> str:
    tg = env.user(telegram_id)
    reg = await access.add_user(
        env.pool, email, telegram_id=telegram_id, approve=True, username=tg.username
    )
    return reg.user.id


def count(person: FakeUser, text: str) -> int:
    return sum(text in m.text for m in person.messages)


async def test_registration_with_a_bad_email_then_approval(bot_env: BotEnv) -> None:
    admin = bot_env.admin
    person = bot_env.user(501, username="ivan_s", first_name="Иван <b>")
    await person.send("/start")
    await person.wait_message("email")
    await person.send("ivan at example")
    assert "не похоже на email" in (await person.wait_message("email")).text
    await person.send("Ivan@Example.COM")
    assert "ivan@example.com" in (await person.wait_message("Заявка принята")).text

    card = await admin.wait_message("Новая регистрация")
    assert "ivan@example.com" in card.text and "@ivan_s" in card.text and "501" in card.text
    assert "Иван <b>" in card.text  # escaped on the way, shown as typed
    await admin.press("Одобрить", message=card)
    assert (await admin.wait_answer()).text == "Одобрено"
    decided = await admin.wait_message("Одобрено: Админ")
    assert decided.message_id == card.message_id and not decided.keyboard

    welcome = await person.wait_message("одобрена")
    assert "Магазины" in " ".join(welcome.labels)
    await person.send("/start")
    assert "Магазины" in " ".join((await person.wait_message("WB")).labels)


async def test_cancel_registration_and_unknown_person_gets_only_registration(
    bot_env: BotEnv,
) -> None:
    person = bot_env.user(502)
    await person.send("/start")
    await person.wait_message("email")
    await person.send("/cancel")
    await person.wait_message("Регистрация отменена")
    await person.send("ivan@example.com")  # no longer an answer to the question
    assert "/start" in (await person.wait_message()).text
    assert await access.status_by_telegram(bot_env.pool, 502) is None


async def test_reject_by_card_then_start_says_refused(bot_env: BotEnv) -> None:
    admin = bot_env.admin
    person = bot_env.user(503, language_code="en")
    await register_en(person, "bob@example.com")
    card = await admin.wait_message("Новая регистрация")  # the admin's language, not Bob's
    await admin.press("Отклонить", message=card)
    assert (await admin.wait_answer()).text == "Отклонено"
    await person.wait_message("declined")
    await person.send("/start")
    assert "declined" in (await person.wait_message()).text
    await person.send("hello?")
    assert "declined" in (await person.wait_message()).text
    await person.press_data(MenuCb(section=MenuSection.STORES).pack(), person.last_message)
    assert "declined" in ((await person.wait_answer()).text or "")
    status = await access.status_by_telegram(bot_env.pool, 503)
    assert status is not None and status.state == "rejected" and status.decided_by == 1000


async def register_en(person: FakeUser, email: str) -> None:
    await person.send("/start")
    await person.wait_message("email")
    await person.send(email)
    await person.wait_message("Request received")


async def test_pressing_approve_twice_tells_the_person_once(bot_env: BotEnv) -> None:
    admin = bot_env.admin
    person = bot_env.user(504)
    await register(bot_env, person, "twice@example.com")
    card = await admin.wait_message("Новая регистрация")
    data = card.button("Одобрить").callback_data
    assert data is not None
    await admin.press_data(data, card)
    await admin.wait_answer()
    await person.wait_message("одобрена")
    await admin.press_data(data, card)
    assert "Уже одобрено" in ((await admin.wait_answer()).text or "")
    await admin.press_data(AdminCb(action="no", user_id=AdminCb.unpack(data).user_id).pack(), card)
    assert "Уже одобрено" in ((await admin.wait_answer()).text or "")
    assert count(person, "одобрена") == 1
    assert count(person, "отклонил") == 0
    assert not admin.unanswered_queries


async def test_second_admin_sees_who_decided(pool: asyncpg.Pool) -> None:
    """1002 blocked the bot and 1003 never started it: both are skipped, 1002 is marked."""
    async with running_bot(pool, admin_ids=frozenset({1000, 1001, 1002, 1003})) as env:
        first, second = env.admin, env.user(1001, username="second_admin")
        await access.add_user(pool, "blocked-admin@example.com", telegram_id=1002, approve=True)
        env.user(1002).block_bot()
        person = env.user(505)
        await register(env, person, "two@example.com")
        card1 = await first.wait_message("Новая регистрация")
        card2 = await second.wait_message("Новая регистрация")
        blocked = await access.status_by_telegram(pool, 1002)
        assert blocked is not None and blocked.is_blocked
        await first.press("Отклонить", message=card1)
        await first.wait_answer()
        await person.wait_message("отклонил")
        await second.press("Одобрить", message=card2)
        assert (await second.wait_answer()).text == "Уже отклонено: Админ"
        shown = await second.wait_message("Отклонено: Админ")
        assert shown.message_id == card2.message_id and not shown.keyboard
        assert count(person, "одобрена") == 0 and count(person, "отклонил") == 1


def test_russian_plurals_of_the_pending_count() -> None:
    core = create_core()
    said = {n: core.get("adm-pending-title", "ru", count=n) for n in (1, 2, 5, 11, 21, 22, 25)}
    assert [said[n].split(": ")[1].removesuffix("</b>") for n in said] == [
        "1 человек",
        "2 человека",
        "5 человек",
        "11 человек",
        "21 человек",
        "22 человека",
        "25 человек",
    ]
    assert "1 person" in core.get("adm-pending-title", "en", count=1)
    assert "3 people" in core.get("adm-pending-title", "en", count=3)


async def test_pending_approve_and_reject_commands(bot_env: BotEnv) -> None:
    admin = bot_env.admin
    a, b, c = bot_env.user(511), bot_env.user(512), bot_env.user(513)
    for tg_id, email in ((511, "a@example.com"), (512, "b@example.com"), (513, "c@ex.com")):
        await access.add_user(bot_env.pool, email, telegram_id=tg_id)
    await admin.send("/pending")
    listed = await admin.wait_message("Ждут одобрения")
    assert "3 человека" in listed.text and "b@example.com" in listed.text
    await admin.press("✅ c@ex.com", message=listed)
    assert (await admin.wait_answer()).text == "Одобрено"
    assert "2 человека" in (await admin.wait_message("Ждут одобрения")).text
    await c.wait_message("одобрена")

    await admin.send("/approve A@example.com")
    await admin.wait_message("Одобрен(а): a@example.com")
    await a.wait_message("одобрена")
    await admin.send("/approve a@example.com")
    await admin.wait_message("уже одобрен(а)")

    await admin.send("/reject b@example.com")
    await admin.wait_message("Отклонён(а): b@example.com")
    await b.wait_message("отклонил")
    status = await access.status_by_telegram(bot_env.pool, 512)
    assert status is not None and status.rejected_at is not None
    await admin.send(f"/approve {status.id}")  # by id; lifts the rejection
    await admin.wait_message("Одобрен(а): b@example.com")
    await b.wait_message("одобрена")
    status = await access.status_by_telegram(bot_env.pool, 512)
    assert status is not None and status.is_approved and status.rejected_at is None

    await admin.send("/pending")
    await admin.wait_message("Никто не ждёт")
    await admin.send("/approve nobody@example.com")
    await admin.wait_message("не найден")
    await admin.send("/reject")
    await admin.wait_message("/reject name@example.com")


async def test_users_list_pages_by_keyset(bot_env: BotEnv) -> None:
    admin = bot_env.admin
    for i in range(23):
        await access.add_user(bot_env.pool, f"u{i:02d}@example.com", approve=i % 2 == 0)
    await admin.send("/users")
    first = await admin.wait_message("Пользователи: 23")
    assert "u00@example.com" in first.text and "u19@example.com" in first.text
    assert "u20@example.com" not in first.text
    await admin.press("Далее »")
    await admin.wait_answer()
    second = await admin.wait_message("u22@example.com")
    assert "21. " in second.text and "u19@example.com" not in second.text
    assert "Далее »" not in second.labels
    await admin.press("« Назад")
    assert "u00@example.com" in (await admin.wait_message("Пользователи")).text


async def test_non_admin_and_unapproved_get_nothing_special(bot_env: BotEnv) -> None:
    admin = bot_env.admin
    waiting = bot_env.user(520)
    await register(bot_env, waiting, "wait@example.com")
    await admin.wait_message("Новая регистрация")
    await waiting.send("/menu")
    assert "ждёт одобрения" in (await waiting.wait_message()).text
    menu_press = await waiting.press_data(
        MenuCb(section=MenuSection.STORES).pack(), waiting.last_message
    )
    answer = await waiting.wait_answer(menu_press)
    assert "ждёт одобрения" in (answer.text or "") and answer.show_alert
    await waiting.press_data(MenuCb(section=MenuSection.SETTINGS).pack(), waiting.last_message)
    assert "ждёт одобрения" in ((await waiting.wait_answer()).text or "")
    await waiting.send("/start")
    assert "ждёт одобрения" in (await waiting.wait_message()).text

    seller = bot_env.user(521)
    await approved(bot_env, 521, "seller@example.com")
    await seller.send("/pending")
    assert "Не понимаю" in (await seller.wait_message()).text
    await seller.send("/approve wait@example.com")
    assert "Не понимаю" in (await seller.wait_message()).text
    status = await access.status_by_telegram(bot_env.pool, 520)
    assert status is not None and status.state == "pending"


async def test_admin_is_approved_on_registration(bot_env: BotEnv) -> None:
    admin = bot_env.admin
    await admin.send("/start")
    await admin.wait_message("email")
    await admin.send("boss@example.com")
    assert "Магазины" in " ".join((await admin.wait_message("одобрена")).labels)
    assert "Новая регистрация" not in " ".join(m.text for m in admin.messages)


async def test_invite_for_an_approved_user(bot_env: BotEnv) -> None:
    owner_id = await approved(bot_env, 601, "owner@example.com")
    owner = bot_env.user(601)
    store_id = await make_store(bot_env.pool, owner_id, "tok", name="Пледы & Ко")
    token = await create_invite(bot_env.pool, store_id, owner_id)
    manager = bot_env.user(602, username="mgr")
    await approved(bot_env, 602, "mgr@example.com")

    await manager.send(f"/start inv_{token}")
    joined = await manager.wait_message("Теперь вы менеджер")
    assert "«Пледы & Ко»" in joined.text and "Магазины" in " ".join(joined.labels)
    notice = await owner.wait_message("принял(а) приглашение")
    assert "@mgr" in notice.text and "Пледы & Ко" in notice.text
    role = await bot_env.pool.fetchval(
        "SELECT role FROM store_members WHERE store_id = $1 AND user_id = "
        "(SELECT user_id FROM telegram_accounts WHERE telegram_id = 602)",
        store_id,
    )
    assert role == "manager"

    await manager.send(f"/start inv_{token}")  # the same link again: no news for the owner
    await manager.wait_message("уже менеджер")
    other = bot_env.user(603)
    await approved(bot_env, 603, "other@example.com")
    await other.send(f"/start inv_{token}")
    await other.wait_message("уже использовал другой человек")
    await other.send("/start inv_nosuchtoken")
    await other.wait_message("недействительна")
    expired = await create_invite(
        bot_env.pool, store_id, owner_id, now=datetime.now(UTC) - timedelta(days=8)
    )
    await other.send(f"/start inv_{expired}")
    await other.wait_message("истёк")
    await owner.send(f"/start inv_{await create_invite(bot_env.pool, store_id, owner_id)}")
    await owner.wait_message("собственный магазин")
    assert count(owner, "принял(а) приглашение") == 1


async def test_invite_waits_for_approval_of_a_new_person(bot_env: BotEnv) -> None:
    admin = bot_env.admin
    owner_id = await approved(bot_env, 611, "owner2@example.com")
    owner = bot_env.user(611)
    store_id = await make_store(bot_env.pool, owner_id, "tok2", name="Носки")
    token = await create_invite(bot_env.pool, store_id, owner_id)
    person = bot_env.user(612, first_name="Мария")

    await person.send(f"/start inv_{token}")
    await person.wait_message("Вас пригласили")
    await person.send("maria@example.com")
    await person.wait_message("Заявка принята")
    await person.send(f"/start inv_{token}")  # opened again while waiting
    await person.wait_message("Приглашение сохранено")
    card = await admin.wait_message("maria@example.com")
    await admin.press("Одобрить", message=card)
    await admin.wait_answer()
    await person.wait_message("одобрена")
    await person.wait_message("Теперь вы менеджер магазина «Носки»")
    assert "Мария" in (await owner.wait_message("принял(а) приглашение")).text
    pending = await bot_env.pool.fetchval("SELECT count(*) FROM pending_invites")
    assert pending == 0


async def test_an_approved_email_is_not_claimed_by_typing_it(bot_env: BotEnv) -> None:
    """The operator added the seller without Telegram: an attacker who knows the email gets
    nothing; the seller's personal link binds their account and shows their stores."""
    admin = bot_env.admin
    reg = await access.add_user(bot_env.pool, "seller@example.com", approve=True)
    await make_store(bot_env.pool, reg.user.id, "tok", name="Пледы & Ко")

    attacker = bot_env.user(701, username="thief")
    await attacker.send("/start")
    await attacker.wait_message("email")
    await attacker.send("Seller@Example.com")
    refusal = await attacker.wait_message("персональн")
    assert "seller@example.com" in refusal.text and not refusal.keyboard
    assert await access.status_by_telegram(bot_env.pool, 701) is None
    await attacker.press_data(MenuCb(section=MenuSection.STORES).pack(), refusal)
    assert "Пледы" not in ((await attacker.wait_answer()).text or "")
    await attacker.send("/start")
    await attacker.wait_message("email")  # still a stranger: asked to register
    assert not any("Пледы" in m.text + " ".join(m.labels) for m in attacker.messages)

    link = await access.issue_link_token(bot_env.pool, "seller@example.com")
    seller = bot_env.user(702)
    await seller.send(f"/start link_{link.token}")
    menu = await seller.wait_message("привязан")
    assert "seller@example.com" in menu.text and "Магазины" in " ".join(menu.labels)
    await seller.press("Магазины", message=menu)
    stores = await seller.wait_message("1 магазин")
    assert "Пледы & Ко" in " ".join(stores.labels)
    status = await access.status_by_telegram(bot_env.pool, 702)
    assert status is not None and status.id == reg.user.id and status.state == "approved"

    # The link is spent: the attacker cannot use it after the seller did.
    await attacker.send(f"/start link_{link.token}")
    await attacker.wait_message("недействительна")
    assert await access.status_by_telegram(bot_env.pool, 701) is None
    assert count(admin, "Новая регистрация") == 0


async def test_a_personal_link_for_a_pending_user_waits_for_the_admin(bot_env: BotEnv) -> None:
    admin = bot_env.admin
    await access.add_user(bot_env.pool, "new@example.com")
    link = await access.issue_link_token(bot_env.pool, "new@example.com")
    person = bot_env.user(703, language_code="en")
    await person.send(f"/start link_{link.token}")
    waiting = await person.wait_message("linked to new@example.com")
    assert "waiting for an admin" in waiting.text and not waiting.keyboard
    card = await admin.wait_message("Новая регистрация")
    assert "new@example.com" in card.text and "703" in card.text
    await person.send("/start link_nosuchtoken")
    await person.wait_message("not valid")
    await admin.press("Одобрить", message=card)
    await admin.wait_answer()
    await person.wait_message("approved")
