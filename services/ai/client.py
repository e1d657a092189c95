"""The one way to call the LLM: DeepSeek through `openai.AsyncOpenAI`.

- The SDK's own retries are off (`max_retries=0`); this client retries 5xx, 429, timeouts
  and connection errors itself, a bounded number of times with exponential backoff, so the
  attempts are counted and logged.
- One `AsyncOpenAI` per distinct key, cached: connection pools are reused and a seller's key
  never travels in another seller's client. The key is the store owner's
  `user_settings.deepseek_api_key`, else the operator's `DEEPSEEK_API_KEY`; neither ->
  `AIConfigError` before any request.
- Calls per owner are bounded by `user_settings.ai_concurrency` (default 5) with a semaphore
  per owner, replaced when the value changes (calls already holding the old one finish under
  it). Calls of the whole process are bounded too (`AI_MAX_IN_FLIGHT`, default 8): many
  owners drafting at once queue here, each taking its owner's slot first, so one owner's
  queue never holds the process's slots.
- Keys never reach logs or error messages.
- The model's answer is text from outside: its control characters are removed as soon as it
  arrives (`services.untrusted.clean_text`), so a NUL in it cannot fail the `ai_logs` insert
  or the stored draft.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, cast

import openai
from openai.types.chat import ChatCompletionMessageParam

from db.repos.user_settings import DEFAULT_AI_CONCURRENCY, MAX_AI_CONCURRENCY
from services.ai.errors import AICallError, AIConfigError
from services.untrusted import clean_text

if TYPE_CHECKING:
    from services.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_MAX_IN_FLIGHT = 8


@dataclass(frozen=True, slots=True)
class AIConfig:
    """Everything the client needs; `attempts` counts the first try (1 = no retry)."""

    base_url: str = "https://api.deepseek.com"
    model: str = "deepseek-chat"
    default_api_key: str | None = field(default=None, repr=False)
    timeout_seconds: float = 60.0
    attempts: int = 3
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 20.0
    default_concurrency: int = DEFAULT_AI_CONCURRENCY
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    """LLM requests in flight in this process at once, whoever they are for."""

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        if self.timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")

    @classmethod
    def from_settings(cls, settings: Settings) -> AIConfig:
        key = (
            settings.deepseek_api_key.get_secret_value().strip()
            if (settings.deepseek_api_key is not None)
            else ""
        )
        return cls(
            base_url=settings.deepseek_base_url,
            model=settings.ai_model,
            default_api_key=key or None,
            timeout_seconds=settings.ai_timeout_seconds,
            attempts=settings.ai_max_retries + 1,
            max_in_flight=settings.ai_max_in_flight,
        )


@dataclass(frozen=True, slots=True)
class Completion:
    """One successful call: the text and what it cost in tokens and time."""

    content: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    duration_ms: int
    attempts: int
    finish_reason: str | None = None


LLM_KEY_SHAPE: Final = re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}")
"""A DeepSeek/OpenAI key anywhere in a text: deleted from chat at once, scrubbed from logs."""


def key_fingerprint(api_key: str) -> str:
    """A short, non-reversible name for a key (cache key, logs); never the key itself."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:12]


