"""Settings: exact names, one clear line per bad value, secrets never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.settings import Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(Settings.model_fields):
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_need_nothing() -> None:
    s = load_settings()
    assert s.bot_token is None and s.database_url is None and s.redis_url is None
    assert s.db_pool_max == 50
    assert s.timezone == "Europe/Moscow"
    assert s.ai_model == "deepseek-chat"
    assert s.deepseek_base_url == "https://api.deepseek.com"
    assert s.wb_feedbacks_url == "https://feedbacks-api.wildberries.ru"
    assert s.sync_reviews_seconds == 300 and s.full_sync_hour == 3


def test_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("ADMIN_IDS", "1, 22,333")
    monkeypatch.setenv("DB_POOL_MAX", "7")
    monkeypatch.setenv("WB_CHAT_URL", "http://127.0.0.1:9/chat")
    monkeypatch.setenv("AI_PRICE_INPUT_PER_M", "0.5")
    s = load_settings()
    assert s.require_bot_token() == "123:abc"
    assert s.admin_ids == frozenset({1, 22, 333})
    assert s.db_pool_max == 7
    assert s.wb_chat_url == "http://127.0.0.1:9/chat"
    assert s.ai_price_input_per_m == 0.5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ADMIN_IDS", "12,abc"),
        ("DB_POOL_MAX", "zero"),
        ("DB_POOL_MAX", "0"),
        ("TIMEZONE", "Mars/Olympus"),
        ("LOG_LEVEL", "LOUD"),
        ("FULL_SYNC_HOUR", "25"),
    ],
)
def test_invalid_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"setting {name} is invalid")


def test_missing_bot_token_is_named() -> None:
    with pytest.raises(SettingsError, match="BOT_TOKEN"):
        load_settings().require_bot_token()


def test_secrets_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:very-secret-bot")
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-very-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:hunter2@db/x")
    s = load_settings()
    dumped = repr(s) + str(s) + s.model_dump_json()
    for secret in ("very-secret-bot", "sk-very-secret", "hunter2"):
        assert secret not in dumped


def test_webhook_mode_requires_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.com")
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        load_settings().require_webhook_secret()
    monkeypatch.setenv("WEBHOOK_SECRET", "short")
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        load_settings().require_webhook_secret()
    monkeypatch.setenv("WEBHOOK_SECRET", "a-long-enough_secret-0123456789")
    assert load_settings().require_webhook_secret() == "a-long-enough_secret-0123456789"


def test_webhook_mode_requires_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhook replicas share FSM state in Redis: without REDIS_URL start-up stops with one
    line naming it (an empty value counts as unset)."""
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.com")
    monkeypatch.setenv("WEBHOOK_SECRET", "a-long-enough_secret-0123456789")
    monkeypatch.setenv("REDIS_URL", "")
    with pytest.raises(SettingsError, match=r"^REDIS_URL must be set with WEBHOOK_URL"):
        load_settings().require_webhook()
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert load_settings().require_webhook() == "a-long-enough_secret-0123456789"
