"""Long-lived objects, built once at start-up and handed to handlers as workflow data.

Handlers name the services they use as parameters (`reviews`, `complaints`, `screens`,
`members`, `products`, ...; see `workflow_data`), never the pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.access import AccessService
from services.access_cache import AccessCache
from services.ai.client import AIClient, AIConfig
from services.ai.pricing import Pricing
from services.ai.tasks import AITasks
from services.ai_settings import AISettingsService
from services.autoreplies import AutoReplyService
from services.chats.service import ChatService
from services.chats.tagger import ChatTagger
from services.complaints import ComplaintService
from services.members import Members
from services.message_sets import MessageSetService
from services.preferences import PreferenceService
from services.products import Products
from services.questions import QuestionService
from services.reviews import ReviewService
from services.screens import Screens
from services.sequences import SequenceService
from services.settings import Settings
from services.stats import StatsService
from services.stores import StoreService
from services.sync.base import SyncOptions
from services.sync.service import SyncService
from services.wb.factory import WBClientFactory


@dataclass
class AppServices:
    settings: Settings
    pool: asyncpg.Pool
    wb: WBClientFactory
    sync: SyncService
    ai_client: AIClient
    ai: AITasks
    complaints: ComplaintService
    questions: QuestionService
    autoreplies: AutoReplyService
    chats: ChatService
    chat_tagger: ChatTagger
    reviews: ReviewService
    sequences: SequenceService
    message_sets: MessageSetService
    ai_settings: AISettingsService
    stats: StatsService
    screens: Screens
    members: Members
    products: Products
    preferences: PreferenceService
    access: AccessService
    stores: StoreService
    access_cache: AccessCache
    """Identities and roles, kept while a LISTEN hears their changes (`watching`)."""
    redis: Any | None = None

    def workflow_data(self) -> dict[str, Any]:
        return {
            "settings": self.settings,
            "wb": self.wb,
            "sync": self.sync,
            "ai": self.ai,
            "complaints": self.complaints,
            "questions": self.questions,
            "autoreplies": self.autoreplies,
            "chats": self.chats,
            "reviews": self.reviews,
            "sequences": self.sequences,
            "message_sets": self.message_sets,
            "ai_settings": self.ai_settings,
            "stats": self.stats,
            "screens": self.screens,
            "members": self.members,
            "products": self.products,
            "preferences": self.preferences,
            "access": self.access,
            "stores": self.stores,
            "services": self,
        }

    async def aclose(self) -> None:
        await self.wb.aclose()
        await self.ai_client.aclose()
        if self.redis is not None:
            await self.redis.aclose()


def build_services(
    settings: Settings,
    pool: asyncpg.Pool,
    *,
    wb: WBClientFactory | None = None,
    sync_options: SyncOptions | None = None,
    ai_config: AIConfig | None = None,
) -> AppServices:
    redis = None
    if settings.redis_url is not None and wb is None:
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url.get_secret_value())
    wb = wb or WBClientFactory.from_settings(settings, redis=redis)
    ai_client = AIClient(ai_config or AIConfig.from_settings(settings))
    ai = AITasks(ai_client, pool, pricing=Pricing.from_settings(settings))
    reviews = ReviewService(pool, ai, wb)
    complaints = ComplaintService(pool, ai)
    access_cache = AccessCache()  # not live (no caching) until `watching` starts
    return AppServices(
        settings=settings,
        pool=pool,
        wb=wb,
        sync=SyncService(pool, wb, sync_options),
        ai_client=ai_client,
        ai=ai,
        complaints=complaints,
        questions=QuestionService(pool, ai, wb),
        autoreplies=AutoReplyService(pool, reviews, lambda: datetime.now(UTC)),
        chats=ChatService(pool, ai, wb),
        chat_tagger=ChatTagger(pool, ai),
        reviews=reviews,
        sequences=SequenceService(pool, wb),
        message_sets=MessageSetService(pool),
        ai_settings=AISettingsService(pool, ai_client, ai, complaints),
        stats=StatsService(pool),
        screens=Screens(pool),
        members=Members(pool, access_cache),
        products=Products(pool),
        preferences=PreferenceService(pool),
        access=AccessService(pool, access_cache),
        stores=StoreService(pool, wb),
        access_cache=access_cache,
        redis=redis,
    )
