"""Issue 11's done-condition: three webhook replicas (`wbrep run`, real processes) against
one database and one Redis, each restarted in turn with SIGTERM while new reviews land on
the WB emulator in bursts. Every alert arrives exactly once, the fake Telegram (with
Telegram's flood limits) never answers 429, and no alert waits longer than one sync interval
plus the pacing time. Prints the alert delay (review landed -> Telegram accepted): p50, max.

Over a minute of wall time, so it lives here (`make bench`), not in the normal suite.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.fakes.telegram import FakeTelegram
from tests.integration.test_alerts import World, add_manager, person, world
from tests.integration.test_shutdown import start, stop
from tests.support.processes import free_port

__all__ = ["world"]

REPLICAS = 3
PEOPLE = 10
BURSTS = 8
PER_BURST = 3
BURST_EVERY = 7.0
INTERVAL = 10  # SYNC_REVIEWS_SECONDS (the smallest the settings allow)
PACING = PER_BURST * 1.0  # one message a second per person: a burst's alerts to one person
SLACK = 4.0  # the sync itself (WB calls at WB's real limits) and process scheduling


async def wait_up(port: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=3) as http:
        while True:
            try:
                if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"replica on {port} did not come up"
            await asyncio.sleep(0.2)


@pytest.mark.bench
async def test_bench_three_replicas_rolling_restart(
    world: World, db_url: str, redis_url: str, tmp_path: Path
) -> None:
    w = world
    async with FakeTelegram(flood_limits=True) as tg:
        owner_tg = await w.pool.fetchval(
            "SELECT telegram_id FROM telegram_accounts WHERE user_id = $1", w.owner
        )
        chats = [owner_tg]
        for i in range(1, PEOPLE):
            user = await person(w.pool, 80_000 + i)
            await add_manager(w.pool, w.store, user)
            chats.append(80_000 + i)
        for chat in chats:
            tg.user(chat)
        await w.jobs().sync.sync(
            w.store, "reviews", now=datetime.now(UTC)
        )  # backfill, nothing alerts

        ports = [free_port() for _ in range(REPLICAS)]
        base_env = {
            "BOT_TOKEN": tg.token,
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "TELEGRAM_API_BASE": tg.base_url,
            "DATA_DIR": str(tmp_path),
            "WEBHOOK_SECRET": "a-long-enough_secret-0123456789",
            "WEBHOOK_HOST": "127.0.0.1",
            "SYNC_REVIEWS_SECONDS": str(INTERVAL),
            "SHUTDOWN_GRACE_SECONDS": "5",
            "DB_POOL_MAX": "10",
            "LOG_LEVEL": "WARNING",
            **{f"WB_{k.upper()}_URL": v for k, v in w.wb.urls.items()},
        }

        def env_for(i: int) -> dict[str, str]:
            return {
                **base_env,
                "WEBHOOK_URL": f"http://127.0.0.1:{ports[i]}",
                "WEBHOOK_PORT": str(ports[i]),
            }

        procs = [await start(env_for(i)) for i in range(REPLICAS)]
        codes: list[int] = []
        landed: dict[str, float] = {}
        try:
            await asyncio.gather(*(wait_up(p) for p in ports))

            async def flow() -> None:
                for b in range(BURSTS):
                    for k in range(PER_BURST):
                        text = f"Брак, партия {b} отзыв {k}"
                        w.wb.state.land_feedback(text, valuation=1, created=int(time.time()))
                        landed[text] = time.time()
                    await asyncio.sleep(BURST_EVERY)

            async def rolling_restart() -> None:
                await asyncio.sleep(BURST_EVERY * 1.5)
                for i in range(REPLICAS):
                    code, err, _ = await stop(procs[i], timeout=60)
                    assert code == 0, err
                    codes.append(code)
                    procs[i] = await start(env_for(i))
                    await wait_up(ports[i])
                    await asyncio.sleep(BURST_EVERY)

            await asyncio.gather(flow(), rolling_restart())
            total = PEOPLE * BURSTS * PER_BURST
            deadline = time.monotonic() + INTERVAL + PACING + 60
            while len([c for c in tg.calls_to("sendMessage") if c.status == 200]) < total:
                assert time.monotonic() < deadline, "not every alert arrived"
                await asyncio.sleep(0.2)
            await asyncio.sleep(2)  # anything sent twice would arrive now
        finally:
            for proc in procs:
                if proc.returncode is None:
                    code, _, _ = await stop(proc, timeout=60)
                    codes.append(code)
        flood = tg.flood_errors
        sent = [c for c in tg.calls_to("sendMessage") if c.status == 200]

    assert codes == [0] * (2 * REPLICAS)
    got: Counter[tuple[int, str]] = Counter()
    for call in sent:
        text = str(call.params["text"])
        got.update((int(call.params["chat_id"]), t) for t in landed if t in text)
    assert got == Counter({(c, t): 1 for c in chats for t in landed}), "each alert exactly once"
    rows = await w.pool.fetch(
        """SELECT r.text, a.sent_at FROM review_alerts a JOIN reviews r ON r.id = a.review_id
            WHERE a.status = 'sent'"""
    )
    delays = sorted(r["sent_at"].timestamp() - landed[r["text"]] for r in rows)
    p50, worst = delays[len(delays) // 2], delays[-1]
    print(
        f"\n{len(rows)} alerts, {REPLICAS} replicas restarted in turn: delay p50 {p50:.1f} s, "
        f"max {worst:.1f} s (bound {INTERVAL + PACING + SLACK:.0f} s); {flood} x 429"
    )
    assert flood == 0
    assert worst <= INTERVAL + PACING + SLACK
