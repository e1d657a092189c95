"""Alerts about new unanswered questions (services/questions.py `QuestionAlerts`): batched per
person and store, quiet hours wait, answered questions are not told, nothing told twice even
with several instances."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg

from services.access import add_user
from services.msk import MSK
from services.notifier import Delivery, Recipient
from services.questions import QuestionAlertItem, QuestionAlerts
from tests.support.stores import make_store


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str, list[str]]] = []

    async def send_question_alert(
        self, to: Recipient, store_id: str, store_name: str, items: Sequence[QuestionAlertItem]
    ) -> Delivery:
        self.sent.append((to.telegram_id, store_id, [i.question_id for i in items]))
        return "sent"


async def ask(pool: asyncpg.Pool, store: str, n: int, *, age: timedelta) -> list[str]:
    ids = []
    for i in range(n):
        qid = uuid.uuid4().hex[:20]
        await pool.execute(
            """INSERT INTO questions (id, store_id, owner_id, text, created_date, state,
                                      product_nm_id, product_name)
               SELECT $1, id, owner_id, $3, $4, 'suppliersPortalSynch', 123, 'Плед'
                 FROM stores WHERE id = $2""",
            qid,
            store,
            f"Вопрос {i}: какой размер?",
            datetime.now(UTC) - age - timedelta(minutes=i),
        )
        ids.append(qid)
    return ids


async def test_batched_once_per_person_and_store(pool: asyncpg.Pool) -> None:
    owner = await add_user(pool, "qa-owner@example.com", telegram_id=7001, approve=True)
    manager = await add_user(pool, "qa-mgr@example.com", telegram_id=7002, approve=True)
    store = await make_store(pool, owner.user.id, "token")
    await pool.execute(
        "INSERT INTO store_members (store_id, user_id) VALUES ($1, $2)", store, manager.user.id
    )
    fresh = await ask(pool, store, 4, age=timedelta(hours=1))
    await ask(pool, store, 2, age=timedelta(days=10))  # a first sync's old questions
    recorder = Recorder()
    now = datetime.now(UTC)
    alerts = [QuestionAlerts(pool, recorder) for _ in range(3)]
    await asyncio.gather(*(a.dispatch(now=now) for a in alerts))
    assert sorted((tg, sorted(ids)) for tg, _, ids in recorder.sent) == [
        (7001, sorted(fresh)),
        (7002, sorted(fresh)),
    ]
    await asyncio.gather(*(a.dispatch(now=now + timedelta(minutes=1)) for a in alerts))
    assert len(recorder.sent) == 2


async def test_quiet_hours_wait_and_answered_questions_are_dropped(pool: asyncpg.Pool) -> None:
    owner = await add_user(pool, "qa-quiet@example.com", telegram_id=7003, approve=True)
    store = await make_store(pool, owner.user.id, "token")
    now = datetime.now(UTC)
    hour = now.astimezone(MSK).hour
    await pool.execute(
        "INSERT INTO user_preferences (user_id, quiet_start, quiet_end) VALUES ($1, $2, $3)",
        owner.user.id,
        hour,
        (hour + 2) % 24,
    )
    first, second = await ask(pool, store, 2, age=timedelta(minutes=30))
    recorder = Recorder()
    alerts = QuestionAlerts(pool, recorder)
    await alerts.dispatch(now=now)
    assert recorder.sent == []  # quiet hours
    await pool.execute("UPDATE questions SET is_answered = TRUE WHERE id = $1", first)
    await alerts.dispatch(now=now + timedelta(hours=3))
    assert recorder.sent == [(7003, store, [second])]


class Leaving(Recorder):
    """A process that gets SIGTERM mid-batch: `stopping` is set after `stop_after` sends."""

    def __init__(self, stopping: asyncio.Event, stop_after: int) -> None:
        super().__init__()
        self.stopping = stopping
        self.stop_after = stop_after

    async def send_question_alert(
        self, to: Recipient, store_id: str, store_name: str, items: Sequence[QuestionAlertItem]
    ) -> Delivery:
        await asyncio.sleep(0.05)
        outcome = await super().send_question_alert(to, store_id, store_name, items)
        if len(self.sent) == self.stop_after:
            self.stopping.set()
        return outcome


async def test_a_stopping_instance_puts_back_its_unsent_alerts(pool: asyncpg.Pool) -> None:
    """SIGTERM mid-batch: the process sends nothing more and puts back what it claimed, so
    another instance's next run sends it at once (not after the 10-minute stale window);
    every alert arrives once."""
    owner = await add_user(pool, "qa-stop@example.com", telegram_id=7011, approve=True)
    manager = await add_user(pool, "qa-stop-m@example.com", telegram_id=7012, approve=True)
    stores = [await make_store(pool, owner.user.id, f"token-{i}") for i in range(3)]
    asked: dict[str, list[str]] = {}
    for store in stores:
        await pool.execute(
            "INSERT INTO store_members (store_id, user_id) VALUES ($1, $2)",
            store,
            manager.user.id,
        )
        asked[store] = await ask(pool, store, 2, age=timedelta(hours=1))
    stopping = asyncio.Event()
    leaving = Leaving(stopping, stop_after=1)
    alerts = QuestionAlerts(pool, leaving)
    alerts.stopping = stopping
    now = datetime.now(UTC)
    await alerts.dispatch(now=now)
    # each person's first message was under way; their other two stores' are put back
    assert len(leaving.sent) == 2
    assert await pool.fetchval("SELECT count(*) FROM question_alerts WHERE status = 'pending'") == 8

    staying = Recorder()
    await QuestionAlerts(pool, staying).dispatch(now=now + timedelta(seconds=30))
    got = Counter((tg, store, tuple(sorted(ids))) for tg, store, ids in leaving.sent + staying.sent)
    assert got == Counter(
        (tg, store, tuple(sorted(ids))) for tg in (7011, 7012) for store, ids in asked.items()
    )
    assert await pool.fetchval("SELECT count(*) FROM question_alerts WHERE status = 'sent'") == 12
