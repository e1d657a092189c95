"""Automatic replies to 4-5 star reviews (services/autoreplies.py) against the WB emulator and
the LLM stub: 200 positive reviews with hidden complaints among them, the cancel window, the
daily cap, a portal answer meanwhile, a crash after WB's call, and three instances at once."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from db.claims import STALE_CLAIM
from db.pool import create_pool
from db.repos import autoreplies as repo
from db.repos import stores as stores_repo
from db.repos import users as users_repo
from services.autoreplies import (
    AutoReplyError,
    AutoReplyJob,
    AutoReplyService,
    Mode,
    Scheduled,
    TickReport,
    day_start,
    similarity,
)
from services.notifier import Delivery, Recipient
from services.reviews import ReviewService
from services.sync.base import SyncOptions
from tests.fakes.wb.generator import generate_shop
from tests.fakes.wb.state import Feedback, SellerState
from tests.support.positive_reviews import LabelledReview, review_set
from tests.support.store_env import StoreEnv, store_env

SCALE = 500.0

_OPEN = [
    "Спасибо за тёплый отзыв",
    "Благодарим вас за высокую оценку",
    "Очень приятно читать такие слова",
    "Рады, что покупка вас порадовала",
    "Спасибо, что нашли время написать",
    "Ваш отзыв нас очень вдохновил",
    "Большое спасибо за доверие",
    "Как здорово, что вам всё понравилось",
    "Искренне благодарим за оценку",
    "Нам очень приятна ваша обратная связь",
    "Спасибо за добрые слова о покупке",
    "Мы счастливы, что товар подошёл",
]
_CLOSE = [
    "Ждём вас снова в нашем магазине.",
    "Будем рады видеть вас среди покупателей и дальше.",
    "Пусть вещь служит долго и радует каждый день.",
    "Приходите к нам за новыми покупками.",
    "Желаем приятного пользования.",
    "Надеемся на новые встречи.",
    "Команда магазина желает вам хорошего настроения.",
    "Постараемся и дальше радовать вас качеством.",
    "До новых покупок!",
    "Всегда рады помочь с выбором.",
    "Пусть покупка приносит только радость.",
    "Хорошего вам дня!",
]


def varied_responder() -> Any:
    """A model that reads the "do not repeat" block: it picks a wording none of the earlier
    replies in the prompt used."""

    def respond(body: dict[str, Any]) -> str:
        user = "\n".join(
            m["content"] for m in body["messages"] if m["role"] == "user" and m.get("content")
        )
        for k in range(len(_OPEN) * len(_CLOSE)):
            i, j = k % len(_OPEN), (k + k // len(_OPEN)) % len(_CLOSE)
            if f"{_OPEN[i]}. {_CLOSE[j]}" not in user:
                return f"Здравствуйте! {_OPEN[i]}. {_CLOSE[j]}"
        return f"Здравствуйте! {_OPEN[0]}. {_CLOSE[0]}"

    return respond


@dataclass
class Env(StoreEnv):
    db_url: str
    seller: SellerState
    service: AutoReplyService
    labels: dict[str, LabelledReview]
    now: datetime


class Announcements:
    def __init__(self) -> None:
        self.items: list[Scheduled] = []
        self.messages: list[tuple[str, list[Scheduled]]] = []

    async def announce(self, to: Recipient, store_name: str, items: Any) -> Delivery:
        self.items.extend(items)
        self.messages.append((to.user_id, list(items)))
        return "sent"


@pytest.fixture
async def env(pool: asyncpg.Pool, db_url: str) -> AsyncIterator[Env]:
    shop = generate_shop(11, reviews=0, products=3, questions=0, chats=0)
    now = datetime.now(UTC).replace(microsecond=0)
    nm_ids = list(shop.cards)
    labelled = review_set()
    feedbacks = []
    labels: dict[str, LabelledReview] = {}
    for i, r in enumerate(labelled):
        fid = f"fb{i:04d}autoreply"
        labels[fid] = r
        feedbacks.append(
            Feedback(
                id=fid,
                text=r.text,
                pros=r.pros or "",
                cons=r.cons or "",
                created=int((now - timedelta(hours=30) + timedelta(minutes=i)).timestamp()),
                product=shop.product_details(nm_ids[i % len(nm_ids)]),
                valuation=r.rating,
            )
        )
    shop.add_feedbacks(feedbacks)
    async with store_env(pool, shop, scale=SCALE, ai_timeout=5.0) as w:
        w.llm.set_responder(varied_responder())
        await w.sync_all("products", "reviews", options=SyncOptions(feedbacks_take=500))
        assert (
            await pool.fetchval("SELECT count(*) FROM reviews WHERE store_id = $1", w.store) == 200
        )
        service = AutoReplyService(pool, ReviewService(pool, w.ai, w.factory), lambda: now)
        yield Env.extend(w, db_url=db_url, seller=shop, service=service, labels=labels, now=now)


def answers(env: Env) -> Counter[str]:
    """Replies WB took, by review; every call counts: one WB ignored (the review already had
    an answer) would be a second send, so there must be none."""
    assert not [w for w in env.wb.stats.ignored_writes if w[1] == "feedback_answer"]
    return Counter(fid for _, fid, _ in env.wb.stats.feedback_answers)


async def automatic(env: Env, cap: int = 1000) -> None:
    for rating in (4, 5):
        await env.service.set_mode(env.store, rating, Mode.AUTOMATIC)
    await env.service.set_limits(env.store, daily_cap=cap)


async def test_default_is_off_and_nothing_happens(env: Env) -> None:
    settings = await env.service.settings(env.store)
    assert settings.mode(4) is Mode.OFF and settings.mode(5) is Mode.OFF
    assert settings.cancel_minutes == 15
    job = AutoReplyJob(env.pool, env.ai, env.factory, holder="a")
    report = await job.tick(env.now)
    assert report.held == report.shadow == len(report.scheduled) == 0
    assert not env.wb.stats.feedback_answers


async def test_three_instances_over_200_reviews(env: Env) -> None:
    await automatic(env)
    owner = await env.pool.fetchval("SELECT owner_id FROM stores WHERE id = $1", env.store)
    await users_repo.link_telegram(env.pool, 8801, owner)  # told of each scheduled reply once
    pools = [await create_pool(env.db_url, min_size=1, max_size=3) for _ in range(3)]
    seen = Announcements()
    try:
        jobs = [
            AutoReplyJob(p, env.ai, env.factory, holder=f"i{n}", announcer=seen, batch=40)
            for n, p in enumerate(pools)
        ]
        # intake, run until every review was looked at
        for _ in range(10):
            await asyncio.gather(*(j.tick(env.now) for j in jobs))
        assert not env.wb.stats.feedback_answers  # all still inside the cancel window
        states = await env.pool.fetch(
            "SELECT review_id, state, reason, text, product_id FROM autoreplies"
        )
        assert len(states) == 200
        by_id = {r["review_id"]: r for r in states}
        for fid, label in env.labels.items():
            if label.hidden:
                assert by_id[fid]["state"] == "held", (label, by_id[fid])
        assert len(seen.items) == len({s.review_id for s in seen.items})
        # the day's replies about one product do not read alike
        texts_by_product: dict[str, list[str]] = {}
        for r in states:
            if r["text"]:
                texts_by_product.setdefault(r["product_id"], []).append(r["text"])
        for texts in texts_by_product.values():
            assert len(set(texts)) == len(texts)
            for a, b in itertools.combinations(texts, 2):
                assert similarity(a, b) <= 0.6
        # after the window, three instances send concurrently
        later = env.now + timedelta(minutes=16)
        for _ in range(4):
            await asyncio.gather(*(j.tick(later) for j in jobs))
    finally:
        for p in pools:
            await p.close()
    sent = answers(env)
    assert all(n == 1 for n in sent.values())
    hidden = {fid for fid, r in env.labels.items() if r.hidden}
    assert not hidden & set(sent)
    scheduled = {s.review_id for s in seen.items}
    assert set(sent) == scheduled
    held_clean = await env.pool.fetch(
        "SELECT review_id, reason FROM autoreplies WHERE state <> 'sent'"
        " AND review_id <> ALL($1::text[])",
        list(hidden),
    )
    assert not held_clean, held_clean  # every clean review was answered
    assert len(sent) == 200 - len(hidden)
    answered = await env.pool.fetchval(
        "SELECT count(*) FILTER (WHERE has_answer) FROM reviews WHERE store_id = $1", env.store
    )
    assert answered == len(sent)


async def test_cancel_within_the_window_stops_the_send(env: Env) -> None:
    await automatic(env)
    job = AutoReplyJob(env.pool, env.ai, env.factory, holder="a", batch=10)
    report = await job.tick(env.now)
    assert len(report.scheduled) >= 2
    first, second = report.scheduled[0], report.scheduled[1]
    await env.service.cancel(first.review_id)
    # too late once sent; "Не отправлять" on a sent reply says so
    await job.send_due(env.now + timedelta(minutes=16), report)
    sent = answers(env)
    assert first.review_id not in sent and sent[second.review_id] == 1
    with pytest.raises(AutoReplyError):
        await env.service.cancel(second.review_id)
    # a reply still inside its window is not sent early
    report2 = await job.tick(env.now + timedelta(minutes=1))
    assert all(s.review_id not in answers(env) for s in report2.scheduled)


async def test_a_stopping_instance_gives_back_the_sends_it_did_not_start(env: Env) -> None:
    """SIGTERM between two sends: the rest of the batch is scheduled again at once, so another
    instance's next tick sends it (not 10 minutes later); each reply reaches WB once."""
    await automatic(env)
    stopping = asyncio.Event()
    job = AutoReplyJob(env.pool, env.ai, env.factory, holder="leaving", batch=10, stopping=stopping)
    scheduled = (await job.tick(env.now)).scheduled
    assert len(scheduled) >= 3
    later = env.now + timedelta(minutes=16)
    one_send = job._send_one

    async def send_then_stop(*args: Any) -> None:
        await one_send(*args)
        stopping.set()

    job._send_one = send_then_stop  # type: ignore[method-assign,assignment]
    report = TickReport()
    await job.send_due(later, report)
    assert report.sent == 1 and report.released == len(scheduled) - 1
    assert (
        await env.pool.fetchval("SELECT count(*) FROM review_publishes WHERE state = 'publishing'")
        == 0
    ), "the publish claims of the unsent replies are freed"

    other = AutoReplyJob(env.pool, env.ai, env.factory, holder="staying", batch=10)
    await other.send_due(later + timedelta(seconds=30), TickReport())
    assert answers(env) == {s.review_id: 1 for s in scheduled}


