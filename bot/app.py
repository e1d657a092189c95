"""Bot and Dispatcher factory and the run modes (polling, webhook)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import socket

import asyncpg
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from aiohttp import web

from bot.background import Background
from bot.context import AppServices, build_services
from bot.errors import on_error
from bot.filters import Private
from bot.health import Readiness, add_routes, observe, serve_health
from bot.i18n import create_core, create_i18n_middleware
from bot.lifecycle import Lifecycle
from bot.middlewares.auth import AuthMiddleware
from bot.middlewares.callback_answer import CallbackAnswerMiddleware
from bot.middlewares.forms import LeaveForms, TokenShield
from bot.middlewares.isolation import create_isolation
from bot.middlewares.retry import RetryAfterMiddleware
from bot.middlewares.untrusted import ControlChars
from bot.session import BotSession
from db.pool import BOT_APP_PREFIX, connection_capacity
from services.access_cache import watching
from services.database import open_database
from services.health import pool_sizing
from services.settings import Settings

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Start-up cannot go on; the message is one line for the operator."""


def create_bot(token: str, settings: Settings) -> Bot:
    session = BotSession(timeout=30)
    if settings.telegram_api_base:
        session.api = TelegramAPIServer.from_base(settings.telegram_api_base.rstrip("/"))
    session.middleware(RetryAfterMiddleware())
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def create_storage(settings: Settings) -> BaseStorage:
    """Redis keeps FSM state across instances; without it state lives in this process."""
    if settings.redis_url is None:
        return MemoryStorage()
    from aiogram.fsm.storage.redis import RedisStorage

    return RedisStorage.from_url(settings.redis_url.get_secret_value())


def create_dispatcher(services: AppServices, storage: BaseStorage | None = None) -> Dispatcher:
    from bot.routers import setup_routers
    from bot.routers.ai_settings import AIForm
    from bot.routers.start import Registration
    from bot.routers.stores import StoreForm

    storage = storage or MemoryStorage()
    # One person's updates one at a time, in order (bot/middlewares/isolation.py).
    dp = Dispatcher(
        storage=storage, events_isolation=create_isolation(storage), **services.workflow_data()
    )
    dp.update.outer_middleware(AuthMiddleware(services.access, services.settings.admin_ids))
    create_i18n_middleware().setup(dp)
    # Before any router: a token never reaches a handler that did not ask for one, and a form
    # waiting for text is left by any other action.
    dp.message.outer_middleware(TokenShield([StoreForm.token, StoreForm.new_token, AIForm.key]))
    dp.callback_query.outer_middleware(CallbackAnswerMiddleware())
    control_chars = ControlChars(token_states=[StoreForm.token, StoreForm.new_token, AIForm.key])
    dp.message.outer_middleware(control_chars)
    dp.callback_query.outer_middleware(control_chars)
    leave_forms = LeaveForms(keep=[Registration.email])
    dp.message.outer_middleware(leave_forms)
    dp.callback_query.outer_middleware(leave_forms)
    # The bot works in private chats only: in a group, store names, reviews and invite links
    # would be shown to everyone in it.
    dp.message.filter(Private())
    dp.callback_query.filter(Private())
    background = Background()  # long work started by presses; stopped with the Dispatcher
    dp["background"] = background
    dp.shutdown.register(background.stop)
    dp.include_router(setup_routers())
    dp.errors.register(on_error)
    dp.startup.register(set_commands)
    return dp


USER_COMMANDS = ("start", "products", "stats", "ai", "settings", "cancel", "help")
ADMIN_COMMANDS = ("pending", "users")


async def set_commands(bot: Bot, settings: Settings) -> None:
    """The command menu in both languages (Russian is also the default); admins also see
    theirs in their own chat (an admin who never opened the bot is skipped)."""
    core = create_core()

    def menu(names: tuple[str, ...], language: str) -> list[BotCommand]:
        return [BotCommand(command=n, description=core.get(f"cmd-{n}", language)) for n in names]

    for language in ("ru", "en"):
        commands = menu(USER_COMMANDS, language)
        await bot.set_my_commands(commands, BotCommandScopeDefault(), language_code=language)
        if language == "ru":
            await bot.set_my_commands(commands, BotCommandScopeDefault())
    for admin_id in sorted(settings.admin_ids):
        with contextlib.suppress(TelegramBadRequest, TelegramForbiddenError):
            await bot.set_my_commands(
                menu(USER_COMMANDS + ADMIN_COMMANDS, "ru"), BotCommandScopeChat(chat_id=admin_id)
            )


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


async def warn_pool_sizing(pool: asyncpg.Pool, app_name: str, pool_max: int) -> None:
    """Say at start-up when the server cannot hold every running bot process's pool."""
    max_connections, reserved, others = await connection_capacity(pool, app_name)
    warning = pool_sizing(max_connections, reserved, others + 1, pool_max)
    if warning:
        log.warning("%s", warning)


