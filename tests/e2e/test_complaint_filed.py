""" "Подал(а) в WB" files the complaint its card showed, or nothing (issue 10, item 9)."""

from __future__ import annotations

import json

from bot.callbacks import ComplaintCb
from tests.e2e.harness import BotEnv
from tests.e2e.test_complaints_bot import status_of
from tests.e2e.test_reviews import seller
from tests.support.stores import make_product, make_review

SECOND = json.dumps(
    {
        "reason_id": 12,
        "reason_name": "Отзыв оставили конкуренты",
        "complaint_text": "Второй вариант: отзыв написан конкурентом, покупки не было.",
    },
    ensure_ascii=False,
)


async def test_filed_on_an_old_card_files_nothing_and_shows_the_current_text(
    bot_env: BotEnv,
) -> None:
    user, _, store = await seller(bot_env)
    product = await make_product(bot_env.pool, store)
    review_id = await make_review(bot_env.pool, product, rating=1, text="Пришёл брак, ужас")
    first = await bot_env.services.complaints.draft(review_id)
    await user.send("/menu")
    menu = await user.wait_message("WB")
    await user.press_data(ComplaintCb(action="o", complaint_id=first.id).pack(), menu.id)
    card = await user.wait_message("Жалоба · черновик")
    assert first.complaint_text[:40] in card.text

    # Regenerated elsewhere (another chat, an alert card) to another text and reason.
    bot_env.llm.script(SECOND)
    second = await bot_env.services.complaints.regenerate(first.id)
    assert second.reason_id == 12 and second.complaint_text != first.complaint_text

    pressed = await user.press("Подал(а) в WB", message=card)
    alert = await user.wait_answer(pressed)
    assert alert.show_alert and "изменилась" in (alert.text or "")
    redrawn = await user.wait_message("Не отмечено")
    assert "Второй вариант" in redrawn.text and "конкуренты" in redrawn.text
    assert await status_of(bot_env, review_id) == ("draft", "draft")

    await user.press("Подал(а) в WB", message=redrawn)  # the card shows text 2 now
    await user.wait_message("жалоба подана")
    row = await bot_env.pool.fetchrow(
        "SELECT status, reason_id, complaint_text FROM review_complaints WHERE id = $1", first.id
    )
    assert row is not None
    assert (row["status"], row["reason_id"]) == ("sent", 12)
    assert row["complaint_text"] == second.complaint_text


async def test_a_filed_button_without_a_fingerprint_files_nothing(bot_env: BotEnv) -> None:
    """Buttons drawn before they carried a fingerprint cannot say what the person saw."""
    user, _, store = await seller(bot_env)
    product = await make_product(bot_env.pool, store)
    review_id = await make_review(bot_env.pool, product, rating=2, text="Плохо")
    draft = await bot_env.services.complaints.draft(review_id)
    await user.send("/menu")
    menu = await user.wait_message("WB")
    pressed = await user.press_data(ComplaintCb(action="s", complaint_id=draft.id).pack(), menu.id)
    alert = await user.wait_answer(pressed)
    assert alert.show_alert and "старой карточки" in (alert.text or "")
    redrawn = await user.wait_message("Не отмечено")
    assert await status_of(bot_env, review_id) == ("draft", "draft")
    await user.press("Подал(а) в WB", message=redrawn)
    await user.wait_message("жалоба подана")
    assert await status_of(bot_env, review_id) == ("sent", "sent")
