"""The AI client's settings against the LLM stub: short timeout and backoff, one attempt."""

from __future__ import annotations

from typing import Any

from services.ai.client import AIConfig

FAST_AI: dict[str, Any] = {
    "default_api_key": "sk-test",
    "timeout_seconds": 2.0,
    "attempts": 1,
    "backoff_base_seconds": 0.01,
    "backoff_max_seconds": 0.02,
}


def ai_config(base_url: str, **fields: Any) -> AIConfig:
    """`FAST_AI` for the stub at `base_url`; `fields` (AIConfig's own names) change any of it."""
    return AIConfig(**{**FAST_AI, "base_url": base_url, **fields})
