"""Builds a `WBClient` for a store from the process' shared HTTP client and limiter."""

from __future__ import annotations

from typing import Any

import httpx

from db.models import StoreRow
from db.secrets import unseal
from services.settings import Settings
from services.wb.client import RetryPolicy, StoreTokens, WBClient, WBUrls
from services.wb.limits import LimitsConfig, MemoryRateLimiter, RateLimiter, RedisRateLimiter

TOKEN_UNREADABLE = "stored token unreadable"  # noqa: S105 - an error text, not a secret
"""The sync error recorded when the current SECRET_KEY cannot open a store's token."""


def store_tokens(store: StoreRow) -> StoreTokens:
    """The store's tokens in plaintext: the one place the sealed token columns are opened.

    Raises `db.secrets.SecretUnreadable` when the current SECRET_KEY cannot open them; callers
    that run for many stores (sync, reminders) report it for this store and go on."""
    return StoreTokens(
        api_token=unseal(store.api_token) or "",
        feedbacks=unseal(store.feedbacks_api_token),
        chat=unseal(store.chat_api_token),
        content=unseal(store.content_api_token),
    )


class WBClientFactory:
    """One per process: shares connections and the rate budget across all stores' clients."""

    def __init__(
        self,
        urls: WBUrls,
        http: httpx.AsyncClient,
        limiter: RateLimiter,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.urls = urls
        self.http = http
        self.limiter = limiter
        self.retry = retry or RetryPolicy()

    @classmethod
    def from_settings(cls, settings: Settings, *, redis: Any | None = None) -> WBClientFactory:
        urls = WBUrls(
            feedbacks=settings.wb_feedbacks_url,
            chat=settings.wb_chat_url,
            content=settings.wb_content_url,
            common=settings.wb_common_url,
            prices=settings.wb_prices_url,
        )
        http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.wb_timeout_seconds, connect=10.0),
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        )
        config = LimitsConfig(enabled=settings.wb_limits_enabled)
        limiter: RateLimiter = (
            RedisRateLimiter(redis, config) if redis is not None else MemoryRateLimiter(config)
        )
        return cls(urls, http, limiter)

    def for_store(self, store: StoreRow) -> WBClient:
        return self.for_tokens(store_tokens(store))

    def for_tokens(self, tokens: StoreTokens) -> WBClient:
        return WBClient(
            tokens, urls=self.urls, http=self.http, limiter=self.limiter, retry=self.retry
        )

    async def aclose(self) -> None:
        await self.http.aclose()
