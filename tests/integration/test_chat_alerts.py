"""Alerts for new buyer messages: one message per sync batch and person, never for the
seller's own or WB's messages, held in quiet hours and sent once when they end."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.chats.alerts import ChatAlert, ChatAlertService
from services.msk import MSK
from services.notifier import Delivery, Recipient
from services.sync.base import NewMessage, SyncOptions
from services.sync.service import SyncService
from tests.fakes.wb.app import WBEmulator
from tests.fakes.wb.generator import generate_shop
from tests.integration.test_alerts import add_manager, person
from tests.support.store_env import wb_side
from tests.support.stores import make_store


@dataclass
class Recorder:
    alerts: list[tuple[str, ChatAlert]] = field(default_factory=list)

    async def chat_alert(self, to: Recipient, alert: ChatAlert) -> Delivery:
        self.alerts.append((to.user_id, alert))
        return "sent"


@dataclass
class World:
    pool: asyncpg.Pool
    wb: WBEmulator
    sync: SyncService
    store: str
    owner: str
    notifier: Recorder
    service: ChatAlertService


@pytest.fixture
async def world(pool: asyncpg.Pool) -> AsyncIterator[World]:
    shop = generate_shop(9, reviews=0, products=2, questions=0, chats=0)
    async with wb_side(shop) as (wb, factory):
        owner = await person(pool, 9101)
        store = await make_store(pool, owner, wb.token())
        sync = SyncService(pool, factory, SyncOptions())
        first = await sync.sync(store, "chats")
        assert first.backfill and not first.new_messages
        recorder = Recorder()
        yield World(pool, wb, sync, store, owner, recorder, ChatAlertService(pool, recorder))


def _ms(offset: int = 0) -> int:
    return int(time.time() * 1000) + offset


async def test_one_alert_per_batch_and_person_never_for_seller_messages(world: World) -> None:
    w = world
    manager = await person(w.pool, 9102)
    await add_manager(w.pool, w.store, manager)
    quiet_off = await person(w.pool, 9103)
    await add_manager(w.pool, w.store, quiet_off, alerts=False)
    a, _ = w.wb.state.new_chat("Анна", "Пришёл брак", at_ms=_ms())
    w.wb.state.client_message(a.chat_id, "Ответьте, пожалуйста", at_ms=_ms(1000))
    b, _ = w.wb.state.new_chat("Олег", "Когда доставка?", at_ms=_ms(2000))
    w.wb.state.seller_message(b.chat_id, "Завтра", at_ms=_ms(3000))
    result = await w.sync.sync(w.store, "chats")
    assert {m.sender for m in result.new_messages} == {"client", "seller"}
    now = datetime.now(UTC)
    report = await w.service.on_sync(w.store, result.new_messages, now=now)
    assert report.sent == 2
    assert sorted(u for u, _ in w.notifier.alerts) == sorted([w.owner, manager])
    alert = w.notifier.alerts[0][1]
    assert alert.messages == 3 and {line.chat_id for line in alert.lines} == {a.chat_id, b.chat_id}
    # the same batch again (a retry of the job): nothing more
    await w.service.on_sync(w.store, result.new_messages, now=now)
    assert len(w.notifier.alerts) == 2
    # only the seller wrote: no alert
    w.wb.state.seller_message(a.chat_id, "Пришлём замену", at_ms=_ms(5000))
    result = await w.sync.sync(w.store, "chats")
    assert (
        result.new_messages
        and (await w.service.on_sync(w.store, result.new_messages, now=now)).sent == 0
    )
    assert len(w.notifier.alerts) == 2


async def test_quiet_hours_hold_and_deliver_once(world: World) -> None:
    w = world
    hour = datetime.now(MSK).hour
    sleepy = await person(w.pool, 9104, quiet_start=hour, quiet_end=(hour + 1) % 24)
    await add_manager(w.pool, w.store, sleepy)
    w.wb.state.new_chat("Ира", "Брак", at_ms=_ms())
    result = await w.sync.sync(w.store, "chats")
    now = datetime.now(UTC)
    await w.service.on_sync(w.store, result.new_messages, now=now)
    assert [u for u, _ in w.notifier.alerts] == [w.owner]
    await w.service.sweep(now=now + timedelta(minutes=1))
    assert [u for u, _ in w.notifier.alerts] == [w.owner]
    later = now + timedelta(hours=1, minutes=5)
    await w.service.sweep(now=later)
    await w.service.sweep(now=later + timedelta(minutes=1))
    assert sorted(u for u, _ in w.notifier.alerts) == sorted([w.owner, sleepy])


class Leaving(Recorder):
    """A process that gets SIGTERM mid-batch: `stopping` is set after `stop_after` sends."""

    def __init__(self, stopping: asyncio.Event, stop_after: int) -> None:
        super().__init__()
        self.stopping = stopping
        self.stop_after = stop_after

    async def chat_alert(self, to: Recipient, alert: ChatAlert) -> Delivery:
        await asyncio.sleep(0.05)
        outcome = await super().chat_alert(to, alert)
        if len(self.alerts) == self.stop_after:
            self.stopping.set()
        return outcome


async def test_a_stopping_instance_releases_its_unsent_chat_alerts(pool: asyncpg.Pool) -> None:
    """SIGTERM mid-batch: the process sends nothing more and releases what it claimed, so
    another instance's next sweep sends it at once (not after the 10-minute stale window);
    every alert arrives once."""
    now = datetime.now(UTC)
    hour = now.astimezone(MSK).hour
    quiet = {"quiet_start": hour, "quiet_end": (hour + 1) % 24}
    owner = await person(pool, 9201, **quiet)
    manager = await person(pool, 9202, **quiet)
    stores = [await make_store(pool, owner, f"token-{i}", name=f"Магазин {i}") for i in range(3)]
    stopping = asyncio.Event()
    leaving = Leaving(stopping, stop_after=1)
    service = ChatAlertService(pool, leaving)
    service.stopping = stopping
    for i, store in enumerate(stores):
        await add_manager(pool, store, manager)
        new = [NewMessage(f"chat-{i}", f"msg-{i}", "client", "Брак", now)]
        await service.on_sync(store, new, now=now)  # held: both people are in quiet hours
    assert leaving.alerts == []

    later = now + timedelta(hours=1, minutes=5)
    report = await service.sweep(now=later)
    # each person's first message was under way; the other two stores' are not sent
    assert len(leaving.alerts) == 2 and report.released == 4
    released = await pool.fetch(
        "SELECT attempts FROM chat_alerts WHERE status = 'claimed' AND claimed_at = 'epoch'"
    )
    assert [r["attempts"] for r in released] == [0] * 4, "released, the attempt not counted"

    staying = Recorder()
    await ChatAlertService(pool, staying).sweep(now=later + timedelta(seconds=30))
    got = Counter((u, a.store_id) for u, a in leaving.alerts + staying.alerts)
    assert got == Counter((u, s) for u in (owner, manager) for s in stores)
    assert await pool.fetchval("SELECT count(*) FROM chat_alerts WHERE status = 'sent'") == 6
