"""WB clients against the emulator with limits and backoff scaled down: for the service
tests, the whole-bot harness and the subprocess children alike."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from services.wb.client import RetryPolicy, WBUrls
from services.wb.factory import WBClientFactory
from services.wb.limits import LimitsConfig, MemoryRateLimiter

SCALE = 200.0
"""WB's limits run this many times faster, in the emulator and in our limiter alike."""
FAST_RETRY = RetryPolicy(max_attempts=2, base_backoff=0.01, max_backoff=0.02, jitter=False)
PATIENT_RETRY = RetryPolicy(max_attempts=4, base_backoff=0.01, max_backoff=0.05, jitter=False)
"""For whole-bot runs and the jobs: a bunched 429 is retried rather than failing the test."""


def wb_factory(
    urls: Mapping[str, str],
    http: httpx.AsyncClient,
    *,
    scale: float = SCALE,
    retry: RetryPolicy = FAST_RETRY,
) -> WBClientFactory:
    """WB clients for the emulator at `urls`, with limits and backoff scaled down."""
    return WBClientFactory(
        WBUrls.from_mapping(urls), http, MemoryRateLimiter(LimitsConfig(scale=scale)), retry
    )