async def test_daily_cap_is_honoured(env: Env) -> None:
    await automatic(env, cap=5)
    job = AutoReplyJob(env.pool, env.ai, env.factory, holder="a", batch=30)
    await job.tick(env.now)
    later = env.now + timedelta(minutes=16)
    report = await job.tick(later)
    assert len(answers(env)) == 5 and report.over_cap > 0
    again = await job.tick(later + timedelta(minutes=5))
    assert len(answers(env)) == 5 and again.sent == 0
    # the next MSK day has room again
    tomorrow = day_start(later) + timedelta(days=1, hours=1)
    await job.tick(tomorrow)
    assert len(answers(env)) == 10


async def test_a_portal_answer_meanwhile_is_not_answered_again(env: Env) -> None:
    await automatic(env)
    job = AutoReplyJob(env.pool, env.ai, env.factory, holder="a", batch=5)
    report = await job.tick(env.now)
    target = report.scheduled[0].review_id
    env.seller.answer_feedback(target, "Ответ из личного кабинета", at=int(env.now.timestamp()))
    await job.send_due(env.now + timedelta(minutes=16), report)
    assert target not in answers(env)
    row = await repo.get(env.pool, target)
    assert row["state"] == "skipped"


async def test_a_crash_after_wbs_call_does_not_send_twice(env: Env) -> None:
    await automatic(env)
    job = AutoReplyJob(env.pool, env.ai, env.factory, holder="dead", batch=3)
    report = await job.tick(env.now)
    target = report.scheduled[0]
    later = env.now + timedelta(minutes=16)
    # the dead instance claimed and WB took its reply, then it died before recording
    async with env.pool.acquire() as conn:
        rows, _ = await repo.claim_sends(
            conn,
            env.store,
            now=later,
            day_start=day_start(later),
            holder="dead",
            cap=1000,
            stale=STALE_CLAIM,
            limit=1,
        )
    assert [r["review_id"] for r in rows] == [target.review_id]
    srow = await stores_repo.get_store(env.pool, env.store)
    assert srow is not None
    await env.factory.for_store(srow).answer_feedback(target.review_id, target.text)
    # a person's publish meanwhile is refused: the claim holds the review
    other = AutoReplyJob(env.pool, env.ai, env.factory, holder="alive", batch=3)
    await other.send_due(later + timedelta(minutes=1), report)  # not stale yet: not taken
    assert answers(env)[target.review_id] == 1
    await other.send_due(later + STALE_CLAIM + timedelta(minutes=1), report)
    assert answers(env)[target.review_id] == 1
    row = await repo.get(env.pool, target.review_id)
    assert row["state"] == "sent"