async def run_bot(settings: Settings) -> None:
    """Run until SIGTERM/SIGINT, then stop gracefully (bot/lifecycle.py) and return."""
    token = settings.require_bot_token()
    if settings.webhook_url:
        settings.require_webhook()  # fail before starting anything
    keyring = settings.build_keyring()  # a bad SECRET_KEY stops start-up before anything runs
    lifecycle = Lifecycle(settings.shutdown_grace_seconds)
    app_name = f"{BOT_APP_PREFIX}-{socket.gethostname()}-{os.getpid()}"
    listen_name = f"wbrep-listen-{socket.gethostname()}-{os.getpid()}"  # not counted as a bot
    async with open_database(
        settings, max_size=settings.db_pool_max, application_name=app_name, keyring=keyring
    ) as db:
        pool = db.pool
        if db.applied:
            log.info("applied migrations: %s", ", ".join(db.applied))
        await warn_pool_sizing(pool, app_name, settings.db_pool_max)
        services = build_services(settings, pool)
        bot = create_bot(token, settings)
        scheduler = None
        probes: web.AppRunner | None = None
        # Identities and roles are kept while a connection of its own hears their changes.
        async with watching(services.access_cache, db.dsn, listen_name):
            try:
                name = await check_telegram(bot, settings)
                dp = create_dispatcher(services, create_storage(settings))
                observe(dp, lifecycle)
                readiness = Readiness(pool, bot, lifecycle, services.redis)
                lifecycle.install_signals()
                if settings.scheduler_enabled:
                    from bot.scheduler import start_scheduler

                    scheduler = start_scheduler(services, bot, lifecycle)
                    lifecycle.on_stop(scheduler.pause)
                settle_heap()
                if settings.webhook_url:
                    await run_webhook(dp, bot, settings, lifecycle, readiness)
                else:
                    if settings.health_port:
                        probes = await serve_health(
                            readiness, settings.health_host, settings.health_port
                        )
                        log.info("probes on %s:%s", settings.health_host, settings.health_port)
                    log.info("bot %s starts polling", name)
                    await bot.delete_webhook(drop_pending_updates=False)
                    await run_polling(dp, bot, lifecycle)
            finally:
                if scheduler is not None:
                    scheduler.shutdown(wait=False)
                if probes is not None:
                    await probes.cleanup()
                await bot.session.close()
                await services.aclose()
    log.info("stopped")


def settle_heap() -> None:
    """Start-up is over: what it built (routers, texts, pydantic schemas, services) lives as
    long as the process, so it leaves the garbage collector's view (`gc.freeze`). A full
    collection then walks what updates made, not the ~370,000 start-up objects: in the press
    benchmark (issue 17) one such collection stopped the bot for 1.3 s under load."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GC_THRESHOLD)


YOUNG_GC_THRESHOLD = 50_000
"""An update allocates thousands of short-lived objects (parsed models, middleware frames),
nearly all freed by reference counting; at CPython's default of 700 allocations a young
collection ran several times per press. At 50,000 the press benchmark spends ~4% less CPU;
the older generations keep their default ratios (a full collection every 5M allocations)."""


async def run_polling(dp: Dispatcher, bot: Bot, lifecycle: Lifecycle) -> None:
    """Poll until a stop is asked, then stop polling and drain."""
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False)
    )
    stop = asyncio.create_task(lifecycle.stop_requested.wait())
    try:
        await asyncio.wait({polling, stop}, return_when=asyncio.FIRST_COMPLETED)
        if not polling.done():
            try:
                await dp.stop_polling()
            except RuntimeError:  # asked to stop before polling had started
                polling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
    finally:
        stop.cancel()
    await lifecycle.drain()


async def run_webhook(
    dp: Dispatcher,
    bot: Bot,
    settings: Settings,
    lifecycle: Lifecycle,
    readiness: Readiness | None = None,
) -> None:
    """Serve Telegram's webhook (several replicas behind a load balancer share Redis) and the
    probes until a stop is asked: stop listening, drain, then close the server."""
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application

    assert settings.webhook_url
    secret = settings.require_webhook()
    app = web.Application()
    if readiness is not None:
        add_routes(app, readiness)
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret).register(app, path="/tg")
    setup_application(app, dp, bot=bot)
    await bot.set_webhook(settings.webhook_url.rstrip("/") + "/tg", secret_token=secret)
    runner = web.AppRunner(app, shutdown_timeout=lifecycle.finish)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    log.info("webhook server on %s:%s", settings.webhook_host, settings.webhook_port)
    try:
        await lifecycle.stop_requested.wait()
        await site.stop()  # the balancer sends new updates to the other replicas
        await lifecycle.drain()
    finally:
        await runner.cleanup()