class AIClient:
    """Bounded, retried, per-owner-limited chat completions."""

    def __init__(self, config: AIConfig) -> None:
        self._config = config
        self._clients: dict[str, openai.AsyncOpenAI] = {}
        self._semaphores: dict[str, tuple[int, asyncio.Semaphore]] = {}
        self._in_flight = asyncio.Semaphore(config.max_in_flight)

    @property
    def config(self) -> AIConfig:
        return self._config

    @property
    def model(self) -> str:
        return self._config.model

    def resolve_key(self, owner_key: str | None) -> str:
        """The owner's key if set, else the operator's default; neither -> AIConfigError."""
        for candidate in (owner_key, self._config.default_api_key):
            if candidate and candidate.strip():
                return candidate.strip()
        raise AIConfigError(
            "Не задан ключ DeepSeek: добавьте свой ключ в настройках или попросите"
            " администратора задать DEEPSEEK_API_KEY"
        )

    def _client_for(self, api_key: str) -> openai.AsyncOpenAI:
        fp = hashlib.sha256(api_key.encode("utf-8")).hexdigest()
        client = self._clients.get(fp)
        if client is None:
            client = openai.AsyncOpenAI(
                api_key=api_key,
                base_url=self._config.base_url,
                timeout=self._config.timeout_seconds,
                max_retries=0,
            )
            self._clients[fp] = client
        return client

    @property
    def cached_clients(self) -> int:
        return len(self._clients)

    def semaphore_for(self, owner_id: str, concurrency: int | None) -> asyncio.Semaphore:
        """The owner's semaphore, recreated when their `ai_concurrency` changes."""
        limit = concurrency if concurrency and concurrency > 0 else self._config.default_concurrency
        limit = min(limit, MAX_AI_CONCURRENCY)
        current = self._semaphores.get(owner_id)
        if current is None or current[0] != limit:
            current = (limit, asyncio.Semaphore(limit))
            self._semaphores[owner_id] = current
        return current[1]

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        base = self._config.backoff_base_seconds * (2.0 ** (attempt - 1))
        delay = min(base, self._config.backoff_max_seconds)
        if retry_after is not None:
            delay = min(max(delay, retry_after), self._config.backoff_max_seconds)
        return delay * (1 + random.uniform(0, 0.1))

    async def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        owner_id: str,
        owner_api_key: str | None = None,
        concurrency: int | None = None,
        json_mode: bool = False,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        """One logical call with bounded retries; raises AIConfigError or AICallError."""
        api_key = self.resolve_key(owner_api_key)
        client = self._client_for(api_key)
        semaphore = self.semaphore_for(owner_id, concurrency)
        kwargs: dict[str, Any] = {}
        if json_mode:
            kwargs["response_format"] = {"type": "json_object"}
        if temperature is not None:
            kwargs["temperature"] = temperature
        if max_tokens is not None:
            kwargs["max_tokens"] = max_tokens
        msgs = cast(list[ChatCompletionMessageParam], [dict(m) for m in messages])

        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            try:
                async with semaphore, self._in_flight:
                    response = await client.chat.completions.create(
                        model=self._config.model, messages=msgs, **kwargs
                    )
            except openai.APITimeoutError:
                kind, status, message = (
                    "timeout",
                    None,
                    (f"no answer within {self._config.timeout_seconds:g} s"),
                )
            except openai.APIConnectionError as exc:
                kind, status, message = "connection", None, type(exc).__name__
            except openai.APIStatusError as exc:
                status = exc.status_code
                kind, message = _status_kind(status), _safe_message(exc)
                retry_after = _retry_after(exc)
                if kind not in ("server_error", "rate_limited"):
                    raise AICallError(
                        kind, message, attempts=attempt, duration_ms=_ms(started), status=status
                    ) from None
            else:
                return _completion(response, self._config.model, attempt, started)

            if attempt >= self._config.attempts:
                raise AICallError(
                    kind, message, attempts=attempt, duration_ms=_ms(started), status=status
                )
            delay = self._backoff(attempt, retry_after)
            log.warning(
                "LLM call failed (%s, attempt %d/%d, owner %s, key %s); retry in %.2f s",
                kind,
                attempt,
                self._config.attempts,
                owner_id,
                key_fingerprint(api_key),
                delay,
            )
            await asyncio.sleep(delay)

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _status_kind(status: int) -> str:
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "server_error"
    if status in (401, 403):
        return "auth"
    if status == 402:
        return "payment_required"
    return "bad_request"


def _safe_message(exc: openai.APIStatusError) -> str:
    # The provider's message ("Authentication Fails", "Insufficient Balance", ...), cut short;
    # it does not contain the key.
    body = exc.body
    text = ""
    if isinstance(body, Mapping):
        err = body.get("error", body)
        if isinstance(err, Mapping):
            text = str(err.get("message") or "")
        elif isinstance(err, str):
            text = err
    return f"HTTP {exc.status_code}" + (f": {text[:200]}" if text else "")


def _retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after") if exc.response is not None else None
    try:
        return None if value is None else float(str(value))
    except ValueError:
        return None


def _completion(response: Any, default_model: str, attempts: int, started: float) -> Completion:
    choice = response.choices[0] if response.choices else None
    content = clean_text((choice.message.content if choice is not None else None) or "")
    usage = response.usage
    prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
    completion = int(getattr(usage, "completion_tokens", 0) or 0)
    total = int(getattr(usage, "total_tokens", 0) or (prompt + completion))
    return Completion(
        content=content,
        model=response.model or default_model,
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=total,
        duration_ms=_ms(started),
        attempts=attempts,
        finish_reason=choice.finish_reason if choice is not None else None,
    )