async def test_shadow_mode_lists_what_would_have_been_sent(env: Env) -> None:
    await env.service.set_mode(env.store, 5, Mode.SHADOW)
    job = AutoReplyJob(env.pool, env.ai, env.factory, holder="a", batch=60)
    await job.tick(env.now)
    await job.tick(env.now + timedelta(hours=1))
    assert not env.wb.stats.feedback_answers
    week = await env.service.shadow_week(env.store, limit=200)
    states = Counter(r["state"] for r in week)
    assert states["shadow"] > 0 and states["held"] > 0
    assert all(r["text"] for r in week if r["state"] == "shadow")


async def test_suggest_mode_is_one_tap(env: Env) -> None:
    from services.reviews import draft_fingerprint

    await env.service.set_mode(env.store, 5, Mode.SUGGEST)
    job = AutoReplyJob(env.pool, env.ai, env.factory, holder="a", batch=10)
    await job.tick(env.now)
    queue = await env.service.queue(env.store)
    assert queue and not env.wb.stats.feedback_answers
    first = queue[0]
    await env.service.publish_suggestion(first["review_id"], shown=draft_fingerprint(first["text"]))
    assert answers(env) == Counter({first["review_id"]: 1})
    await job.tick(env.now + timedelta(hours=1))  # a suggestion is never sent by the job
    assert len(answers(env)) == 1


