"""What `wbrep check` checks: each outside part, one result each.

A WB host counts as reachable when its base URL answers HTTP at all: `/ping` is limited to
3 calls per 30 s and needs a seller's token, so it is left to `wbrep store check`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import httpx

from db.database import database_dsn
from db.migrate import applied_migrations, migration_files
from db.pool import ping, server_version
from db.secrets import KEY_FILE, Key, SecretKeyError, load_key_file
from services.settings import Settings


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


async def run_checks(settings: Settings, *, timeout: float = 5.0) -> AsyncIterator[CheckResult]:
    yield CheckResult("settings", True, "loaded")
    yield check_secret_key(settings)
    yield await check_database(settings, timeout=timeout)
    yield await check_redis(settings, timeout=timeout)
    yield await check_telegram(settings)
    async with httpx.AsyncClient(timeout=timeout) as http:
        for name, url in wb_hosts(settings).items():
            yield await check_http(http, f"wb:{name}", url)


def wb_hosts(settings: Settings) -> dict[str, str]:
    return {
        "feedbacks": settings.wb_feedbacks_url,
        "chat": settings.wb_chat_url,
        "content": settings.wb_content_url,
        "common": settings.wb_common_url,
        "prices": settings.wb_prices_url,
    }


def check_secret_key(settings: Settings) -> CheckResult:
    """Where the key that seals tokens at rest comes from (the key itself is never shown);
    the key file is not created here, only by a start."""
    key_file = settings.data_dir / KEY_FILE
    try:
        if settings.secret_key is not None:
            where = f"SECRET_KEY (key {Key.from_secret(settings.secret_key.get_secret_value()).id})"
        elif key_file.exists():
            where = f"{key_file} (key {load_key_file(settings.data_dir).id})"
        else:
            return CheckResult(
                "secret_key", True, f"SECRET_KEY is not set: {key_file} is created on first start"
            )
    except SecretKeyError as exc:
        return CheckResult("secret_key", False, str(exc))
    if settings.secret_key_old is not None:
        where += ", SECRET_KEY_OLD set (run `wbrep secrets rotate`, then remove it)"
    return CheckResult("secret_key", True, where)


async def check_database(settings: Settings, *, timeout: float) -> CheckResult:
    url = settings.database_url.get_secret_value() if settings.database_url else None
    where = "DATABASE_URL" if url else f"embedded PostgreSQL in {settings.data_dir}"
    try:
        async with database_dsn(url, settings.data_dir) as dsn:
            conn = await asyncpg.connect(dsn, timeout=timeout)
            try:
                version = await server_version(conn)
                applied = await applied_migrations(conn)
            finally:
                await conn.close()
    except Exception as exc:
        return CheckResult("database", False, f"{where}: {_reason(exc)}")
    total = len(migration_files())
    pending = f", {total - applied} pending (run `wbrep migrate`)" if applied < total else ""
    detail = f"{where}: PostgreSQL {version}, {applied}/{total} migrations applied{pending}"
    return CheckResult("database", True, detail)


async def check_redis(settings: Settings, *, timeout: float) -> CheckResult:
    if settings.redis_url is None:
        return CheckResult("redis", True, "not configured: FSM in memory, single instance")
    from redis.asyncio import Redis

    client = Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )
    try:
        await client.ping()
    except Exception as exc:
        return CheckResult("redis", False, _reason(exc))
    finally:
        await client.aclose()
    return CheckResult("redis", True, "reachable")


async def check_telegram(settings: Settings) -> CheckResult:
    if settings.bot_token is None:
        return CheckResult("telegram", False, "BOT_TOKEN is not set")
    token = settings.bot_token.get_secret_value().strip()
    base = (settings.telegram_api_base or "https://api.telegram.org").rstrip("/")
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            resp = await http.get(f"{base}/bot{token}/getMe")
            body = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        return CheckResult("telegram", False, f"{base}: {_reason(exc).replace(token, '***')}")
    if resp.status_code == 401:
        return CheckResult("telegram", False, "Telegram rejected BOT_TOKEN")
    if not body.get("ok"):
        return CheckResult(
            "telegram", False, f"{base}: {body.get('description', resp.status_code)}"
        )
    return CheckResult("telegram", True, f"@{body['result'].get('username')}")


async def check_http(http: httpx.AsyncClient, name: str, url: str) -> CheckResult:
    try:
        resp = await http.get(url)
    except httpx.HTTPError as exc:
        return CheckResult(name, False, f"{url}: {_reason(exc)}")
    return CheckResult(name, True, f"{url}: answers (HTTP {resp.status_code})")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


LISTENING_CONNECTIONS = 1
"""Held by each bot process beside its pool: the LISTEN for access changes (db/listen.py)."""


def pool_sizing(max_connections: int, reserved: int, instances: int, pool_max: int) -> str | None:
    """One line when the server cannot hold every bot process's full pool and its listening
    connection (`None` if it can): three replicas at DB_POOL_MAX=50 need 153 connections,
    over PostgreSQL's default 100."""
    usable = max_connections - reserved
    need = instances * (pool_max + LISTENING_CONNECTIONS)
    if need <= usable:
        return None
    who = "this bot process" if instances == 1 else f"{instances} bot processes"
    fit = max(1, usable // max(instances, 1) - LISTENING_CONNECTIONS)
    return (
        f"PostgreSQL max_connections={max_connections} ({usable} usable) cannot hold {who} "
        f"x (DB_POOL_MAX={pool_max} + {LISTENING_CONNECTIONS} listening) = {need} connections: "
        f"set DB_POOL_MAX={fit} or lower, or raise max_connections"
    )


async def ping_database(pool: asyncpg.Pool) -> None:
    """The readiness probe's database check: one round trip."""
    await ping(pool)
