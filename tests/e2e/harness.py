"""The whole bot against the fakes: real aiogram polling over the fake Telegram Bot API,
the WB emulator, the LLM stub, a real database.

    async with running_bot(pool) as env:
        seller = env.user(501)
        await seller.send("/start")
        await seller.wait_message("email")
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg
import httpx
from aiogram import Bot, Dispatcher

from bot.app import create_bot, create_dispatcher
from bot.callbacks import ReviewCb
from bot.context import AppServices, build_services
from services.access_cache import watching
from services.settings import Settings
from services.sync.base import SyncOptions
from tests.fakes.llm import LLMStub
from tests.fakes.telegram import FakeTelegram, FakeUser
from tests.fakes.telegram.models import ChatMessage
from tests.fakes.wb.app import WBEmulator
from tests.fakes.wb.context import EmulatorConfig
from tests.fakes.wb.generator import generate_shop
from tests.fakes.wb.state import SellerState
from tests.support.ai import ai_config
from tests.support.wb import PATIENT_RETRY, SCALE, wb_factory

ADMIN_ID = 1000
SYNC_OPTIONS = SyncOptions(feedbacks_take=500, questions_take=200)


@dataclass
class BotEnv:
    tg: FakeTelegram
    wb: WBEmulator
    llm: LLMStub
    pool: asyncpg.Pool
    services: AppServices
    dp: Dispatcher
    bot: Bot
    settings: Settings
    users: dict[int, FakeUser] = field(default_factory=dict)

    def user(self, telegram_id: int, **kwargs: object) -> FakeUser:
        if telegram_id not in self.users:
            self.users[telegram_id] = self.tg.user(telegram_id, **kwargs)  # type: ignore[arg-type]
        return self.users[telegram_id]

    @property
    def admin(self) -> FakeUser:
        return self.user(ADMIN_ID, first_name="Админ")

    @contextlib.asynccontextmanager
    async def changing_access(self) -> AsyncIterator[None]:
        """Around a test's own write to who may act (another process's decision): the bot
        has heard of it when the block ends. A person's press comes later than that in
        life; a test's comes at once."""
        cache = self.services.access_cache
        generation = cache.generation
        yield
        for _ in range(500):
            if not cache.live or cache.generation != generation:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the bot heard of no change of access in 5 s")


async def add_store_until_token(
    user: FakeUser, name: str = "Пледы", *, button: str = "Добавить магазин"
) -> ChatMessage:
    """The add-store form from the stores list, led up to its token prompt (returned)."""
    await user.press(button)
    await user.wait_message("Как назвать")
    await user.send(name)
    return await user.wait_message("токен WB API")


async def open_review(user: FakeUser, review_id: str) -> ChatMessage:
    """The review's card, opened from the menu by its button as a list row would open it."""
    menu = await user.send("/menu")
    await user.wait_message("WB")
    await user.press_data(ReviewCb(action="o", review_id=review_id).pack(), menu.id + 1)
    return await user.wait_message("📦")


def small_shop(seed: int = 11) -> SellerState:
    return generate_shop(seed, reviews=300, products=10, questions=20, chats=5)


@contextlib.asynccontextmanager
async def running_bot(
    pool: asyncpg.Pool,
    *,
    shop: SellerState | None = None,
    admin_ids: frozenset[int] = frozenset({ADMIN_ID}),
    dsn: str | None = None,
) -> AsyncIterator[BotEnv]:
    """The bot polling the fake Telegram; with `dsn`, identities and roles are kept while a
    LISTEN hears their changes, as `wbrep run` keeps them."""
    async with (
        FakeTelegram() as tg,
        WBEmulator(shop or small_shop(), config=EmulatorConfig(limit_scale=SCALE)) as wb,
        LLMStub() as llm,
    ):
        settings = Settings(
            bot_token=tg.token,
            telegram_api_base=tg.base_url,
            admin_ids=admin_ids,
            deepseek_api_key="sk-test",
            deepseek_base_url=llm.base_url,
            scheduler_enabled=False,
            **{f"wb_{host}_url": url for host, url in wb.urls.items()},  # type: ignore[arg-type]
        )
        http = httpx.AsyncClient(timeout=httpx.Timeout(5.0))
        services = build_services(
            settings,
            pool,
            wb=wb_factory(wb.urls, http, retry=PATIENT_RETRY),
            sync_options=SYNC_OPTIONS,
            ai_config=ai_config(llm.base_url, timeout_seconds=3.0, attempts=2),
        )
        dp = create_dispatcher(services)
        bot = create_bot(tg.token, settings)
        try:
            async with contextlib.AsyncExitStack() as stack:
                if dsn is not None:
                    watch = await stack.enter_async_context(watching(services.access_cache, dsn))
                    await asyncio.wait_for(watch.up.wait(), 10)  # live before any update
                running = await stack.enter_async_context(tg.polling(dp, bot))
                yield BotEnv(tg, wb, llm, pool, services, dp, running, settings)
        finally:
            await services.aclose()
