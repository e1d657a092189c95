"""One store on the WB emulator with the LLM stub behind its AI: the environment the service
tests build (reviews, questions, chats, autoreplies, alerts).

    async with store_env(pool, generate_shop(7, reviews=0, questions=40)) as w:
        await w.sync_all("products", "questions")
        service = QuestionService(w.pool, w.ai, w.factory)
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, fields
from typing import Any, Self

import asyncpg
import httpx

from services.ai.client import AIClient
from services.ai.pricing import DEFAULT_PRICING, Pricing
from services.ai.tasks import AITasks
from services.sync.base import SyncKind, SyncOptions
from services.sync.service import SyncService
from services.wb.client import RetryPolicy
from services.wb.factory import WBClientFactory
from tests.fakes.llm import LLMStub
from tests.fakes.wb.app import WBEmulator
from tests.fakes.wb.context import EmulatorConfig
from tests.fakes.wb.state import SellerState
from tests.support.ai import ai_config
from tests.support.stores import make_store, make_user
from tests.support.wb import FAST_RETRY, SCALE, wb_factory


@contextlib.asynccontextmanager
async def wb_side(
    shop: SellerState, *, scale: float = SCALE, retry: RetryPolicy = FAST_RETRY
) -> AsyncIterator[tuple[WBEmulator, WBClientFactory]]:
    """The emulator serving `shop` and a client factory pointed at it."""
    async with (
        WBEmulator(shop, config=EmulatorConfig(limit_scale=scale)) as wb,
        httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http,
    ):
        yield wb, wb_factory(wb.urls, http, scale=scale, retry=retry)


@dataclass
class StoreEnv:
    """A store of `owner` whose token opens the emulator's main shop. A test module's own
    environment extends it: `Env.extend(w, service=..., ...)`."""

    pool: asyncpg.Pool
    wb: WBEmulator
    llm: LLMStub
    factory: WBClientFactory
    client: AIClient
    ai: AITasks
    owner: str
    store: str

    @classmethod
    def extend(cls, base: StoreEnv, **more: Any) -> Self:
        return cls(**{f.name: getattr(base, f.name) for f in fields(StoreEnv)}, **more)

    async def sync_all(self, *kinds: SyncKind, options: SyncOptions | None = None) -> SyncService:
        """Sync these kinds of the store once; the service, for the test to sync again."""
        sync = SyncService(self.pool, self.factory, options or SyncOptions())
        await sync.sync_all(self.store, kinds=kinds)
        return sync


@contextlib.asynccontextmanager
async def store_env(
    pool: asyncpg.Pool,
    shop: SellerState,
    *,
    scale: float = SCALE,
    retry: RetryPolicy = FAST_RETRY,
    owner: str | None = None,
    ai_timeout: float = 2.0,
    ai_attempts: int = 1,
    pricing: Pricing = DEFAULT_PRICING,
) -> AsyncIterator[StoreEnv]:
    """The emulator serving `shop`, the LLM stub, and a store on the shop (of a new user
    unless `owner` is given); nothing synced yet."""
    async with wb_side(shop, scale=scale, retry=retry) as (wb, factory), LLMStub() as llm:
        client = AIClient(ai_config(llm.base_url, timeout_seconds=ai_timeout, attempts=ai_attempts))
        try:
            owner = owner or await make_user(pool)
            store = await make_store(pool, owner, wb.token())
            ai = AITasks(client, pool, pricing=pricing)
            yield StoreEnv(pool, wb, llm, factory, client, ai, owner, store)
        finally:
            await client.aclose()
