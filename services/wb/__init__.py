"""WB (Wildberries) seller-API client: tokens, limits, models, errors, the client itself."""

from services.wb.client import RetryPolicy, StoreTokens, WBClient, WBUrls
from services.wb.errors import (
    WBAuthError,
    WBBadResponse,
    WBError,
    WBNetworkError,
    WBRateLimited,
    WBRequestError,
    WBServerError,
    WBTimeout,
)
from services.wb.limits import (
    LimitsConfig,
    MemoryRateLimiter,
    NoRateLimiter,
    RateLimiter,
    RateLimitExceeded,
    RedisRateLimiter,
)
from services.wb.tokens import TokenFormatError, TokenInfo, inspect_token

__all__ = [
    "LimitsConfig",
    "MemoryRateLimiter",
    "NoRateLimiter",
    "RateLimitExceeded",
    "RateLimiter",
    "RedisRateLimiter",
    "RetryPolicy",
    "StoreTokens",
    "TokenFormatError",
    "TokenInfo",
    "WBAuthError",
    "WBBadResponse",
    "WBClient",
    "WBError",
    "WBNetworkError",
    "WBRateLimited",
    "WBRequestError",
    "WBServerError",
    "WBTimeout",
    "WBUrls",
    "inspect_token",
]
