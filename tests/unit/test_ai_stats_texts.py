"""Every error code and chart of issue 16 has its text in both languages."""

from __future__ import annotations

import pytest

from bot.i18n import create_core
from services.ai.errors import AIErrorCode
from services.ai_settings import AISettingsErrorCode, PromptKind
from services.stats import Chart

KEYS = [
    *(f"ai-error-{c.value.replace('_', '-')}" for c in AISettingsErrorCode),
    *(f"ai-prompt-{k.value}" for k in PromptKind),
    *(f"ai-purpose-{k.value}" for k in PromptKind),
    *(f"stats-btn-{c.value}" for c in Chart),
    "ai-cap-reached",
    "ai-stray-key",
    "cmd-ai",
    "cmd-stats",
    "stores-btn-stats",
    "set-btn-ai",
]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_key_has_a_text(language: str) -> None:
    core = create_core()
    for key in KEYS:
        text = core.get(key, language)
        assert text and text != key, (language, key)
    assert set(AIErrorCode) == {AIErrorCode.BUDGET_REACHED}
