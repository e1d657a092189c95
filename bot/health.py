"""What an operator's probes and Prometheus read: `/healthz`, `/readyz`, `/metrics`, and the
update middlewares that feed them and the logs.

- `/healthz`: the process and its event loop answer (liveness).
- `/readyz`: the database, Redis (when configured) and Telegram answer, and the process is
  not stopping: 200, else 503; the body names each part. Telegram's answer is reused for
  `telegram_ttl` seconds, so a probe every few seconds does not call getMe each time.
- `/metrics`: services/metrics.py in Prometheus' text format.

In webhook mode they are routes of the webhook server; in polling mode a small server on
`HEALTH_PORT` when it is set.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.types import TelegramObject, Update, User
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.lifecycle import Lifecycle, TrackUpdates
from bot.logs import bind_update
from services import metrics
from services.health import ping_database

_SLOT = "_observe"


class ObserveUpdates(BaseMiddleware):
    """Outer update middleware: binds the update and user ids to every log line of the
    update, and counts it and its latency by handler (named by `NameHandler`)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        bind_update(
            event.update_id if isinstance(event, Update) else None, user.id if user else None
        )
        slot: dict[str, str] = {}
        data[_SLOT] = slot
        started = time.perf_counter()
        result = "error"
        try:
            answer = await handler(event, data)
            result = "ok"
            return answer
        finally:
            name = slot.get("handler", "unhandled")
            metrics.UPDATES.labels(name, result).inc()
            metrics.UPDATE_SECONDS.labels(name).observe(time.perf_counter() - started)


class NameHandler(BaseMiddleware):
    """Inner middleware: tells `ObserveUpdates` which handler took the update."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        slot = data.get(_SLOT)
        found = data.get("handler")
        if isinstance(slot, dict) and found is not None:
            callback = getattr(found, "callback", None)
            slot["handler"] = getattr(callback, "__qualname__", "?")
        return await handler(event, data)


def observe(dp: Dispatcher, lifecycle: Lifecycle) -> None:
    """The run modes' update middlewares: a stop waits for each update; logs and metrics."""
    dp.update.outer_middleware(TrackUpdates(lifecycle))
    dp.update.outer_middleware(ObserveUpdates())
    namer = NameHandler()
    dp.message.middleware(namer)
    dp.callback_query.middleware(namer)


class Readiness:
    def __init__(
        self,
        pool: asyncpg.Pool,
        bot: Bot,
        lifecycle: Lifecycle,
        redis: Any | None = None,
        *,
        timeout: float = 3.0,
        telegram_ttl: float = 30.0,
    ) -> None:
        self.pool = pool
        self.bot = bot
        self.lifecycle = lifecycle
        self.redis = redis
        self.timeout = timeout
        self.telegram_ttl = telegram_ttl
        self._telegram: tuple[float, str] | None = None
        metrics.watch_pool(pool.get_size, pool.get_idle_size, pool.get_max_size())

    async def _database(self) -> str:
        await asyncio.wait_for(ping_database(self.pool), self.timeout)
        return "ok"

    async def _redis(self) -> str:
        if self.redis is None:
            return "not configured"
        await asyncio.wait_for(self.redis.ping(), self.timeout)
        return "ok"

    async def _telegram_check(self) -> str:
        now = time.monotonic()
        if self._telegram is not None and now - self._telegram[0] < self.telegram_ttl:
            return self._telegram[1]
        await asyncio.wait_for(self.bot.get_me(), self.timeout)
        self._telegram = (now, "ok")
        return "ok"

    async def check(self) -> tuple[bool, dict[str, str]]:
        parts: dict[str, str] = {}
        ok = True
        checks = (
            ("database", self._database),
            ("redis", self._redis),
            ("telegram", self._telegram_check),
        )
        for name, check in checks:
            try:
                parts[name] = await check()
            except Exception as exc:  # any failure is "not ready", named, never raised
                ok = False
                parts[name] = f"fail: {type(exc).__name__}"
        if self.lifecycle.stop_requested.is_set():
            ok = False
            parts["process"] = "stopping"
        return ok, parts


def add_routes(app: web.Application, readiness: Readiness) -> None:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        ok, parts = await readiness.check()
        return web.json_response(
            {"status": "ready" if ok else "not ready", **parts}, status=200 if ok else 503
        )

    async def metrics_view(request: web.Request) -> web.Response:
        body = generate_latest(metrics.REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_view)


async def serve_health(readiness: Readiness, host: str, port: int) -> web.AppRunner:
    """Polling mode's probe server; the caller cleans the runner up."""
    app = web.Application()
    add_routes(app, readiness)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
