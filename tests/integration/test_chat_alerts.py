"""Alerts for new buyer messages: one message per sync batch and person, never for the
seller's own or WB's messages, held in quiet hours and sent once when they end."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.chats.alerts import ChatAlert, ChatAlertService
from services.msk import MSK
from services.notifier import Delivery, Recipient
from services.sync.base import SyncOptions
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
