"""Buyer questions and automatic replies in the bot, end to end: the fake Telegram, the WB
emulator, the LLM stub, a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.keyboards.autoreplies import AutoAction, AutoCb, AutoReplyCb, ExcludeCb, ReplyAction
from bot.keyboards.questions import (
    QAction,
    QListAction,
    QListCb,
    QPublishAction,
    QPublishCb,
    QuestionCb,
)
from services.access import add_user
from services.autoreplies import AutoReplyJob, Mode
from tests.e2e.harness import BotEnv
from tests.fakes.telegram import ChatMessage, FakeUser
from tests.fakes.wb.state import Question
from tests.support.stores import make_store


def ask(env: BotEnv, n: int = 3) -> None:
    """Unanswered buyer questions in the emulator (the small shop's are all answered)."""
    seller_state = next(iter(env.wb.sellers.values()))
    nm = next(iter(seller_state.cards))
    now_ns = int(datetime.now(UTC).timestamp()) * 1_000_000_000
    for i in range(n):
        seller_state.add_question(
            Question(
                id=f"qe2e{i:03d}x{nm}",
                text=f"Подскажите, из какого материала сделан товар? Вопрос {i}",
                created_ns=now_ns - (i + 1) * 3_600_000_000_000,
                product=seller_state.product_details(nm),
            )
        )


async def seller(env: BotEnv, tg_id: int = 601) -> tuple[FakeUser, str, str]:
    reg = await add_user(env.pool, f"q{tg_id}@example.com", telegram_id=tg_id, approve=True)
    store_id = await make_store(env.pool, reg.user.id, env.wb.token())
    return env.user(tg_id), reg.user.id, store_id


async def manager_on_menu(env: BotEnv, store: str, tg_id: int) -> tuple[FakeUser, ChatMessage]:
    """A manager of the store, with the main menu open (a message to press forged data on)."""
    reg = await add_user(env.pool, f"m{tg_id}@example.com", telegram_id=tg_id, approve=True)
    await env.pool.execute(
        "INSERT INTO store_members (store_id, user_id) VALUES ($1, $2)", store, reg.user.id
    )
    person = env.user(tg_id)
    await person.send("/menu")
    return person, await person.wait_message("WB")


async def suggest(env: BotEnv, store: str, *, batch: int) -> int:
    """Yesterday's reviews, 5★ on "suggest", one tick of the job: how many were suggested."""
    now = datetime.now(UTC)
    await env.pool.execute(
        "UPDATE reviews SET date = $2 WHERE store_id = $1", store, now - timedelta(days=1)
    )
    await env.services.autoreplies.set_mode(store, 5, Mode.SUGGEST)
    job = AutoReplyJob(env.pool, env.services.ai, env.services.wb, holder="e2e", batch=batch)
    return (await job.tick(now)).suggested


async def test_a_question_answered_end_to_end_and_recorded_once_by_wb(bot_env: BotEnv) -> None:
    user, _, store = await seller(bot_env)
    ask(bot_env)
    await bot_env.services.sync.sync_all(store, kinds=("products", "questions"))
    unanswered = await bot_env.pool.fetchval(
        "SELECT count(*) FROM questions WHERE store_id = $1 AND is_answered IS NOT TRUE", store
    )
    assert unanswered > 0
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Вопросы")
    listing = await user.wait_message("Без ответа")
    assert f"Без ответа: {unanswered}" in listing.text
    first = next(label for label in listing.labels if label.startswith("❓ 1."))
    await user.press(first)
    card = await user.wait_message("Вопрос покупателя")
    assert "Артикул WB" in card.text
    await user.press("Черновик ИИ")
    drafted = await user.wait_message("Черновик ответа")
    qid = await bot_env.pool.fetchval(
        "SELECT id FROM questions WHERE store_id = $1 AND draft_reply IS NOT NULL", store
    )
    assert qid is not None
    publish = drafted.button("Опубликовать").callback_data
    assert publish is not None
    await user.press("Опубликовать", message=drafted.message_id)
    await user.wait_message("Ответ опубликован в WB")
    patches = [p for p in bot_env.wb.stats.question_patches if p[1] == qid]
    assert len(patches) == 1 and patches[0][2]["state"] == "wbRu"
    assert await bot_env.pool.fetchval("SELECT is_answered FROM questions WHERE id = $1", qid)
    # the same Publish button pressed again (a second phone, a stale card) sends nothing more
    await user.press_data(publish, drafted.message_id)
    await user.wait_message("уже ответили")
    assert len([p for p in bot_env.wb.stats.question_patches if p[1] == qid]) == 1


async def test_someone_elses_question_is_refused(bot_env: BotEnv) -> None:
    _, _, store = await seller(bot_env, 602)
    await bot_env.services.sync.sync_all(store, kinds=("products", "questions"))
    qid = await bot_env.pool.fetchval("SELECT id FROM questions WHERE store_id = $1 LIMIT 1", store)
    stranger, _, _ = await seller(bot_env, 603)
    await stranger.send("/menu")
    menu = await stranger.wait_message("WB")
    await stranger.press_data(QuestionCb(action=QAction.OPEN, question_id=qid).pack(), menu)
    answer = await stranger.wait_answer()
    assert "недоступен" in (answer.text or "")
    assert not bot_env.wb.stats.question_patches


async def test_forged_question_and_autoreply_buttons_of_another_owner_are_refused(
    bot_env: BotEnv,
) -> None:
    """Every question and automatic-reply button names an id the stranger's role is checked
    on: a list, a card, a publish, the settings (even to look), an exclusion, a suggestion."""
    _, _, store = await seller(bot_env, 609)
    ask(bot_env, 2)
    await bot_env.services.sync.sync_all(store, kinds=("products", "reviews", "questions"))
    assert await suggest(bot_env, store, batch=2) >= 1
    qid = await bot_env.pool.fetchval(
        "SELECT id FROM questions WHERE store_id = $1 AND is_answered IS NOT TRUE LIMIT 1", store
    )
    suggested = await bot_env.pool.fetchrow(
        "SELECT review_id, text FROM autoreplies WHERE store_id = $1 AND state = 'suggested'"
        " LIMIT 1",
        store,
    )
    product = await bot_env.pool.fetchval(
        "SELECT id FROM products WHERE store_id = $1 LIMIT 1", store
    )
    assert qid and suggested and product
    rid = suggested["review_id"]
    states_before = await bot_env.pool.fetch(
        "SELECT review_id, state FROM autoreplies WHERE store_id = $1 ORDER BY review_id", store
    )
    settings_before = await bot_env.services.autoreplies.settings(store)

    stranger, _, _ = await seller(bot_env, 610)  # the owner of another store
    await stranger.send("/menu")
    menu = await stranger.wait_message("WB")
    from services.reviews import draft_fingerprint

    forged = {
        "q-no-access": [
            QListCb(action=QListAction.OPEN, store_id=store).pack(),
            QListCb(action=QListAction.NEXT, store_id=store).pack(),
            QuestionCb(action=QAction.OPEN, question_id=qid).pack(),
            QuestionCb(action=QAction.DRAFT, question_id=qid).pack(),
            QuestionCb(action=QAction.VIEWED, question_id=qid).pack(),
            QPublishCb(action=QPublishAction.ANSWER, question_id=qid, fp="x").pack(),
            QPublishCb(action=QPublishAction.REJECT, question_id=qid, fp="x").pack(),
        ],
        "ar-no-access": [
            AutoCb(action=AutoAction.OPEN, store_id=store).pack(),
            AutoCb(action=AutoAction.QUEUE, store_id=store).pack(),
            AutoCb(action=AutoAction.MODE5, store_id=store).pack(),
            ExcludeCb(product_id=product).pack(),
            AutoReplyCb(
                action=ReplyAction.PUBLISH,
                review_id=rid,
                fp=draft_fingerprint(suggested["text"]),
            ).pack(),
            AutoReplyCb(action=ReplyAction.DROP, review_id=rid).pack(),
            AutoReplyCb(action=ReplyAction.CANCEL, review_id=rid).pack(),
        ],
    }
    refusals = {"q-no-access": "недоступен", "ar-no-access": "владельцу"}
    for key, presses in forged.items():
        for data in presses:
            reply = await stranger.wait_answer(await stranger.press_data(data, menu))
            assert reply.show_alert and refusals[key] in (reply.text or ""), data
    assert all(m.message_id == menu.message_id for m in stranger.messages if m.keyboard)
    assert "Подскажите" not in " ".join(m.text for m in stranger.messages)
    assert not bot_env.wb.stats.question_patches and not bot_env.wb.stats.feedback_answers
    assert (
        await bot_env.pool.fetchval("SELECT draft_reply FROM questions WHERE id = $1", qid) is None
    )
    states_after = await bot_env.pool.fetch(
        "SELECT review_id, state FROM autoreplies WHERE store_id = $1 ORDER BY review_id", store
    )
    assert states_after == states_before
    assert await bot_env.services.autoreplies.settings(store) == settings_before
    # a manager of the store may look at the settings but not exclude a product
    manager, menu = await manager_on_menu(bot_env, store, 611)
    refused = await manager.wait_answer(
        await manager.press_data(ExcludeCb(product_id=product).pack(), menu)
    )
    assert "владельцу" in (refused.text or "")
    assert await bot_env.services.autoreplies.settings(store) == settings_before
    await manager.press_data(QListCb(action=QListAction.OPEN, store_id=store).pack(), menu)
    await manager.wait_message("Без ответа")


async def test_cancel_window_message_and_dont_send(bot_env: BotEnv) -> None:
    from bot.announcer import TelegramAnnouncer
    from bot.i18n import create_core
    from bot.notifier import TelegramNotifier

    user, _, store = await seller(bot_env, 604)
    await bot_env.services.sync.sync_all(store, kinds=("products", "reviews"))
    # reviews of the last days only: the emulator's shop is years long
    now = datetime.now(UTC)
    await bot_env.pool.execute(
        "UPDATE reviews SET date = $2 WHERE store_id = $1", store, now - timedelta(days=1)
    )
    autoreplies = bot_env.services.autoreplies
    await autoreplies.set_mode(store, 5, Mode.AUTOMATIC)
    notifier = TelegramNotifier(bot_env.bot, bot_env.services.access, create_core())
    job = AutoReplyJob(
        bot_env.pool,
        bot_env.services.ai,
        bot_env.services.wb,
        holder="e2e",
        announcer=TelegramAnnouncer(notifier),
        batch=3,
    )
    report = await job.tick(now)
    assert report.scheduled
    target = report.scheduled[0]
    announced = await user.wait_message("ответим на отзыв автоматически")
    # one message for the store's replies, a numbered button for each
    assert len(announced.labels) == len(report.scheduled) > 1
    assert all("Не отправлять" in label for label in announced.labels)
    cancel = AutoReplyCb(action=ReplyAction.CANCEL, review_id=target.review_id).pack()
    (label,) = [lb for row in announced.buttons for lb, d in row if d == cancel]
    await user.press(label, message=announced.message_id)
    await user.wait_message("не будет отправлен")
    await job.tick(now + timedelta(minutes=16))
    answered = {fid for _, fid, _ in bot_env.wb.stats.feedback_answers}
    assert target.review_id not in answered
    assert {s.review_id for s in report.scheduled[1:]} <= answered


async def test_auto_reply_settings_from_the_store_card(bot_env: BotEnv) -> None:
    from tests.e2e.test_stores import open_card

    user, _, store = await seller(bot_env, 605)
    await bot_env.services.sync.sync_all(store, kinds=("products",))
    await open_card(user, "Тестовый магазин")
    await user.press("Автоответы")
    screen = await user.wait_message("Автоответы на отзывы")
    assert "5★: выключено" in screen.text and "Окно отмены: 15 мин" in screen.text
    await user.press("5★: выключено")
    await user.wait_message("5★: тень")
    await user.press("5★: тень")
    await user.wait_message("5★: предлагать")
    await user.press("Лимит в день: 50")
    await user.wait_message("Не больше 100")
    settings = await bot_env.services.autoreplies.settings(store)
    assert settings.mode(5) is Mode.SUGGEST and settings.daily_cap == 100
    await user.press("Исключённые товары (0)")
    listing = await user.wait_message("Исключённые товары")
    first = next(label for label in listing.labels if label.startswith("✅"))
    await user.press(first)
    await user.wait_message("🚫")
    assert len((await bot_env.services.autoreplies.settings(store)).excluded) == 1
    # a manager of the store may look but not change the settings
    manager, menu = await manager_on_menu(bot_env, store, 606)
    await manager.press_data(AutoCb(action=AutoAction.MODE4, store_id=store).pack(), menu)
    refused = await manager.wait_answer()
    assert "владельцу" in (refused.text or "")
    assert (await bot_env.services.autoreplies.settings(store)).mode(4) is Mode.OFF


async def test_suggest_queue_is_one_tap_each(bot_env: BotEnv) -> None:
    from tests.e2e.test_stores import open_card

    user, _, store = await seller(bot_env, 607)
    await bot_env.services.sync.sync_all(store, kinds=("products", "reviews"))
    assert await suggest(bot_env, store, batch=4) >= 2
    await open_card(user, "Тестовый магазин")
    await user.press("Автоответы")
    await user.wait_message("Автоответы на отзывы")
    await user.press("Предложенные ответы")
    await user.wait_message("Предложенные ответы")
    await user.press("1. Опубликовать")
    after = await user.wait_message("Ответ опубликован")
    assert "1. Опубликовать" in after.labels[0]  # the next one is one tap away
    await user.press("1. Не нужно")
    await user.wait_message("Предложение убрано")
    assert len(bot_env.wb.stats.feedback_answers) == 1
    states = await bot_env.pool.fetch("SELECT state FROM autoreplies WHERE store_id = $1", store)
    assert sorted(r["state"] for r in states).count("sent") == 1
    assert [r["state"] for r in states].count("cancelled") == 1


async def test_new_questions_alert_leads_to_the_list(bot_env: BotEnv) -> None:
    from bot.announcer import TelegramQuestionAlerts
    from bot.i18n import create_core
    from bot.notifier import TelegramNotifier
    from services.questions import QuestionAlerts

    user, _, store = await seller(bot_env, 608)
    ask(bot_env, 7)
    await bot_env.services.sync.sync_all(store, kinds=("products", "questions"))
    notifier = TelegramNotifier(bot_env.bot, bot_env.services.access, create_core())
    alerts = QuestionAlerts(bot_env.pool, TelegramQuestionAlerts(notifier))
    assert await alerts.dispatch(now=datetime.now(UTC)) == 1
    alert = await user.wait_message("новых вопросов без ответа — 7")
    assert "…и ещё 2" in alert.text and "<b>" not in alert.text
    await user.press("Открыть вопросы")
    await user.wait_message("Без ответа: 7")
    assert await alerts.dispatch(now=datetime.now(UTC)) == 0  # told once


async def test_question_list_pages_forward_and_back_reading_one_page_a_press(
    bot_env: BotEnv,
) -> None:
    """ "Далее" starts where the shown page said the next one starts: one page read a press
    (it used to read the shown page again to find that)."""
    user, _, store = await seller(bot_env, tg_id=611)
    ask(bot_env, n=12)
    await bot_env.services.sync.sync_all(store, kinds=("products", "questions"))
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Вопросы")
    first_page = await user.wait_message("Без ответа")
    assert any(label.startswith("❓ 1.") for label in first_page.labels)
    service = bot_env.services.questions
    reads: list[object] = []
    page = service.page

    async def counted(*args: object, **kwargs: object) -> object:
        reads.append(args)
        return await page(*args, **kwargs)  # type: ignore[arg-type]

    service.page = counted  # type: ignore[method-assign,assignment]

    def numbered(n: int) -> bool:
        return any(label[2:].startswith(f"{n}.") for label in user.last_message.labels)

    try:
        await user.press("Далее »")
        await bot_env.tg.wait_for(lambda: numbered(9), timeout=5, what="the second page")
        assert len(reads) == 1
        await user.press("« Назад")
        await bot_env.tg.wait_for(lambda: numbered(1), timeout=5, what="the first page")
    finally:
        del service.page
