"""AI settings and stats in the bot, end to end over the fake Telegram: the prompt flow
(replace, preview on a real review, save, reset), the key message deleted at once and the
key never in a reply or a log, and each chart sent as a PNG."""

from __future__ import annotations

import logging
import struct

import pytest

from db.repos.ai_settings import audit_rows
from db.repos.user_settings import get_user_settings
from services.access import add_user
from tests.e2e.harness import BotEnv
from tests.fakes.telegram import FakeUser
from tests.support.stores import make_product, make_review, make_store

KEY = "sk-e2ekey0123456789abcdefABCDEF"


async def seller(env: BotEnv, tg_id: int = 601) -> tuple[FakeUser, str, str]:
    reg = await add_user(env.pool, f"ai{tg_id}@example.com", telegram_id=tg_id, approve=True)
    store_id = await make_store(env.pool, reg.user.id, env.wb.token(), name="Уютный дом")
    return env.user(tg_id), reg.user.id, store_id


async def test_prompt_replace_preview_save_reset(bot_env: BotEnv) -> None:
    user, user_id, store = await seller(bot_env)
    product = await make_product(bot_env.pool, store)
    await make_review(bot_env.pool, product, rating=2, text="Плед линяет после стирки")

    await user.send("/settings")
    await user.wait_message("Настройки")
    await user.press("🤖 ИИ: ключ, промпты, расходы")
    await user.wait_message("Настройки ИИ")
    await user.press("📝 Промпты")
    await user.wait_message("Промпты")
    await user.press("Ответ на отзыв")
    screen = await user.wait_message("Сейчас: стандартный промпт")
    assert "публичный ответ продавца" in screen.text
    await user.press("✏️ Заменить")
    await user.wait_message("следующим сообщением")

    mine = "Отвечай тепло и коротко <без markdown> МАРКЕР-Е2Е"
    await user.send(mine)
    candidate = await user.wait_message("ещё не сохранён")
    assert mine in candidate.text  # shown as text: the angle brackets were escaped
    await user.press("👁 Проверить на моём отзыве или чате")
    preview = await user.wait_message("Результат")
    assert "Плед линяет" in preview.text
    assert "МАРКЕР-Е2Е" in bot_env.llm.requests[-1].system
    row = await get_user_settings(bot_env.pool, user_id)
    assert row is None or row.prompt_review_reply is None  # a preview saves nothing

    await user.press("💾 Сохранить")
    await user.wait_message("Сейчас: ваш промпт")
    row = await get_user_settings(bot_env.pool, user_id)
    assert row is not None and row.prompt_review_reply == mine
    await user.press("↩️ Вернуть стандартный")
    await user.wait_message("Сейчас: стандартный промпт")
    row = await get_user_settings(bot_env.pool, user_id)
    assert row is not None and row.prompt_review_reply is None
    audit = await audit_rows(bot_env.pool, user_id)
    assert [(a.field, a.action) for a in audit] == [
        ("prompt_review_reply", "reset"),
        ("prompt_review_reply", "set"),
    ]
    assert not user.unanswered_queries


