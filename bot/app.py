"""Bot and Dispatcher factory and the run modes (polling, webhook)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage

from db.database import database_dsn
from db.migrate import apply_migrations
from db.pool import create_pool
from services.settings import Settings

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Start-up cannot go on; the message is one line for the operator."""


def create_bot(token: str, settings: Settings) -> Bot:
    session = AiohttpSession(timeout=30)
    if settings.telegram_api_base:
        session.api = TelegramAPIServer.from_base(settings.telegram_api_base.rstrip("/"))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def create_storage(settings: Settings) -> BaseStorage:
    """Redis keeps FSM state across instances; without it state lives in this process."""
    if settings.redis_url is None:
        return MemoryStorage()
    from aiogram.fsm.storage.redis import RedisStorage

    return RedisStorage.from_url(settings.redis_url.get_secret_value())


@dataclass
class AppContext:
    """Long-lived objects handed to handlers through the Dispatcher's workflow data."""

    settings: Settings
    pool: asyncpg.Pool


def create_dispatcher(ctx: AppContext, storage: BaseStorage | None = None) -> Dispatcher:
    from bot.routers import setup_routers

    dp = Dispatcher(storage=storage or MemoryStorage())
    dp["settings"] = ctx.settings
    dp["pool"] = ctx.pool
    dp["ctx"] = ctx
    dp.include_router(setup_routers())
    return dp


async def check_telegram(bot: Bot, settings: Settings) -> str:
    """Return '@username' or raise StartupError with one clear line."""
    where = settings.telegram_api_base or "api.telegram.org"
    try:
        me = await bot.get_me()
    except TelegramUnauthorizedError:
        raise StartupError("Telegram rejected BOT_TOKEN: check the token from @BotFather") from None
    except TelegramNetworkError as exc:
        raise StartupError(f"Telegram cannot be reached at {where}: {exc.message}") from None
    return f"@{me.username}"


async def run_bot(settings: Settings) -> None:
    token = settings.require_bot_token()
    db_url = settings.database_url.get_secret_value() if settings.database_url else None
    async with database_dsn(db_url, settings.data_dir) as dsn:
        applied = await apply_migrations(dsn)
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
        pool = await create_pool(dsn, max_size=settings.db_pool_max)
        bot = create_bot(token, settings)
        try:
            name = await check_telegram(bot, settings)
            log.info("bot %s starts polling", name)
            dp = create_dispatcher(
                AppContext(settings=settings, pool=pool), create_storage(settings)
            )
            await bot.delete_webhook(drop_pending_updates=False)
            await dp.start_polling(bot, handle_signals=True)
        finally:
            await bot.session.close()
            await pool.close()