async def test_excluded_products_go_to_a_person(env: Env) -> None:
    await automatic(env)
    product = await env.pool.fetchval(
        "SELECT product_id FROM reviews WHERE store_id = $1 LIMIT 1", env.store
    )
    await env.service.set_excluded(env.store, product, True)
    job = AutoReplyJob(env.pool, env.ai, env.factory, holder="a", batch=200)
    await job.tick(env.now)
    rows = await env.pool.fetch(
        "SELECT state, reason FROM autoreplies WHERE product_id = $1", product
    )
    assert rows and all(r["state"] == "held" for r in rows)
    assert {r["reason"] for r in rows} <= {"excluded", "complaint"}


def test_similarity_sees_a_repeat() -> None:
    a = "Здравствуйте! Спасибо за отзыв. Ждём вас снова."
    assert similarity(a, a) == 1.0
    assert similarity(a, "Здравствуйте! Рады, что понравилось. Хорошего дня!") < 0.3


async def test_a_review_wb_no_longer_shows_gets_no_automatic_reply(env: Env) -> None:
    """A review excluded, unpublished or vanished (whoever marked it) is neither drafted nor,
    when it was marked after scheduling, sent: it is skipped as `not_shown`."""
    await automatic(env)
    ids = await env.pool.fetch(
        "SELECT id FROM reviews WHERE store_id = $1 ORDER BY date LIMIT 4", env.store
    )
    early, late = [r["id"] for r in ids[:2]], [r["id"] for r in ids[2:]]
    await env.pool.execute(
        "UPDATE reviews SET review_status_wb = 'excluded' WHERE id = $1", early[0]
    )
    await env.pool.execute("UPDATE reviews SET vanished_at = now() WHERE id = $1", early[1])
    job = AutoReplyJob(env.pool, env.ai, env.factory, holder="a", batch=10)
    report = await job.tick(env.now)
    drafted = {r["review_id"] for r in await env.pool.fetch("SELECT review_id FROM autoreplies")}
    assert not drafted & set(early)
    scheduled = [s.review_id for s in report.scheduled if s.review_id in late]
    assert scheduled, "the later reviews were scheduled"
    await env.pool.execute(
        "UPDATE reviews SET review_status_wb = 'unpublished' WHERE id = ANY($1::text[])", scheduled
    )
    await job.send_due(env.now + timedelta(minutes=16), report)
    assert not set(scheduled) & set(answers(env))
    for review_id in scheduled:
        row = await repo.get(env.pool, review_id)
        assert (row["state"], row["reason"]) == ("skipped", "not_shown")
