"""Alerts through the real bot: a new negative review on the WB emulator reaches the owner as
a card with buttons; an auto-drafted one carries its draft; a block is recorded; a 429 is
waited out (on a controlled pacer, no real waiting)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.i18n import create_core
from bot.notifier import Pacer, TelegramNotifier
from services.access import add_user
from services.alerts import AlertService
from services.jobs import Jobs
from services.notifier import Recipient, ReviewCard
from services.reminders import ReminderService
from tests.e2e.harness import BotEnv
from tests.support.fake_time import FakeTime
from tests.support.stores import make_store, work_every_product

OWNER_TG = 701


def jobs_for(env: BotEnv) -> Jobs:
    notifier = TelegramNotifier(
        env.bot, env.services.access, create_core(), pacer=Pacer(per_chat=0.0)
    )
    s = env.services
    return Jobs(
        env.pool,
        s.sync,
        s.complaints,
        AlertService(env.pool, notifier),
        ReminderService(env.pool, notifier),
    )


async def test_new_review_alert_card_and_draft_buttons(bot_env: BotEnv) -> None:
    env = bot_env
    reg = await add_user(env.pool, "owner@example.com", telegram_id=OWNER_TG, approve=True)
    store = await make_store(env.pool, reg.user.id, env.wb.token(), name="Пледы <&>")
    owner = env.user(OWNER_TG)
    jobs = jobs_for(env)
    now = datetime.now(UTC).replace(microsecond=0)
    await jobs.sync_store(store, "products", now=now)
    await jobs.sync_store(store, "reviews", now=now)
    assert owner.messages == [], "backfill sends nothing"

    created = int((now - timedelta(minutes=2)).timestamp())
    env.wb.state.land_feedback("Пришёл брак, <b>ужас</b>", valuation=1, created=created)
    env.wb.state.land_feedback("Супер", valuation=5, created=created)
    await jobs.sync_store(store, "reviews", now=now + timedelta(minutes=5))
    alert = await owner.wait_message("Новый отзыв")
    assert "Пледы <&>" in alert.text and "★☆☆☆☆" in alert.text
    assert "<b>ужас</b>" in alert.text, "review text is escaped, shown as typed"
    assert {"📝 Составить жалобу", "💬 Черновик ответа", "⭐ Все отзывы"} <= set(alert.labels)
    assert len(owner.messages) == 1, "the 5-star review is not alerted"

    # Work every product by default: the next review is auto-drafted before the alert.
    await work_every_product(env.pool, store)
    env.wb.state.land_feedback("Ткань порвалась", valuation=2, created=created + 60)
    await jobs.sync_store(store, "reviews", now=now + timedelta(minutes=10))
    drafted = await owner.wait_message("Черновик жалобы")
    assert {"✅ Подал(а) в WB", "🔄 Перегенерировать", "✏️ Изменить"} <= set(drafted.labels)
    assert len(owner.messages) == 2

    # The owner blocks the bot: the next alert marks the account and is not retried.
    owner.block_bot()
    env.wb.state.land_feedback("Плохо", valuation=1, created=created + 120)
    await jobs.sync_store(store, "reviews", now=now + timedelta(minutes=15))
    blocked = await env.pool.fetchval(
        "SELECT is_blocked FROM telegram_accounts WHERE telegram_id = $1", OWNER_TG
    )
    assert blocked is True
    assert (
        await env.pool.fetchval(
            "SELECT count(*) FROM review_alerts WHERE status = 'failed' AND error = 'blocked'"
        )
        == 1
    )


async def test_notifier_waits_out_429_and_paces_per_chat(bot_env: BotEnv) -> None:
    env = bot_env
    t = FakeTime(start=0.0)
    bot = env.tg.make_bot()  # no session middleware: the notifier meets the 429 itself
    pacer = Pacer(per_second=25, per_chat=1.0, clock=t.clock, sleep=t.sleep)
    notifier = TelegramNotifier(bot, env.services.access, create_core(), pacer=pacer)
    user = env.user(702)
    to = Recipient("u", 702, "en")
    card = ReviewCard(
        review_id="r1",
        store_id="s",
        store_name="Shop",
        product_id="p",
        product_name="Blanket",
        vendor_code="PL",
        nm_id="1",
        rating=2,
        text="Bad",
        pros="",
        cons="",
        author="Ann",
        date=datetime.now(UTC),
    )
    try:
        env.tg.flood("sendMessage", times=1, retry_after=7)
        assert await notifier.review_alert(to, card) == "sent"
        assert sum(t.sleeps) == 7.0, "the 429's retry_after was waited (on the fake clock)"
        assert await notifier.review_alert(to, card) == "sent"
        assert t.sleeps[-1] == 1.0, "one message a second per chat"
        msg = await user.wait_message("New review")
        assert "Open review" in " ".join(msg.labels)
    finally:
        await bot.session.close()


def long_card(i: int, text: str, **kwargs: object) -> ReviewCard:
    fields: dict[str, object] = {
        "review_id": f"r{i}",
        "store_id": "s",
        "store_name": "Пледы <&> 🧶" * 5,
        "product_id": "p",
        "product_name": "Плед & <покрывало> 🛏" * 20,
        "vendor_code": "PL&<1>" * 10,
        "nm_id": "1",
        "rating": 1,
        "text": text,
        "pros": text,
        "cons": text,
        "author": "Аня <&> 😀" * 10,
        "date": datetime.now(UTC),
    }
    fields.update(kwargs)
    return ReviewCard(**fields)  # type: ignore[arg-type]


async def test_long_alert_and_digest_fit_one_message(bot_env: BotEnv) -> None:
    """Emoji count double, `&` is five characters escaped, review texts have newlines: the
    alert and the digest are still accepted (the fake checks HTML and the UTF-16 length)."""
    env = bot_env
    notifier = TelegramNotifier(
        env.tg.make_bot(), env.services.access, create_core(), pacer=Pacer(per_chat=0.0)
    )
    user = env.user(703)
    to = Recipient("u", 703, "ru")
    text = (("😡" * 30 + " <b>брак</b> & возврат\n" * 2) * 100)[:5000]
    card = long_card(
        0,
        text,
        complaint_id="c1",
        complaint_status="draft",
        complaint_text=text,
        reason_name="Причина <&>",
    )
    try:
        assert await notifier.review_alert(to, card) == "sent"
        alert = await user.wait_message("Новый отзыв")
        assert "😡😡 <b>брак</b> & возврат" in alert.text
        cards = [
            long_card(i, text, complaint_id=f"c{i}", complaint_status="draft") for i in range(20)
        ]
        assert await notifier.review_digest(to, cards) == "sent"
        assert len(user.messages) == 2
        assert all(call.ok for call in env.tg.calls_to("sendMessage"))
    finally:
        await notifier.bot.session.close()


async def test_notifier_is_the_only_retry_layer(bot_env: BotEnv) -> None:
    """The app's bot carries RetryAfterMiddleware; the notifier's sends pass it by, so each 429
    pauses the pacer (on the fake clock, no real sleep) and is tried once per pause."""
    env = bot_env
    t = FakeTime(start=0.0)
    pacer = Pacer(per_second=25, per_chat=0.0, clock=t.clock, sleep=t.sleep)
    notifier = TelegramNotifier(env.bot, env.services.access, create_core(), pacer=pacer, retries=3)
    env.user(704)
    to = Recipient("u", 704, "en")
    before = len(env.tg.calls_to("sendMessage"))
    started = asyncio.get_running_loop().time()
    env.tg.flood("sendMessage", times=2, retry_after=1)
    assert await notifier.review_alert(to, long_card(0, "Bad")) == "sent"
    assert asyncio.get_running_loop().time() - started < 0.9, "no real sleep in a middleware"
    assert t.sleeps.count(1.0) == 2, "both 429s reached the pacer"
    assert len(env.tg.calls_to("sendMessage")) - before == 3
    env.tg.flood("sendMessage", times=5, retry_after=1)
    assert await notifier.review_alert(to, long_card(1, "Bad")) == "failed"
    assert len(env.tg.calls_to("sendMessage")) - before == 3 + 4, "retries + 1 tries, no more"
