"""Personal settings end to end: language switch, alert threshold, quiet hours."""

from __future__ import annotations

from services import access, preferences
from tests.e2e.harness import BotEnv


async def test_language_switch_changes_this_and_the_next_screen(bot_env: BotEnv) -> None:
    reg = await access.add_user(bot_env.pool, "s@example.com", telegram_id=701, approve=True)
    person = bot_env.user(701)  # Telegram speaks Russian
    await person.send("/menu")
    await person.wait_message("WB Репутация")
    await person.press("Настройки")
    await person.wait_answer()
    screen = await person.wait_message("Язык: Русский")
    assert "отзывы на 3★ и ниже" in screen.text and "выключены" in screen.text
    assert "✓ Русский" in screen.labels and "✓ 3★" in screen.labels

    await person.press("English")
    assert (await person.wait_answer()).text == "Saved"
    screen = await person.wait_message("Language: English")
    assert "✓ English" in screen.labels and "« Menu" in screen.labels
    assert (await preferences.get(bot_env.pool, reg.user.id)).language == "en"
    await person.press("« Menu")
    assert "Stores" in " ".join((await person.wait_message("WB Reputation")).labels)
    await person.send("/help")
    await person.wait_message("How it works")

    await person.send("/settings")
    await person.wait_message("Language: English")
    await person.press("Русский")
    assert (await person.wait_answer()).text == "Сохранено"
    await person.wait_message("Язык: Русский")


async def test_threshold_and_quiet_hours_are_saved(bot_env: BotEnv) -> None:
    reg = await access.add_user(bot_env.pool, "t@example.com", telegram_id=702, approve=True)
    person = bot_env.user(702)
    await person.send("/settings")
    await person.wait_message("Настройки")
    await person.press("2★")
    await person.wait_answer()
    screen = await person.wait_message("отзывы на 2★ и ниже")
    assert "✓ 2★" in screen.labels and "3★" in screen.labels
    await person.press("22–08")
    await person.wait_answer()
    assert "22:00–08:00 МСК" in (await person.wait_message("Тихие часы")).text
    prefs = await preferences.get(bot_env.pool, reg.user.id)
    assert (prefs.alert_threshold, prefs.quiet, prefs.language) == (2, (22, 8), None)
    await person.press("Без тихих часов")
    await person.wait_answer()
    await person.wait_message("выключены")
    assert (await preferences.get(bot_env.pool, reg.user.id)).quiet is None
    assert not person.unanswered_queries
