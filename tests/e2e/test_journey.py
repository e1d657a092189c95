"""The whole journey through the bot, end to end, as one person and their colleagues live it:
register (a bad email, then a good one), get approved by the admin, add a store with a WB
token (its message deleted), sync now, page the negative reviews, draft a complaint on a
fresh 1 ★ review, regenerate it, mark it filed (the database says 'sent'), invite a
manager who registers, is approved and joins; and a stranger's forged buttons for all of it
are refused with nothing changed."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from bot.callbacks import ComplaintCb, ReviewCb, StoreCb
from bot.routers import stores as stores_router
from services.access import add_user
from tests.e2e.harness import BotEnv, add_store_until_token
from tests.fakes.telegram import FakeUser
from tests.fakes.telegram.models import ChatMessage

OWNER_TG, MANAGER_TG, STRANGER_TG = 701, 702, 703
STORE = "Пледы & <Ко>"
REVIEW_TEXT = "Ужасно <b>&</b> 😡"


async def register(admin: FakeUser, person: FakeUser, email: str) -> ChatMessage:
    """/start, the email, the admin approves by the card: returns the welcome with the menu."""
    await person.send("/start")
    await person.wait_message("email")
    await person.send(email)
    await person.wait_message("Заявка принята")
    card = await admin.wait_message(email)
    assert "Новая регистрация" in card.text and str(person.id) in card.text
    await admin.press("Одобрить", message=card)
    assert (await admin.wait_answer()).text == "Одобрено"
    return await person.wait_message("одобрена")


def line_number(page: ChatMessage, needle: str) -> int | None:
    """The list number of the review whose line shows `needle` (lines: 'N. ★…' then text)."""
    lines = page.text.splitlines()
    for i, line in enumerate(lines):
        if needle in line and i > 0:
            found = re.match(r"(\d+)\. ", lines[i - 1])
            if found:
                return int(found.group(1))
    return None


async def snapshot(env: BotEnv, review_id: str) -> dict[str, Any]:
    """Everything a stranger's press could change."""
    pool = env.pool

    async def rows(sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in await pool.fetch(sql, *args)]

    return {
        "stores": await rows("SELECT id, name, status, api_token FROM stores ORDER BY id"),
        "members": await rows("SELECT store_id, user_id, role FROM store_members ORDER BY 1, 2"),
        "invites": await rows("SELECT * FROM store_invites ORDER BY 1"),
        "review": await rows(
            "SELECT draft_reply, has_answer, answer, complaint_status::text FROM reviews"
            " WHERE id = $1",
            review_id,
        ),
        "complaints": await rows(
            "SELECT id, status, complaint_text, reason_id, regenerated_count, sent_at"
            " FROM review_complaints ORDER BY id"
        ),
        "llm": len(env.llm.requests),
        "wb_answers": len(env.wb.stats.feedback_answers),
    }


