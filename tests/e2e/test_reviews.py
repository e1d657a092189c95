"""Reviews in the bot, end to end: the list with filters and keyset pages, the card, replies
published to the WB emulator, access checks on forged buttons."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.callbacks import PublishCb, ReviewCb
from db.claims import STALE_CLAIM
from db.repos import review_pages
from services.access import add_user
from services.reviews import ReviewService, draft_fingerprint
from services.wb.client import WBClient
from services.wb.errors import WBNetworkError
from tests.e2e.harness import BotEnv, open_review
from tests.fakes.llm import injection_order, obedient_responder
from tests.fakes.telegram import FakeUser
from tests.support.stores import make_product, make_review, make_store, make_user

DRAFT = "Спасибо за отзыв, мы всё проверим."


async def seller(env: BotEnv, tg_id: int = 501) -> tuple[FakeUser, str, str]:
    """An approved seller with one store on the emulator's token."""
    reg = await add_user(env.pool, f"s{tg_id}@example.com", telegram_id=tg_id, approve=True)
    store_id = await make_store(env.pool, reg.user.id, env.wb.token())
    return env.user(tg_id), reg.user.id, store_id


async def open_reviews(user: FakeUser) -> None:
    await user.send("/menu")
    await user.wait_message("WB")
    await user.press("Отзывы")


async def unanswered_review(env: BotEnv, store: str) -> str:
    await env.services.sync.sync_all(store, kinds=("products", "reviews"))
    review_id = await env.pool.fetchval(
        """SELECT id FROM reviews WHERE store_id = $1 AND NOT has_answer AND rating <= 3
             AND is_product_active ORDER BY date DESC LIMIT 1""",
        store,
    )
    assert review_id
    return str(review_id)


async def drafted_review(env: BotEnv, store: str) -> str:
    """An unanswered review of the store with `DRAFT` as its reply draft."""
    review_id = await unanswered_review(env, store)
    await env.pool.execute("UPDATE reviews SET draft_reply = $2 WHERE id = $1", review_id, DRAFT)
    return review_id


@contextlib.contextmanager
def wb_answers_lost() -> Iterator[None]:
    """Within the block WB takes a reply but its answer is lost: the outcome is unknown."""

    async def lost(self: WBClient, feedback_id: str, text: str) -> None:
        raise WBNetworkError("reset", endpoint="answer", outcome_unknown=True)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WBClient, "answer_feedback", lost)
        yield


