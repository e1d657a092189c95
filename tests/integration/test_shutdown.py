"""SIGTERM during a batch of alerts, in polling and in webhook mode, with `wbrep run` as a real
process against the fake Telegram, the WB emulator and a real database: the process exits 0
within its grace time, and a second process delivers the rest at once (not after the
10-minute stale window); every alert arrives exactly once."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.fakes.telegram import FakeTelegram
from tests.integration.test_alerts import World, add_manager, land, now_utc, person, world
from tests.support.processes import ROOT, WBREP, cli_env, free_port

__all__ = ["world"]

PEOPLE = 8
REVIEWS = 6


async def prepare(w: World, tg: FakeTelegram) -> dict[int, list[str]]:
    """PEOPLE recipients (the owner and managers) and REVIEWS queued negative reviews whose
    drafting is decided: the next alert sweep sends PEOPLE x REVIEWS alerts."""
    owner_tg = await w.pool.fetchval(
        "SELECT telegram_id FROM telegram_accounts WHERE user_id = $1", w.owner
    )
    ids = [owner_tg]
    for i in range(1, PEOPLE):
        user = await person(w.pool, owner_tg + i)
        await add_manager(w.pool, w.store, user)
        ids.append(owner_tg + i)
    for tid in ids:
        tg.user(tid)
    now = now_utc()
    await w.jobs().sync.sync(w.store, "reviews", now=now)  # backfill
    texts = [f"Брак номер {i}" for i in range(REVIEWS)]
    for text in texts:
        land(w, now, 1, text)
    await w.jobs().sync.sync(w.store, "reviews", now=now)  # queued, not sent
    queued = await w.pool.execute("UPDATE new_reviews SET draft_done_at = now()")
    assert queued == f"UPDATE {REVIEWS}"
    return {tid: texts for tid in ids}


async def start(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *WBREP,
        "run",
        cwd=ROOT,
        env=cli_env(env),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def wait_sends(tg: FakeTelegram, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len([c for c in tg.calls_to("sendMessage") if c.status == 200]) < count:
        assert time.monotonic() < deadline, f"fewer than {count} messages in {timeout} s"
        await asyncio.sleep(0.05)


async def stop(proc: asyncio.subprocess.Process, timeout: float) -> tuple[int, str, float]:
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.stderr is not None
    err = await asyncio.wait_for(proc.stderr.read(), timeout)
    code = await asyncio.wait_for(proc.wait(), timeout)
    return code, err.decode(), time.monotonic() - started


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_sigterm_mid_batch_loses_and_repeats_nothing(
    world: World, db_url: str, redis_url: str, tmp_path: Path, mode: str
) -> None:
    w = world
    async with FakeTelegram() as tg:
        expected = await prepare(w, tg)
        env = {
            "BOT_TOKEN": tg.token,
            "DATABASE_URL": db_url,
            "TELEGRAM_API_BASE": tg.base_url,
            "DATA_DIR": str(tmp_path),
            "LOG_LEVEL": "INFO",
            "SHUTDOWN_GRACE_SECONDS": "0.5",
            "REDIS_URL": redis_url,
            **{f"WB_{k.upper()}_URL": v for k, v in w.wb.urls.items()},
        }
        if mode == "webhook":
            port = free_port()
            env |= {
                "WEBHOOK_URL": f"http://127.0.0.1:{port}",
                "WEBHOOK_HOST": "127.0.0.1",
                "WEBHOOK_PORT": str(port),
                "WEBHOOK_SECRET": "a-long-enough_secret-0123456789",
            }
        total = PEOPLE * REVIEWS
        first = await start(env)
        try:
            await wait_sends(tg, 10, timeout=60)
            if mode == "webhook":  # the probes are routes of the webhook server
                async with httpx.AsyncClient(timeout=5) as http:
                    ready = await http.get(f"http://127.0.0.1:{port}/readyz")
                    assert ready.status_code == 200, ready.text
                    metrics = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
                    assert 'wbrep_telegram_sends_total{outcome="sent"}' in metrics
            code, err, took = await stop(first, timeout=30)
        finally:
            if first.returncode is None:
                first.kill()
        assert code == 0, err
        assert took < 10, f"stopped in {took:.1f} s"
        assert "Traceback" not in err and "CancelledError" not in err, err
        sent_by_first = len([c for c in tg.calls_to("sendMessage") if c.status == 200])
        assert sent_by_first < total, "stopped mid-batch"
        released = await w.pool.fetchval(
            "SELECT count(*) FROM review_alerts WHERE status = 'claimed' AND claimed_at = 'epoch'"
        )
        claimed = await w.pool.fetchval(
            "SELECT count(*) FROM review_alerts WHERE status = 'claimed'"
        )
        assert released == claimed == total - sent_by_first, "every unsent claim released"

        second = await start({**env, "SHUTDOWN_GRACE_SECONDS": "5"})
        try:
            await wait_sends(tg, total, timeout=90)  # far under the 10-minute stale window
            code, err, _ = await stop(second, timeout=30)
        finally:
            if second.returncode is None:
                second.kill()
        assert code == 0, err

    texts = next(iter(expected.values()))
    got: Counter[tuple[int, str]] = Counter()
    for call in tg.calls_to("sendMessage"):
        if call.status == 200:
            text = str(call.params["text"])
            got.update((call.params["chat_id"], t) for t in texts if t in text)
    assert got == Counter({(tid, t): 1 for tid, texts in expected.items() for t in texts})
    assert await w.pool.fetchval("SELECT count(*) FROM review_alerts WHERE status = 'sent'") == (
        total
    )