async def test_the_whole_journey(bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stores_router, "PROGRESS_INTERVAL", 0.0)
    env, admin, pool = bot_env, bot_env.admin, bot_env.pool
    landed = env.wb.state.land_feedback(REVIEW_TEXT, valuation=1, created=int(time.time()))

    # --- registration: a bad email, a good one, the admin's card, the menu --------------------
    owner = env.user(OWNER_TG, username="olga_owner", first_name="Ольга")
    await owner.send("/start")
    await owner.wait_message("email")
    await owner.send("olga at example")
    assert "не похоже на email" in (await owner.wait_message("email")).text
    await owner.send("Olga@Example.com")
    assert "olga@example.com" in (await owner.wait_message("Заявка принята")).text
    card = await admin.wait_message("Новая регистрация")
    assert "olga@example.com" in card.text and "@olga_owner" in card.text
    await admin.press("Одобрить", message=card)
    assert (await admin.wait_answer()).text == "Одобрено"
    welcome = await owner.wait_message("одобрена")
    assert {"Магазины", "Отзывы"} <= {label.split()[-1] for label in welcome.labels}

    # --- a store: name, token (deleted at once), sync now ------------------------------------
    await owner.press("Магазины", message=welcome)
    await owner.wait_message("Магазинов пока нет")
    await add_store_until_token(owner, STORE)
    token = env.wb.token()
    sent = await owner.send(token)
    added = await owner.wait_message("добавлен")
    assert f"«{STORE}»" in added.text
    assert owner.message(sent.message_id).deleted
    assert (owner.id, sent.message_id) in env.tg.deletions
    assert all(token not in m.html and token not in m.text for m in owner.messages)
    store_id = await pool.fetchval("SELECT id FROM stores WHERE name = $1", STORE)
    assert store_id

    await owner.press("Синхронизировать", message=added)
    assert (await owner.wait_answer()).text == "Синхронизация запущена."
    summary = await owner.wait_message("завершена", timeout=30)
    shop = env.wb.state
    assert f"новых {len(shop.feedbacks)}" in summary.text.split("Отзывы:")[1].split("\n")[0]
    assert "❌" not in summary.text and "⏭" not in summary.text
    synced = await pool.fetchval("SELECT count(*) FROM reviews WHERE store_id = $1", store_id)
    assert synced == len(shop.feedbacks)

    # --- reviews: negative by default, page forward, the fresh 1 ★ review ---------------------
    await owner.send("/menu")
    await owner.wait_message("WB")
    await owner.press("Отзывы")
    page = await owner.wait_message("⭐ Отзывы ·")
    assert "★ ≤ 3" in page.text and "Найден" in page.text
    pages = next(label for label in page.labels if label.startswith("стр. "))
    assert pages.startswith("стр. 1 из ") and int(pages.split()[-1]) > 1
    await owner.press("Далее »", message=page)
    second = await owner.wait_message("⭐ Отзывы ·")
    assert "стр. 2 из" in " ".join(second.labels) and REVIEW_TEXT not in second.text
    await owner.press("« Назад", message=second)
    page = await owner.wait_message("⭐ Отзывы ·")
    assert pages in page.labels
    number = line_number(page, REVIEW_TEXT)
    assert number is not None, page.text  # the newest review: on the first page
    await owner.press(str(number), message=page)
    review_card = await owner.wait_message("📦")
    assert REVIEW_TEXT in review_card.text and "&lt;b&gt;&amp;&lt;/b&gt;" in review_card.html

    # --- the complaint: draft, regenerate, filed ------------------------------------------
    await owner.press("Составить жалобу", message=review_card)
    drafted = await owner.wait_message("Черновик жалобы готов")
    assert "<pre>" in drafted.html and "Подал(а) в WB" in " ".join(drafted.labels)
    complaint = await pool.fetchrow(
        "SELECT id, status, complaint_text FROM review_complaints WHERE review_id = $1",
        landed.id,
    )
    assert complaint is not None and complaint["status"] == "draft"
    calls = len(env.llm.requests)
    await owner.press("🔄 Заново", message=drafted)
    regenerated = await owner.wait_message("Новый вариант готов")
    assert len(env.llm.requests) > calls
    regenerations = await pool.fetchval(
        "SELECT regenerated_count FROM review_complaints WHERE id = $1", complaint["id"]
    )
    assert regenerations == 1
    await owner.press("Подал(а) в WB", message=regenerated)
    filed = await owner.wait_message("жалоба подана")
    assert "Подал(а)" not in " ".join(filed.labels)
    row = await pool.fetchrow(
        """SELECT c.status, c.sent_at, c.sent_by_user_id, r.complaint_status::text AS rs
             FROM review_complaints c JOIN reviews r ON r.id = c.review_id WHERE c.id = $1""",
        complaint["id"],
    )
    owner_id = await pool.fetchval(
        "SELECT user_id FROM telegram_accounts WHERE telegram_id = $1", OWNER_TG
    )
    assert row is not None and (row["status"], row["rs"]) == ("sent", "sent")
    assert row["sent_at"] is not None and row["sent_by_user_id"] == owner_id

    # --- an invite from the store card; a new person registers and joins ---------------------
    await owner.send("/menu")
    await owner.wait_message("WB")
    await owner.press("Магазины")
    await owner.wait_message("1 магазин")
    await owner.press(f"👑 {STORE}")
    store_card = await owner.wait_message("Синхронизация")
    assert "Ваша роль: владелец" in store_card.text
    await owner.press("Менеджеры", message=store_card)
    await owner.wait_message("Менеджеров пока нет")
    await owner.press("Пригласить менеджера")
    invite = await owner.wait_message("t.me/")
    prefix = f"https://t.me/{env.tg.bot_username}?start=inv_"
    assert prefix in invite.text
    invite_token = invite.text.split(prefix)[1].split()[0]

    manager = env.user(MANAGER_TG, username="max_mgr", first_name="Макс")
    await register(admin, manager, "max@example.com")
    await manager.send(f"/start inv_{invite_token}")
    joined = await manager.wait_message("Теперь вы менеджер")
    assert f"«{STORE}»" in joined.text
    notice = await owner.wait_message("принял(а) приглашение")
    assert "@max_mgr" in notice.text and STORE in notice.text
    await manager.send("/menu")
    await manager.wait_message("WB")
    await manager.press("Магазины")
    listing = await manager.wait_message("1 магазин")
    assert f"👤 {STORE}" in listing.labels
    manager_id = await pool.fetchval(
        "SELECT user_id FROM telegram_accounts WHERE telegram_id = $1", MANAGER_TG
    )
    role = await pool.fetchval(
        "SELECT role FROM store_members WHERE store_id = $1 AND user_id = $2", store_id, manager_id
    )
    assert role == "manager"

    # --- a stranger's forged buttons for the store, the review and the complaint --------------
    await add_user(pool, "stranger@example.com", telegram_id=STRANGER_TG, approve=True)
    stranger = env.user(STRANGER_TG)
    await stranger.send("/menu")
    menu = await stranger.wait_message("WB")
    before = await snapshot(env, landed.id)
    forged = [
        *(
            StoreCb(action=a, store_id=store_id).pack()
            for a in ("open", "sync", "ren", "tok", "pause", "del", "delok", "mgrs", "inv")
        ),
        StoreCb(action="rmm", store_id=store_id, arg="x").pack(),
        *(ReviewCb(action=a, review_id=landed.id).pack() for a in ("o", "rd", "rg", "re", "rp")),
        ReviewCb(action="cd", review_id=landed.id).pack(),
        *(
            ComplaintCb(action=a, complaint_id=complaint["id"], arg=arg).pack()
            for a, arg in (
                ("o", ""),
                ("s", ""),
                ("g", ""),
                ("m", "approved"),
                ("rs", "12"),
                ("rl", ""),
                ("e", ""),
                ("d", ""),
            )
        ),
    ]
    refusals = set()
    for data in forged:
        answer = await stranger.wait_answer(await stranger.press_data(data, menu))
        assert answer.show_alert, (data, answer.text)
        refusals.add(answer.text)
    assert refusals == {
        "Магазин не найден или у вас нет к нему доступа.",
        "Эта карточка недоступна: её удалили или у вас нет к ней доступа.",
    }
    await stranger.send("still here?")  # a message after all the presses: none left a form
    await stranger.wait_message()
    assert await snapshot(env, landed.id) == before
    assert stranger.message(menu.message_id).text == menu.text
    shown = " ".join(m.text for m in stranger.messages)
    assert STORE not in shown and "Ужасно" not in shown and "Пледы" not in shown
    assert not stranger.unanswered_queries