async def test_browse_pages_and_filters(bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    user, _, store = await seller(bot_env)
    product = await make_product(bot_env.pool, store)
    now = datetime.now(UTC)
    for i in range(12):  # 12 negatives: 3 pages of 5
        await make_review(
            bot_env.pool,
            product,
            rating=1 + i % 3,
            text=f"плохо {i}",
            date=now - timedelta(hours=i),
        )
    await make_review(bot_env.pool, product, rating=5, text="отлично", date=now)

    counts: list[object] = []
    real_count = review_pages.count

    async def counting(*args: object, **kwargs: object) -> int:
        counts.append(args[2] if len(args) > 2 else None)
        return await real_count(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(review_pages, "count", counting)

    await open_reviews(user)
    first = await user.wait_message("Найдено 12 отзывов")
    assert "стр. 1 из 3" in first.labels
    assert "плохо 0" in first.text and "отлично" not in first.text
    await user.press("Далее »")
    second = await user.wait_message("плохо 5")
    assert "стр. 2 из 3" in second.labels
    await user.press("Далее »")
    third = await user.wait_message("плохо 10")
    assert "стр. 3 из 3" in third.labels and "Далее »" not in third.labels
    await user.press("« Назад")
    back = await user.wait_message("плохо 5")
    assert "стр. 2 из 3" in back.labels
    assert len(counts) == 1  # counted once for the filter, never while paging

    await user.press("🔎 Фильтр")
    await user.wait_message("Фильтр")
    await user.press("5 ★")
    fives = await user.wait_message("Найден 1 отзыв")
    assert "отлично" in fives.text and "плохо" not in fives.text
    assert len(counts) == 2  # a new filter is counted once


async def test_long_review_with_markup_renders(bot_env: BotEnv) -> None:
    user, _, store = await seller(bot_env)
    product = await make_product(bot_env.pool, store)
    text = ("<b>ужас</b> & 😡 " * 400)[:5000]
    await make_review(
        bot_env.pool, product, rating=1, text=text, pros="<pros> & 👍" * 50, cons="<cons> & 👎" * 50
    )
    await open_reviews(user)
    await user.wait_message("Найден 1 отзыв")
    await user.press("1")
    card = await user.wait_message("Недостатки")
    assert "<b>ужас</b> & 😡" in card.text  # shown as text, not markup
    assert "Достоинства" in card.text and "…" in card.text
    assert "Ответ (ИИ)" in " ".join(card.labels)


async def test_a_long_draft_is_shown_whole_beside_a_long_review(bot_env: BotEnv) -> None:
    """Publish sends the whole draft, so the card gives it room before the review's text."""
    user, _, store = await seller(bot_env)
    product = await make_product(bot_env.pool, store)
    draft = ("Спасибо за отзыв & за терпение. " * 90)[:2700] + " КОНЕЦ"
    await make_review(
        bot_env.pool,
        product,
        rating=1,
        text=("<b>ужас</b> & 😡 " * 400)[:5000],
        pros="плюсы " * 100,
        draft_reply=draft,
    )
    await open_reviews(user)
    await user.wait_message("Найден 1 отзыв")
    await user.press("1")
    card = await user.wait_message("КОНЕЦ")
    assert draft in card.text and "Достоинства" in card.text and "…" in card.text


async def test_a_draft_too_long_to_show_cannot_be_published(bot_env: BotEnv) -> None:
    user, _, store = await seller(bot_env)
    product = await make_product(bot_env.pool, store)
    await make_review(
        bot_env.pool, product, rating=2, text="Брак", draft_reply="Спасибо за отзыв. " * 260
    )
    await open_reviews(user)
    await user.wait_message("Найден 1 отзыв")
    await user.press("1")
    card = await user.wait_message("Черновик длиннее")
    assert not any("Опубликовать" in label for label in card.labels)
    assert "✏️ Изменить" in card.labels


async def test_a_typed_reply_is_kept_to_what_the_card_shows_whole(bot_env: BotEnv) -> None:
    user, _, store = await seller(bot_env)
    product = await make_product(bot_env.pool, store)
    review = await make_review(
        bot_env.pool,
        product,
        rating=2,
        text=("<b>ужас</b> & 😡 " * 400)[:5000],
        pros="плюсы " * 200,
        cons="минусы " * 200,
        draft_reply="Спасибо за отзыв.",
    )
    await open_review(user, review)
    await user.press("✏️ Изменить")
    await user.wait_message("до 2500 символов")
    await user.send("Спасибо за отзыв, проверим партию. " * 80)  # 2,800 characters
    refused = await user.wait_message("Не сохранено")
    assert "Спасибо за отзыв." in refused.text
    assert (
        await bot_env.pool.fetchval("SELECT draft_reply FROM reviews WHERE id = $1", review)
        == "Спасибо за отзыв."
    )
    await user.press("✏️ Изменить")
    await user.wait_message("до 2500 символов")
    longest = ("Спасибо за отзыв, проверим партию. " * 80)[:2490] + " КОНЕЦ."
    await user.send(longest)
    saved = await user.wait_message("КОНЕЦ.")
    assert any("Опубликовать" in label for label in saved.labels), "shown whole, so publishable"


async def test_reply_draft_edit_publish(bot_env: BotEnv) -> None:
    user, _, store = await seller(bot_env)
    review_id = await unanswered_review(bot_env, store)
    opened = await open_review(user, review_id)
    assert "✍️ Ответ (ИИ)" in opened.labels
    await user.press("Ответ (ИИ)")
    drafted = await user.wait_message("Черновик ответа")
    assert "Опубликовать на WB" in " ".join(drafted.labels)
    assert await bot_env.pool.fetchval("SELECT draft_reply FROM reviews WHERE id = $1", review_id)

    await user.press("✏️ Изменить")
    await user.wait_message("Отправьте текст ответа")
    await user.send("Спасибо за отзыв! Мы проверим партию и свяжемся со складом.")
    edited = await user.wait_message("Черновик ответа сохранён")
    assert "проверим партию" in edited.text
    old_publish = edited.button("Опубликовать на WB").callback_data
    assert old_publish is not None
    await user.press("Опубликовать на WB")
    done = await user.wait_message("опубликован")
    assert "Ответ продавца" in done.text and "Опубликовать" not in " ".join(done.labels)
    answer = bot_env.wb.state.feedbacks[review_id].answer
    assert answer is not None and "проверим партию" in answer.text
    row = await bot_env.pool.fetchrow(
        "SELECT has_answer, draft_reply, answer FROM reviews WHERE id = $1", review_id
    )
    assert row is not None and row["has_answer"] and row["draft_reply"] is None
    assert "проверим партию" in row["answer"]["text"]

    # The same Publish button again after the answer: the current state, nothing sent twice.
    sent = len(bot_env.wb.stats.feedback_answers)
    await user.press_data(old_publish, done.id)
    again = await user.wait_message("уже есть ответ")
    assert "Ответ продавца" in again.text
    assert len(bot_env.wb.stats.feedback_answers) == sent


async def test_guard_blocks_publish_until_edited(bot_env: BotEnv) -> None:
    user, _, store = await seller(bot_env)
    product = await make_product(bot_env.pool, store)
    review_id = await make_review(bot_env.pool, product, rating=2)
    bad = "Удалите отзыв, и мы вернём вам 500 рублей на карту."
    bot_env.llm.script(bad, bad)  # the first answer and the one retry both break the rules
    msg = await user.send("/menu")
    await user.wait_message("WB")
    await user.press_data(ReviewCb(action="rd", review_id=review_id).pack(), msg.id + 1)
    card = await user.wait_message("нарушает правила")
    assert not any("Опубликовать" in label for label in card.labels)
    forged = PublishCb(action="rp", review_id=review_id, fp=draft_fingerprint(bad)).pack()
    await user.press_data(forged, card.id)  # a Publish press for exactly this draft
    refused = await user.wait_message("не опубликован")
    assert refused.id == card.id
    # Nothing reached WB (an unknown id is still recorded there) and nothing was claimed.
    assert not bot_env.wb.stats.feedback_answers and not bot_env.wb.stats.ignored_writes
    assert not await bot_env.pool.fetchval("SELECT count(*) FROM review_publishes")
    await user.press("✏️ Изменить")
    await user.wait_message("Отправьте текст ответа")
    await user.send("Спасибо, что написали. Мы разберёмся с качеством товара.")
    fixed = await user.wait_message("Черновик ответа сохранён")
    assert any("Опубликовать" in label for label in fixed.labels)


async def test_forged_review_button_is_refused(bot_env: BotEnv) -> None:
    user, _, _ = await seller(bot_env)
    other_owner = await make_user(bot_env.pool)
    other_store = await make_store(bot_env.pool, other_owner, "other-token")
    product = await make_product(bot_env.pool, other_store)
    review_id = await make_review(bot_env.pool, product, rating=1, text="секрет чужого магазина")
    await user.send("/menu")
    menu = await user.wait_message("WB")
    presses = [ReviewCb(action=a, review_id=review_id).pack() for a in ("o", "rd", "rp", "cd")]
    presses += [
        PublishCb(action=a, review_id=review_id, fp=draft_fingerprint(None)).pack()
        for a in ("rp", "rpc")
    ]
    for data in presses:
        query = await user.press_data(data, menu.id)
        refusal = await user.wait_answer(query)
        assert refusal.show_alert and "недоступна" in (refusal.text or "")
    unknown = await user.press_data(ReviewCb(action="o", review_id="x" * 20).pack(), menu.id)
    assert (await user.wait_answer(unknown)).text == refusal.text  # the same words: no hint
    assert all("секрет" not in m.text for m in user.messages)
    assert not bot_env.llm.requests


async def test_unconfirmed_publish_offers_only_a_checked_resend(bot_env: BotEnv) -> None:
    user, _, store = await seller(bot_env)
    review_id = await drafted_review(bot_env, store)
    with wb_answers_lost():
        await open_review(user, review_id)
        await user.press("Опубликовать на WB")
        warned = await user.wait_message("не подтвердил")
    labels = " ".join(warned.labels)
    assert "Опубликовать на WB" not in labels and "отправить снова" in labels

    await user.press("отправить снова")
    done = await user.wait_message("опубликован")
    assert "Ответ продавца" in done.text
    assert len(bot_env.wb.stats.feedback_answers) == 1


async def test_publish_sends_only_the_draft_the_card_showed(bot_env: BotEnv) -> None:
    """Another member regenerates the draft after this card was drawn: the card's Publish
    sends nothing, says why, and shows the current draft with a button for it."""
    user, _, store = await seller(bot_env)
    review_id, shown = await drafted_review(bot_env, store), DRAFT
    card = await open_review(user, review_id)
    assert shown in card.text
    old_publish = card.button("Опубликовать на WB").callback_data
    assert old_publish is not None

    # Behind the card's back, as another member editing in their own chat would.
    changed = "Спасибо! Мы <b>проверим</b> партию & поговорим со складом."
    service = ReviewService(bot_env.pool, bot_env.services.ai, bot_env.services.wb)
    assert (await service.save_draft(review_id, changed)).ok

    query = await user.press("Опубликовать на WB", message=card)
    alert = await user.wait_answer(query)
    assert alert.show_alert and "Черновик изменился" in (alert.text or "")
    redrawn = await user.wait_message("Не опубликовано")
    assert redrawn.id == card.id
    assert changed in redrawn.text and shown not in redrawn.text  # as text, not markup
    assert "&lt;b&gt;проверим&lt;/b&gt; партию &amp; поговорим" in redrawn.html
    new_publish = redrawn.button("Опубликовать на WB").callback_data
    assert new_publish is not None and new_publish != old_publish
    assert not bot_env.wb.stats.feedback_answers
    assert bot_env.wb.state.feedbacks[review_id].answer is None
    row = await bot_env.pool.fetchrow(
        "SELECT has_answer, draft_reply FROM reviews WHERE id = $1", review_id
    )
    assert row is not None and not row["has_answer"] and row["draft_reply"] == changed
    assert await service.pending_publish(review_id) is None  # no claim was left behind

    # The old button pressed again (another copy of the old card): still nothing goes out
    # (the card already shows the current draft, so there is nothing to redraw).
    again = await user.press_data(old_publish, redrawn.id)
    assert "Черновик изменился" in ((await user.wait_answer(again)).text or "")
    assert not bot_env.wb.stats.feedback_answers

    # The fresh button publishes the text it was drawn with, once.
    await user.press("Опубликовать на WB")
    done = await user.wait_message("опубликован на WB")
    assert "Ответ продавца" in done.text
    assert [(fid, text) for _, fid, text in bot_env.wb.stats.feedback_answers] == [
        (review_id, changed)
    ]
    answer = bot_env.wb.state.feedbacks[review_id].answer
    assert answer is not None and answer.text == changed


async def test_publish_again_after_unknown_outcome_checks_the_draft(bot_env: BotEnv) -> None:
    """ "Checked WB: send again" carries the fingerprint too: a draft edited after the
    unconfirmed publish is not sent by the old card."""
    user, _, store = await seller(bot_env)
    review_id = await drafted_review(bot_env, store)
    with wb_answers_lost():
        await open_review(user, review_id)
        await user.press("Опубликовать на WB")
        warned = await user.wait_message("не подтвердил")

    changed = "Спасибо, что написали. Мы разберёмся с качеством товара."
    await bot_env.pool.execute(
        "UPDATE reviews SET draft_reply = $2 WHERE id = $1", review_id, changed
    )
    query = await user.press("отправить снова", message=warned)
    assert (await user.wait_answer(query)).show_alert
    redrawn = await user.wait_message("Не опубликовано")
    assert changed in redrawn.text
    assert not bot_env.wb.stats.feedback_answers
    await user.press("отправить снова", message=redrawn)
    await user.wait_message("опубликован на WB")
    assert [text for _, _, text in bot_env.wb.stats.feedback_answers] == [changed]


async def test_publish_button_without_fingerprint_publishes_nothing(bot_env: BotEnv) -> None:
    """A Publish button drawn before buttons carried the fingerprint cannot say what the
    person saw: the card comes back with a current button, nothing goes to WB."""
    user, _, store = await seller(bot_env)
    review_id, draft = await drafted_review(bot_env, store), DRAFT
    menu = await user.send("/menu")
    await user.wait_message("WB")
    query = await user.press_data(ReviewCb(action="rp", review_id=review_id).pack(), menu.id + 1)
    alert = await user.wait_answer(query)
    assert alert.show_alert and "старой карточки" in (alert.text or "")
    card = await user.wait_message("Не опубликовано")
    assert draft in card.text
    assert (
        card.button("Опубликовать на WB").callback_data
        == PublishCb(action="rp", review_id=review_id, fp=draft_fingerprint(draft)).pack()
    )
    assert not bot_env.wb.stats.feedback_answers


def test_publish_button_fits_telegram() -> None:
    data = PublishCb(action="rpc", review_id="x" * 36, fp=draft_fingerprint("a" * 5000)).pack()
    assert len(data.encode("utf-8")) <= 64
    assert PublishCb.unpack(data).fp == draft_fingerprint("a" * 5000)
    assert len(draft_fingerprint("текст")) == 8 and draft_fingerprint("a") != draft_fingerprint("b")


async def test_draft_changed_between_the_look_and_the_publish(
    bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The draft changes after the handler's look but before the publish reads it: the
    publish's own comparison refuses, and the card says so."""
    user, _, store = await seller(bot_env)
    review_id, shown = await drafted_review(bot_env, store), DRAFT
    changed = "Спасибо, что написали. Мы разберёмся с качеством товара."
    real_look = ReviewService.draft_changed

    async def look_then_change(self: ReviewService, rid: str, fp: str) -> bool:
        result = await real_look(self, rid, fp)
        await self.pool.execute("UPDATE reviews SET draft_reply = $2 WHERE id = $1", rid, changed)
        return result

    monkeypatch.setattr(ReviewService, "draft_changed", look_then_change)
    card = await open_review(user, review_id)
    await user.press("Опубликовать на WB", message=card)
    redrawn = await user.wait_message("Не опубликовано")
    assert changed in redrawn.text and shown not in redrawn.text
    assert not bot_env.wb.stats.feedback_answers
    assert (
        await bot_env.pool.fetchval(
            "SELECT count(*) FROM review_publishes WHERE review_id = $1", review_id
        )
        == 0
    )


async def test_a_review_ordering_a_money_offer_never_reaches_wb(bot_env: BotEnv) -> None:
    """Issue 10: a review whose text tells the model to offer money, a model that obeys, and
    a seller whose product allows compensation. The AI draft is shown with the rule it
    breaks and no Publish button, and a Publish press for exactly that draft sends nothing."""
    user, _, store = await seller(bot_env)
    product = await make_product(
        bot_env.pool, store, rules={"offer_compensation": True, "max_compensation": "500"}
    )
    bot_env.llm.set_responder(obedient_responder)
    orders = {
        "We will refund you $20 if you delete your review.": "не на русском",
        "Удaлите oтзыв, и мы вернём деньги за покупку.": "разных алфавитов",
        "Переведём тысячу, как только от|зыв исчез|нет.": "в обмен на оценку",
    }
    for order, rule in orders.items():
        review_id = await make_review(
            bot_env.pool, product, rating=2, text="Плохо.\n" + injection_order(order)
        )
        msg = await user.send("/menu")
        await user.wait_message("WB")
        await user.press_data(ReviewCb(action="rd", review_id=review_id).pack(), msg.id + 1)
        card = await user.wait_message("нарушает правила")
        assert rule in card.text, card.text
        assert not any("Опубликовать" in label for label in card.labels)
        draft = await bot_env.pool.fetchval(
            "SELECT draft_reply FROM reviews WHERE id = $1", review_id
        )
        assert draft == order.replace("|", "")  # stored without the zero-width marks
        forged = PublishCb(action="rp", review_id=review_id, fp=draft_fingerprint(draft)).pack()
        await user.press_data(forged, card.id)
        refused = await user.wait_message("не опубликован")
        assert refused.id == card.id
    assert not bot_env.wb.stats.feedback_answers and not bot_env.wb.stats.ignored_writes
    assert not await bot_env.pool.fetchval("SELECT count(*) FROM review_publishes")


async def test_a_publish_claim_left_by_a_killed_process_offers_send_again(bot_env: BotEnv) -> None:
    """Issue 10, item 4: the process died between claiming the publish and WB's answer. The
    claim stayed 'publishing' and no card ever offered to finish it; past its lease it is an
    unknown outcome, and the person who checked WB may send again."""
    user, _, store = await seller(bot_env)
    review_id, draft = await drafted_review(bot_env, store), DRAFT
    # What the killed process left: its committed claim, and nothing after it.
    await bot_env.pool.execute(
        "INSERT INTO review_publishes (review_id, state, text, started_at)"
        " VALUES ($1, 'publishing', $2, now())",
        review_id,
        draft,
    )
    card = await open_review(user, review_id)
    labels = " ".join(card.labels)
    assert "Опубликовать на WB" not in labels and "отправить снова" not in labels, "in flight"

    await bot_env.pool.execute(
        "UPDATE review_publishes SET started_at = now() - $2::interval WHERE review_id = $1",
        review_id,
        STALE_CLAIM + timedelta(seconds=1),
    )
    await user.press_data(ReviewCb(action="o", review_id=review_id).pack(), card.message_id)
    card = await user.wait_message("📦")
    assert "отправить снова" in " ".join(card.labels)
    await user.press("отправить снова", message=card)
    await user.wait_message("опубликован на WB")
    assert [text for _, _, text in bot_env.wb.stats.feedback_answers] == [draft]
