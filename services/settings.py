"""Settings from the environment and `.env`.

One place names every knob. A missing or invalid value stops start-up with one line that
names the setting (see `load_settings`), and secrets are `SecretStr` so they never print.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from db.secrets import MIN_SECRET_LENGTH, Keyring, SecretKeyError, build_keyring

WB_FEEDBACKS_PROD = "https://feedbacks-api.wildberries.ru"
WB_CHAT_PROD = "https://buyer-chat-api.wildberries.ru"
WB_CONTENT_PROD = "https://content-api.wildberries.ru"
WB_COMMON_PROD = "https://common-api.wildberries.ru"
WB_PRICES_PROD = "https://discounts-prices-api.wildberries.ru"


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line naming it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: SecretStr | None = None
    database_url: SecretStr | None = None
    redis_url: SecretStr | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()

    secret_key: SecretStr | None = None
    secret_key_old: SecretStr | None = None

    deepseek_api_key: SecretStr | None = None
    deepseek_base_url: str = "https://api.deepseek.com"
    ai_model: str = "deepseek-chat"
    ai_price_input_per_m: float = Field(default=0.27, ge=0)
    ai_price_output_per_m: float = Field(default=1.10, ge=0)
    ai_timeout_seconds: float = Field(default=60.0, gt=0)
    ai_max_retries: int = Field(default=2, ge=0, le=10)
    ai_max_in_flight: int = Field(default=8, ge=1, le=1000)

    wb_feedbacks_url: str = WB_FEEDBACKS_PROD
    wb_chat_url: str = WB_CHAT_PROD
    wb_content_url: str = WB_CONTENT_PROD
    wb_common_url: str = WB_COMMON_PROD
    wb_prices_url: str = WB_PRICES_PROD
    wb_timeout_seconds: float = Field(default=30.0, gt=0)
    wb_limits_enabled: bool = True

    telegram_api_base: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"  # noqa: S104 - the webhook server listens in its container
    webhook_port: int = Field(default=8080, ge=1, le=65535)

    timezone: str = "Europe/Moscow"
    data_dir: Path = Path("./data")
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    health_host: str = "0.0.0.0"  # noqa: S104 - probes reach the container from outside
    health_port: int | None = Field(default=None, ge=1, le=65535)
    """Polling mode: serve /healthz, /readyz and /metrics on this port (webhook mode serves
    them on the webhook server)."""
    db_pool_max: int = Field(default=50, ge=1, le=1000)
    shutdown_grace_seconds: float = Field(default=20.0, ge=0, le=600)

    scheduler_enabled: bool = True
    sync_reviews_seconds: int = Field(default=300, ge=10)
    sync_questions_seconds: int = Field(default=600, ge=10)
    sync_chats_seconds: int = Field(default=300, ge=10)
    sync_products_seconds: int = Field(default=21600, ge=60)
    full_sync_hour: int = Field(default=3, ge=0, le=23)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            try:
                return frozenset(int(p) for p in parts if p)
            except ValueError:
                raise ValueError("must be comma-separated Telegram ids") from None
        return value

    @field_validator("secret_key", "secret_key_old")
    @classmethod
    def _check_secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value().strip()) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"must be at least {MIN_SECRET_LENGTH} characters"
                " (make one with `wbrep secrets generate`)"
            )
        return value

    @field_validator("redis_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`REDIS_URL=` in a .env means not configured, like leaving the line out."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    def secret_values(self) -> list[str]:
        """What log lines must never show."""
        secrets = [self.bot_token, self.database_url, self.redis_url, self.deepseek_api_key]
        secrets.append(self.webhook_secret)
        return [s.get_secret_value() for s in secrets if s is not None]

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def build_keyring(self) -> Keyring:
        """The keys that seal tokens at rest: SECRET_KEY, else `DATA_DIR/secret.key` (created
        on first start); SECRET_KEY_OLD only opens values during a rotation."""
        try:
            return build_keyring(
                self.secret_key.get_secret_value() if self.secret_key else None,
                self.secret_key_old.get_secret_value() if self.secret_key_old else None,
                self.data_dir,
            )
        except SecretKeyError as exc:
            raise SettingsError(str(exc)) from None

    def require_bot_token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise SettingsError("BOT_TOKEN is not set: get one from @BotFather and put it in .env")
        return self.bot_token.get_secret_value().strip()

    def require_webhook_secret(self) -> str:
        """Webhook mode needs a secret: without it anyone could post forged updates."""
        secret = self.webhook_secret.get_secret_value().strip() if self.webhook_secret else ""
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", secret):
            raise SettingsError(
                "WEBHOOK_SECRET must be set with WEBHOOK_URL: 16-256 characters of A-Z, a-z, 0-9, _ or -"
            )
        return secret

    def require_webhook(self) -> str:
        """Webhook mode needs its secret and Redis: replicas behind a load balancer share
        conversation state, so a person's next message may reach another replica."""
        secret = self.require_webhook_secret()
        if self.redis_url is None:
            raise SettingsError(
                "REDIS_URL must be set with WEBHOOK_URL: webhook replicas keep conversation "
                "state in Redis (e.g. REDIS_URL=redis://127.0.0.1:6379/0)"
            )
        return secret


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's report into one line per bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "?"
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"setting {name} is invalid: {msg}")
        raise SettingsError("; ".join(lines)) from None
