"""What an operator's probes read: `/healthz`, `/readyz`, `/metrics` of a real `wbrep run`
process (polling mode with HEALTH_PORT), and its JSON log lines naming the update and user."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import asyncpg
import httpx

from bot.health import Readiness
from bot.lifecycle import Lifecycle
from tests.fakes.telegram import FakeTelegram
from tests.integration.test_shutdown import start, stop
from tests.support.processes import free_port


async def get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as http:
        return await http.get(url)


async def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if (await get(url)).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer"
        await asyncio.sleep(0.2)


async def test_polling_process_serves_probes_and_metrics_and_logs_json(
    db_url: str, redis_url: str, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with FakeTelegram() as tg:
        env = {
            "BOT_TOKEN": tg.token,
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "TELEGRAM_API_BASE": tg.base_url,
            "DATA_DIR": str(tmp_path),
            "SCHEDULER_ENABLED": "false",
            "HEALTH_HOST": "127.0.0.1",
            "HEALTH_PORT": str(port),
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "DEBUG",
        }
        proc = await start(env)
        try:
            await wait_up(f"{base}/healthz")
            ready = await get(f"{base}/readyz")
            assert ready.status_code == 200
            assert ready.json() == {
                "status": "ready",
                "database": "ok",
                "redis": "ok",
                "telegram": "ok",
            }
            user = tg.user(5551)
            await user.send("/start")
            await user.wait_message("", timeout=30)
            text = (await get(f"{base}/metrics")).text
            handled = [
                line
                for line in text.splitlines()
                if line.startswith("wbrep_updates_total{") and 'result="ok"' in line
            ]
            assert handled and float(handled[0].split()[-1]) >= 1, text
            assert 'handler="unhandled"' not in "".join(handled)
            assert "wbrep_db_pool_max 50.0" in text
            assert "wbrep_access_cache_live 1.0" in text  # the real process hears access changes
            assert "wbrep_access_cache_misses " in text
            assert "wbrep_update_seconds_bucket" in text
            code, err, _ = await stop(proc, timeout=30)
        finally:
            if proc.returncode is None:
                proc.kill()
    assert code == 0, err
    assert tg.token not in err and db_url not in err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert len(lines) == len(err.strip().splitlines()), "every line is JSON"
    assert any(x["user_id"] == 5551 and x["update_id"] is not None for x in lines), err


async def test_readyz_names_what_is_down_and_a_stopping_process(pool: asyncpg.Pool) -> None:
    async with FakeTelegram() as tg:
        bot = tg.make_bot()
    lifecycle = Lifecycle()
    try:  # the fake is gone: Telegram cannot be reached
        readiness = Readiness(pool, bot, lifecycle, None, timeout=2)
        ok, parts = await readiness.check()
        assert not ok
        assert parts["database"] == "ok" and parts["redis"] == "not configured"
        assert parts["telegram"].startswith("fail: ")
        lifecycle.request_stop()
        _, parts = await readiness.check()
        assert parts["process"] == "stopping"
    finally:
        await bot.session.close()
