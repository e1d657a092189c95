"""Claims by email end to end: a user the operator created is bound only by their link, and
spellings of one email are one person that admins see unambiguously."""

from __future__ import annotations

from services import access
from tests.e2e.harness import BotEnv
from tests.e2e.test_access import count, register
from tests.fakes.telegram import FakeUser


async def type_email(person: FakeUser, email: str, expect: str) -> str:
    await person.send("/start")
    await person.wait_message("email")
    await person.send(email)
    return (await person.wait_message(expect)).text


async def test_an_operator_created_pending_user_is_bound_only_by_the_link(
    bot_env: BotEnv,
) -> None:
    """`wbrep user add` (pending, link issued): whoever types the email binds nothing, and
    the operator's later approval reaches the person who opened the link."""
    admin = bot_env.admin
    reg = await access.add_user(bot_env.pool, "seller@example.com")
    link = await access.issue_link_token(bot_env.pool, "seller@example.com")

    attacker = bot_env.user(801, username="thief")
    refusal = await type_email(attacker, "Seller@Example.com", "персональн")
    assert "seller@example.com" in refusal
    assert await access.status_by_telegram(bot_env.pool, 801) is None
    # Spelled another way (zero-width space, full-width letters): the same person, refused.
    await type_email(attacker, "sel\u200bler@example.com", "персональн")
    await type_email(attacker, "ｓｅｌｌｅｒ@example.com", "персональн")
    assert await access.status_by_telegram(bot_env.pool, 801) is None

    seller = bot_env.user(802, username="real_seller")
    await seller.send(f"/start link_{link.token}")
    await seller.wait_message("привязан")
    card = await admin.wait_message("Новая регистрация")
    assert "802" in card.text and "801" not in card.text and "thief" not in card.text

    await admin.send("/approve seller@example.com")
    await admin.wait_message("Одобрен(а): seller@example.com")
    await seller.wait_message("одобрена")
    status = await access.status_by_telegram(bot_env.pool, 802)
    assert status is not None and status.id == reg.user.id and status.state == "approved"
    assert count(attacker, "одобрена") == 0
    assert count(admin, "Новая регистрация") == 1


async def test_a_user_the_operator_created_cannot_be_claimed_before_the_link_is_issued(
    bot_env: BotEnv,
) -> None:
    await access.add_user(bot_env.pool, "early@example.com")  # the link is printed next
    attacker = bot_env.user(803)
    await type_email(attacker, "early@example.com", "персональн")
    assert await access.status_by_telegram(bot_env.pool, 803) is None
    assert count(bot_env.admin, "Новая регистрация") == 0


async def test_spellings_of_one_email_are_one_person_or_refused(bot_env: BotEnv) -> None:
    admin = bot_env.admin
    ivan = bot_env.user(811)
    await register(bot_env, ivan, "ivan@example.com")
    await admin.wait_message("Новая регистрация")

    # Zero-width, upper-case and full-width spellings are the same email: already taken.
    for spelling in ("iv\u200ban@example.com", "IVAN@EXAMPLE.COM", "ｉｖａｎ@example.com"):
        other = bot_env.user(812)
        await type_email(other, spelling, "уже привязан к другому аккаунту")
    # A Cyrillic "а" among Latin letters is refused with the reason, not registered.
    mixed = bot_env.user(813)
    said = await type_email(mixed, "iv\u0430n@example.com", "латинские буквы")
    assert "/cancel" in said
    said = await type_email(mixed, "ivan@ex\u0430mple.com", "смешаны буквы")
    assert await access.status_by_telegram(bot_env.pool, 812) is None
    assert await access.status_by_telegram(bot_env.pool, 813) is None
    assert await bot_env.pool.fetchval("SELECT count(*) FROM users") == 1

    await admin.send("/pending")
    listed = await admin.wait_message("Ждут одобрения")
    assert "1 человек" in listed.text and listed.text.count("ivan@example.com") == 1


async def test_pending_and_cards_show_emails_unambiguously(bot_env: BotEnv) -> None:
    """A row stored before the rules (a zero-width space inside) and a plain one look the
    same as text: admins see the odd one flagged and spelled out; an IDN domain shows its
    stored ASCII form beside the Unicode one."""
    admin = bot_env.admin
    await access.add_user(bot_env.pool, "anna@example.com", telegram_id=821)
    await bot_env.pool.execute(
        "INSERT INTO users (id, email) VALUES ('old-row', 'an\u200bna@example.com')"
    )
    idn = bot_env.user(822)
    await register(bot_env, idn, "Anna@Пример.рф")
    card = await admin.wait_message("Новая регистрация")
    assert "anna@xn--e1afmkfd.xn--p1ai (anna@пример.рф)" in card.text

    await admin.send("/pending")
    listed = await admin.wait_message("Ждут одобрения")
    assert "⚠ an[U+200B]na@example.com" in listed.text
    assert "\u200b" not in listed.text + " ".join(listed.labels)
    lines = [line for line in listed.text.splitlines() if "na@" in line]
    assert len(lines) == 3 and len({line.split(". ", 1)[1] for line in lines}) == 3
    await admin.send("/users")
    users = await admin.wait_message("Пользователи: 3")
    assert "⚠ an[U+200B]na@example.com" in users.text