async def test_key_message_deleted_at_once_and_never_echoed(
    bot_env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user, user_id, _ = await seller(bot_env, 602)
    await user.send("/ai")
    await user.wait_message("Настройки ИИ")
    await user.press("🔑 Задать ключ DeepSeek")
    await user.wait_message("Пришлите ключ DeepSeek")
    sent = await user.send(KEY)
    saved = await user.wait_message("Ключ проверен и сохранён")
    assert user.message(sent.message_id).deleted
    assert "sk-e…CDEF" in saved.text
    row = await get_user_settings(bot_env.pool, user_id)
    assert row is not None and row.deepseek_api_key == KEY
    await user.wait_message("sk-e…CDEF")  # the AI screen shows the mask

    # A key pasted anywhere else is deleted too and not stored as anything.
    stray = await user.send(f"вот мой ключ {KEY}")
    await user.wait_message("Похоже, это ключ API")
    assert user.message(stray.message_id).deleted

    # A key the provider refuses: the message is still deleted, nothing stored.
    await user.press("Удалить ключ")
    await user.wait_answer()
    await user.press("🔑 Задать ключ DeepSeek")
    await user.wait_message("Пришлите ключ DeepSeek")
    bot_env.llm.fail_next(1, status=401)
    bad = await user.send("sk-refused0123456789abcdef")
    await user.wait_message("DeepSeek не принял ключ")
    assert user.message(bad.message_id).deleted
    row = await get_user_settings(bot_env.pool, user_id)
    assert row is not None and row.deepseek_api_key is None

    bot_texts = " ".join(m.text + m.html for m in user.history if m.from_bot)
    assert KEY not in bot_texts and "sk-refused" not in bot_texts
    assert KEY not in caplog.text and "sk-refused0123456789abcdef" not in caplog.text
    audit = " ".join(
        f"{a.old_value} {a.new_value}" for a in await audit_rows(bot_env.pool, user_id)
    )
    assert KEY not in audit


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_stats_from_store_card_and_command_send_pngs(bot_env: BotEnv) -> None:
    user, _, store = await seller(bot_env, 603)
    product = await make_product(bot_env.pool, store)
    for stars in (5, 4, 1, 2):
        await make_review(bot_env.pool, product, rating=stars, text=f"Отзыв на {stars}")
    await user.send("/stats")
    await user.wait_message("Статистика: Уютный дом")  # one store: straight to it
    for label in (
        "Рейтинг по неделям",
        "Негатив по товарам",
        "Жалобы и одобрение WB",
        "Рост рейтинга",
        "Ответы и сроки",
    ):
        await user.press(label)
        await user.wait_answer()
        photo = await user.wait_message(label)
        assert photo.kind == "photo"
    assert len(user.photos) == 5
    for stored in user.photos:
        width, height = _png_size(stored.data)
        assert width == 1080 and 300 <= height <= 2400
    # The rating impact lists its reviews as buttons that open them.
    impact = [m for m in user.history if m.from_bot and "Рост рейтинга" in m.text][-1]
    assert "3.00 → 4.50" in impact.text
    await user.press("1", message=impact)
    await user.wait_message("Отзыв на 1")

    # From the store card.
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Магазины")
    await user.wait_message("1 магазин")
    await user.press("Уютный дом")
    await user.wait_message("Уютный дом")
    await user.press("📊 Статистика")
    await user.wait_message("Статистика: Уютный дом")


async def test_stats_of_a_store_not_theirs_is_refused(bot_env: BotEnv) -> None:
    _, _, store = await seller(bot_env, 604)
    other, _, _ = await seller(bot_env, 605)
    await other.send("/stats")
    menu = await other.wait_message("Статистика")
    from bot.callbacks import StatsAction, StatsCb

    await other.press_data(
        StatsCb(action=StatsAction.CHART, store_id=store, chart="rating").pack(), menu
    )
    answer = await other.wait_answer()
    assert "Нет доступа" in (answer.text or "")
    assert other.photos == []


async def test_cap_set_from_the_phone_stops_ai_drafts_with_a_clear_message(
    bot_env: BotEnv,
) -> None:
    user, _, store = await seller(bot_env, 606)
    product = await make_product(bot_env.pool, store)
    await make_review(bot_env.pool, product, rating=2, text="Плед линяет после стирки")
    await user.send("/ai")
    await user.wait_message("Настройки ИИ")
    await user.press("Лимит в месяц")
    await user.wait_message("лимит расходов")
    await user.send("много")
    await user.wait_message("Не понял лимит")
    await user.send("0")
    await user.wait_message("Лимит в месяц: $0.00")
    await user.press("💳 Расходы")
    await user.wait_message("Лимит $0.00 исчерпан")

    calls = len(bot_env.llm.requests)
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Отзывы")
    await user.wait_message("Плед линяет")
    await user.press("1")
    await user.wait_message("Плед линяет")
    await user.press("✍️ Ответ (ИИ)")
    await user.wait_message("Месячный лимит расходов на ИИ исчерпан")
    assert len(bot_env.llm.requests) == calls


async def test_setting_buttons_and_store_instructions_are_the_owners(bot_env: BotEnv) -> None:
    """Concurrency and digest buttons save and show the home screen; a store's instructions
    are its owner's: a manager's and a stranger's forged buttons for them are refused."""
    from bot.callbacks import AIAction, AICb

    user, user_id, store = await seller(bot_env, 620)
    await user.send("/ai")
    await user.wait_message("Настройки ИИ")
    await user.press("10")
    assert (await user.wait_answer()).text == "Сохранено"
    assert "Одновременных запросов: 10" in (await user.wait_message("Настройки ИИ")).text
    row = await get_user_settings(bot_env.pool, user_id)
    assert row is not None and row.ai_concurrency == 10
    await user.press("📬 Выключить сводку")
    home = await user.wait_message("Сводка по понедельникам: выключена")
    assert "📬 Включить сводку" in home.labels
    await user.press_data(AICb(action=AIAction.CONCURRENCY, arg="x").pack(), home)
    assert "устарела" in ((await user.wait_answer()).text or "")

    await user.press("🏪 Инструкции магазинов")
    await user.wait_message("выберите магазин")
    await user.press("Уютный дом")
    await user.wait_message("Не заданы")
    await user.press("✏️ Заменить")
    await user.wait_message("следующим сообщением")
    await user.send("Всегда на «вы»")
    await user.wait_message("Всегда на «вы»")
    instructions = await bot_env.services.ai_settings.instructions(store)
    assert instructions == "Всегда на «вы»"

    manager_reg = await add_user(bot_env.pool, "m620@example.com", telegram_id=621, approve=True)
    await bot_env.pool.execute(
        "INSERT INTO store_members (store_id, user_id) VALUES ($1, $2)", store, manager_reg.user.id
    )
    stranger, _, _ = await seller(bot_env, 622)
    for person in (bot_env.user(621), stranger):
        await person.send("/ai")
        screen = await person.wait_message("Настройки ИИ")
        for action in (
            AIAction.INSTRUCTIONS,
            AIAction.INSTRUCTIONS_EDIT,
            AIAction.INSTRUCTIONS_CLEAR,
        ):
            query = await person.press_data(AICb(action=action, arg=store).pack(), screen)
            refused = await person.wait_answer(query)
            assert refused.show_alert and "Нет доступа" in (refused.text or ""), action
        assert "на «вы»" not in " ".join(m.text for m in person.messages)
    assert await bot_env.services.ai_settings.instructions(store) == instructions
