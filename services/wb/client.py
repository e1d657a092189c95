"""Async client of the WB seller API (feedbacks, questions, buyer chat, cards, prices).

One :class:`WBClient` per store call-site; it shares the process' ``httpx.AsyncClient`` and
rate limiter. Every call goes through :meth:`WBClient._call`, which

1. waits for the seller's budget in the limiter (so a normal sync never meets a 429),
2. sends the request with ``Authorization: Bearer <token>`` (the category's token),
3. maps the answer: 401/403 -> :class:`WBAuthError` (never retried); 429 -> wait
   ``X-Ratelimit-Retry`` (else ``Retry-After``, else backoff), tell the limiter, retry;
   5xx, timeouts, network errors and (on reads) bodies that are not JSON -> bounded
   exponential backoff with jitter, then the typed error; other 4xx -> :class:`WBRequestError`,
4. parses the body into a model; JSON of the wrong shape raises :class:`WBBadResponse`
   (naming the endpoint) at once, since asking again gives the same answer.

Every attempt, retries included, passes the limiter, and a 429 also holds the limiter's
bucket (``penalize``), so other tasks and instances back off too. Calls never loop forever:
``RetryPolicy.max_attempts`` bounds them, and the httpx client's timeout (30 s if it has none)
bounds each attempt.

Sends (answering a feedback or question, a chat message) are not idempotent: WB could accept
one twice. Rule (domain-rules.md, "Delivery"): a send is retried only when WB answered with an
error, so the message was not accepted. Inside this client that means a send is retried after
429, after a 5xx from WB itself (500, 503, ...) and after a connection that never opened; it is
not retried after anything that leaves the outcome open (a read timeout or dropped connection
after the request went out, a gateway 502/504, a 2xx whose body is unreadable): those raise at
once with ``outcome_unknown=True`` so the caller records the send and does not repeat it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from services.untrusted import clean_json, clean_text
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
from services.wb.limits import RateLimiter, RateLimitExceeded
from services.wb.models import (
    CardsCursor,
    CardsPage,
    Chat,
    DownloadedFile,
    DownloadPending,
    DownloadRejected,
    DownloadResult,
    EventsPage,
    Feedback,
    FeedbackList,
    GoodsPrice,
    GoodsPriceList,
    HostName,
    Ping,
    Question,
    QuestionList,
    SellerInfo,
    SendResult,
    UnansweredCount,
)
from services.wb.records import FeedbackRecords, RecordsShapeError, decode_feedback_page
from services.wb.tokens import TOKEN_SHAPE, TokenFormatError, TokenInfo, inspect_token

log = logging.getLogger(__name__)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

Order = Literal["dateAsc", "dateDesc"]
DateArg = datetime | int | None
Sleep = Callable[[float], Awaitable[None]]

HOSTS: Final[tuple[HostName, ...]] = ("feedbacks", "chat", "content", "common", "prices")
#: Token category each host needs (common accepts any category).
HOST_CATEGORY: Final[Mapping[HostName, str | None]] = {
    "feedbacks": "feedbacks",
    "chat": "chat",
    "content": "content",
    "prices": "prices",
    "common": None,
}

FEEDBACK_TAKE_MAX: Final = 5000
FEEDBACK_SKIP_MAX: Final = 199_990
QUESTION_WINDOW_MAX: Final = 10_000
ANSWER_MIN, ANSWER_MAX = 2, 5000
MESSAGE_MAX: Final = 1000
REPLY_SIGN_MAX: Final = 255
FILE_MAX: Final = 5 * 1024 * 1024
FILES_TOTAL_MAX: Final = 30 * 1024 * 1024
CARDS_LIMIT_MAX: Final = 100
PRICES_LIMIT_MAX: Final = 1000

_DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=10.0)


@dataclass(frozen=True)
class WBUrls:
    """Base URL per WB host; tests and the sandbox point these at an emulator."""

    feedbacks: str = "https://feedbacks-api.wildberries.ru"
    chat: str = "https://buyer-chat-api.wildberries.ru"
    content: str = "https://content-api.wildberries.ru"
    common: str = "https://common-api.wildberries.ru"
    prices: str = "https://discounts-prices-api.wildberries.ru"

    @classmethod
    def sandbox(cls) -> WBUrls:
        """WB's sandbox hosts (test tokens only; buyer chat and common have none)."""
        return cls(
            feedbacks="https://feedbacks-api-sandbox.wildberries.ru",
            content="https://content-api-sandbox.wildberries.ru",
            prices="https://discounts-prices-api-sandbox.wildberries.ru",
        )

    @classmethod
    def from_mapping(cls, urls: Mapping[str, str]) -> WBUrls:
        return cls(**{h: urls[h] for h in HOSTS if h in urls})

    def base(self, host: HostName) -> str:
        url: str = getattr(self, host)
        return url.rstrip("/")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on one call: attempts in all (first try included) and backoff between them.

    ``max_rate_limit_wait``: a 429 asking to wait longer than this is raised as
    :class:`WBRateLimited` instead of being slept through.
    """

    max_attempts: int = 4
    base_backoff: float = 0.5
    max_backoff: float = 8.0
    max_rate_limit_wait: float = 60.0
    jitter: bool = True

    def backoff(self, attempt: int) -> float:
        """Delay after failed attempt ``attempt`` (1-based): equal-jitter exponential."""
        delay = min(self.max_backoff, self.base_backoff * 2.0 ** max(0, attempt - 1))
        if not self.jitter:
            return delay
        return delay / 2 + random.uniform(0, delay / 2)


@dataclass(frozen=True, repr=False)
class StoreTokens:
    """A store's tokens: a category token when the store has one, else the main token.

    Prices and common (seller-info) always use ``api_token``.
    """

    api_token: str
    feedbacks: str | None = None
    chat: str | None = None
    content: str | None = None

    def for_host(self, host: HostName) -> str:
        if host == "feedbacks":
            return self.feedbacks or self.api_token
        if host == "chat":
            return self.chat or self.api_token
        if host == "content":
            return self.content or self.api_token
        return self.api_token

    def all(self) -> tuple[str, ...]:
        return tuple(t for t in (self.api_token, self.feedbacks, self.chat, self.content) if t)

    def __repr__(self) -> str:
        def mark(value: str | None) -> str:
            return "set" if value else "unset"

        return (
            f"StoreTokens(api_token=***, feedbacks={mark(self.feedbacks)}, "
            f"chat={mark(self.chat)}, content={mark(self.content)})"
        )


@dataclass(frozen=True)
class _Endpoint:
    host: HostName
    method: str
    path: str  # template, used in messages and logs
    group: str
    write: bool = False
    idempotent: bool = True
    label: str | None = None

    @property
    def name(self) -> str:
        """How errors and logs name the endpoint, e.g. ``GET /api/v1/feedbacks``."""
        return self.label or f"{self.method} {self.path}"


@dataclass(frozen=True)
class _TokenKey:
    token: str
    info: TokenInfo | None
    limiter_key: str
    token_type: str


class _Malformed(Exception):
    """Internal: the body is not JSON."""


class _Retry(Exception):
    """Internal: this attempt failed in a retryable way."""

    def __init__(self, error: WBError, delay: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.delay = delay


_FEEDBACKS = "feedbacks"
_EP: Final[Mapping[str, _Endpoint]] = {
    "feedbacks": _Endpoint("feedbacks", "GET", "/api/v1/feedbacks", _FEEDBACKS),
    "feedbacks_count": _Endpoint("feedbacks", "GET", "/api/v1/feedbacks/count", _FEEDBACKS),
    "feedbacks_unanswered": _Endpoint(
        "feedbacks", "GET", "/api/v1/feedbacks/count-unanswered", _FEEDBACKS
    ),
    "feedback": _Endpoint("feedbacks", "GET", "/api/v1/feedback", _FEEDBACKS),
    "feedbacks_archive": _Endpoint("feedbacks", "GET", "/api/v1/feedbacks/archive", _FEEDBACKS),
    "feedback_answer": _Endpoint(
        "feedbacks", "POST", "/api/v1/feedbacks/answer", _FEEDBACKS, write=True, idempotent=False
    ),
    "feedback_answer_edit": _Endpoint(
        "feedbacks", "PATCH", "/api/v1/feedbacks/answer", _FEEDBACKS, write=True, idempotent=False
    ),
    "questions": _Endpoint("feedbacks", "GET", "/api/v1/questions", _FEEDBACKS),
    "questions_count": _Endpoint("feedbacks", "GET", "/api/v1/questions/count", _FEEDBACKS),
    "questions_unanswered": _Endpoint(
        "feedbacks", "GET", "/api/v1/questions/count-unanswered", _FEEDBACKS
    ),
    "question": _Endpoint("feedbacks", "GET", "/api/v1/question", _FEEDBACKS),
    "question_patch": _Endpoint(
        "feedbacks", "PATCH", "/api/v1/questions", _FEEDBACKS, write=True, idempotent=False
    ),
    "question_viewed": _Endpoint(
        "feedbacks", "PATCH", "/api/v1/questions", _FEEDBACKS, write=True, idempotent=True
    ),
    "chats": _Endpoint("chat", "GET", "/api/v1/seller/chats", "chat"),
    "events": _Endpoint("chat", "GET", "/api/v1/seller/events", "chat"),
    "message": _Endpoint(
        "chat", "POST", "/api/v1/seller/message", "chat", write=True, idempotent=False
    ),
    "download": _Endpoint("chat", "GET", "/api/v1/seller/download/{id}", "chat_download"),
    "cards": _Endpoint("content", "POST", "/content/v2/get/cards/list", "content"),
    "prices": _Endpoint("prices", "GET", "/api/v2/list/goods/filter", "prices"),
    "seller_info": _Endpoint("common", "GET", "/api/v1/seller-info", "common"),
}


def _check_feedback_page(take: int, skip: int) -> None:
    """WB's caps on a feedback list page, refused before anything is sent."""
    if not 1 <= take <= FEEDBACK_TAKE_MAX:
        raise ValueError(f"take must be 1..{FEEDBACK_TAKE_MAX}")
    if not 0 <= skip <= FEEDBACK_SKIP_MAX:
        raise ValueError(f"skip must be 0..{FEEDBACK_SKIP_MAX}")


def _ping_endpoint(host: HostName) -> _Endpoint:
    return _Endpoint(host, "GET", "/ping", f"ping:{host}", label=f"GET /ping ({host})")


def _unix_seconds(value: DateArg) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp())
    return int(value)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _is_html(response: httpx.Response, text: str) -> bool:
    """An HTML page (nginx's "401 Authorization Required") rather than the API's answer."""
    content_type = response.headers.get("Content-Type", "").lower()
    return "html" in content_type or text[:1] == "<"


def _parse_seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # an HTTP-date Retry-After: fall back to backoff
    return seconds if seconds >= 0 else None


class WBClient:
    """The WB seller API for one store's tokens. See the module docstring for the rules."""

    def __init__(
        self,
        tokens: StoreTokens,
        *,
        urls: WBUrls,
        http: httpx.AsyncClient,
        limiter: RateLimiter,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._tokens = tokens
        self._urls = urls
        self._http = http
        self._limiter = limiter
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._keys: dict[str, _TokenKey] = {}
        client_timeout = http.timeout
        unset = all(
            t is None
            for t in (
                client_timeout.connect,
                client_timeout.read,
                client_timeout.write,
                client_timeout.pool,
            )
        )
        self._timeout: httpx.Timeout | None = _DEFAULT_TIMEOUT if unset else None

    def __repr__(self) -> str:
        return f"WBClient({self._tokens!r}, urls={self._urls!r})"

    # --- tokens and limits ------------------------------------------------------------------

    def _key(self, host: HostName) -> _TokenKey:
        token = self._tokens.for_host(host)
        cached = self._keys.get(token)
        if cached is not None:
            return cached
        info: TokenInfo | None
        try:
            info = inspect_token(token)
        except TokenFormatError:
            info = None
        if info is not None and info.seller_id:
            limiter_key = info.seller_id
        else:  # undecodable token: still one bucket per token, never the token itself
            limiter_key = "tok-" + hashlib.sha256(token.encode()).hexdigest()[:16]
        key = _TokenKey(
            token=token,
            info=info,
            limiter_key=limiter_key,
            token_type=info.token_type if info is not None else "personal",
        )
        self._keys[token] = key
        return key

    def _scrub(self, text: str) -> str:
        for token in self._tokens.all():
            if token and token in text:
                text = text.replace(token, "***")
        return TOKEN_SHAPE.sub("***", text)

    # --- the request loop -------------------------------------------------------------------

    async def _call(
        self,
        ep: _Endpoint,
        parse: Callable[[httpx.Response], T],
        *,
        path: str | None = None,
        params: Mapping[str, str | int] | None = None,
        json_body: Any = None,
        files: Sequence[tuple[str, tuple[str | None, bytes | str, str | None]]] | None = None,
        passthrough: frozenset[int] = frozenset(),
    ) -> T:
        key = self._key(ep.host)
        url = self._urls.base(ep.host) + (path or ep.path)
        headers = {"Authorization": f"Bearer {key.token}"}
        policy = self._retry
        attempts = max(1, policy.max_attempts)
        last: WBError | None = None
        for attempt in range(1, attempts + 1):
            await self._acquire(ep, key)
            started = time.monotonic()
            try:
                response = await self._send_once(ep, url, headers, params, json_body, files)
                log.debug(
                    "wb %s attempt %d -> %d in %.0f ms",
                    ep.name,
                    attempt,
                    response.status_code,
                    (time.monotonic() - started) * 1000,
                )
                return await self._handle(ep, key, response, parse, attempt, passthrough)
            except _Retry as retry:
                last = retry.error
                if attempt >= attempts:
                    break
                delay = retry.delay if retry.delay is not None else policy.backoff(attempt)
                log.debug(
                    "wb %s attempt %d failed (%s); retry in %.3f s",
                    ep.name,
                    attempt,
                    type(last).__name__,
                    delay,
                )
                if delay > 0:
                    await self._sleep(delay)
        if isinstance(last, WBServerError | WBNetworkError):
            last.attempts = attempts
        if last is None:  # pragma: no cover - the loop runs at least once
            raise RuntimeError("no attempt was made")
        raise last

    async def _acquire(self, ep: _Endpoint, key: _TokenKey) -> None:
        try:
            await self._limiter.acquire(key.limiter_key, ep.group, key.token_type)
        except RateLimitExceeded as exc:
            raise WBRateLimited(
                exc.retry_after, endpoint=ep.name, status=None, local=True
            ) from None

    async def _send_once(
        self,
        ep: _Endpoint,
        url: str,
        headers: Mapping[str, str],
        params: Mapping[str, str | int] | None,
        json_body: Any,
        files: Sequence[tuple[str, tuple[str | None, bytes | str, str | None]]] | None,
    ) -> httpx.Response:
        kwargs: dict[str, Any] = {"headers": headers}
        if params:
            kwargs["params"] = params
        if json_body is not None:
            kwargs["json"] = json_body  # httpx sets Content-Type: application/json
        if files is not None:
            kwargs["files"] = list(files)
        if self._timeout is not None:
            kwargs["timeout"] = self._timeout
        try:
            return await self._http.request(ep.method, url, **kwargs)
        except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # The request never left: safe to retry even a send.
            raise _Retry(WBTimeout(f"{ep.name}: timed out connecting", endpoint=ep.name)) from exc
        except httpx.ConnectError as exc:
            raise _Retry(WBNetworkError(f"{ep.name}: connection failed", endpoint=ep.name)) from exc
        except httpx.TimeoutException as exc:
            timeout = WBTimeout(
                f"{ep.name}: timed out waiting for WB",
                endpoint=ep.name,
                outcome_unknown=not ep.idempotent,
            )
            if not ep.idempotent:
                raise timeout from exc
            raise _Retry(timeout) from exc
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
            raise WBNetworkError(f"{ep.name}: bad request setup", endpoint=ep.name) from exc
        except httpx.TransportError as exc:
            error = WBNetworkError(
                f"{ep.name}: connection broken ({type(exc).__name__})",
                endpoint=ep.name,
                outcome_unknown=not ep.idempotent,
            )
            if not ep.idempotent:
                raise error from exc
            raise _Retry(error) from exc

    async def _handle(
        self,
        ep: _Endpoint,
        key: _TokenKey,
        response: httpx.Response,
        parse: Callable[[httpx.Response], T],
        attempt: int,
        passthrough: frozenset[int],
    ) -> T:
        status = response.status_code
        if status in passthrough or 200 <= status < 300:
            try:
                return parse(response)
            except WBBadResponse as exc:
                # WB accepted a send (2xx) but its body is odd: the caller must not resend.
                exc.outcome_unknown = not ep.idempotent
                raise
            except _Malformed as exc:
                error = WBBadResponse(
                    f"{ep.name}: malformed JSON in the response body",
                    endpoint=ep.name,
                    status=status,
                    outcome_unknown=not ep.idempotent,
                )
                if not ep.idempotent:
                    raise error from exc
                raise _Retry(error) from exc
        if status in (401, 403):
            detail = self._error_text(response)
            raise WBAuthError(
                self._auth_reason(ep, key, detail),
                endpoint=ep.name,
                status=status,
                category=HOST_CATEGORY[ep.host],
            )
        if status == 429:
            retry_after = _parse_seconds(response.headers.get("X-Ratelimit-Retry"))
            if retry_after is None:
                retry_after = _parse_seconds(response.headers.get("Retry-After"))
            if retry_after is None:
                retry_after = self._retry.backoff(attempt)
            await self._limiter.penalize(key.limiter_key, ep.group, key.token_type, retry_after)
            limited = WBRateLimited(retry_after, endpoint=ep.name)
            log.debug("wb %s: 429, retry after %.3f s", ep.name, retry_after)
            if retry_after > self._retry.max_rate_limit_wait:
                raise limited
            raise _Retry(limited, delay=retry_after)
        if status >= 500:
            gateway_unknown = not ep.idempotent and status in (502, 504)
            error_5xx = WBServerError(
                f"{ep.name}: WB server error HTTP {status}",
                endpoint=ep.name,
                status=status,
                attempts=attempt,
                outcome_unknown=gateway_unknown,
            )
            if gateway_unknown:
                raise error_5xx
            raise _Retry(error_5xx)
        raise WBRequestError(self._error_text(response), endpoint=ep.name, status=status)

    def _error_text(self, response: httpx.Response) -> str:
        """WB's own words from an error body (problem+json, envelope or plain text)."""
        text = ""
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        if isinstance(body, dict):
            for field in ("detail", "errorText", "error", "title", "message"):
                value = body.get(field)
                if isinstance(value, str) and value.strip():
                    text = value.strip()
                    break
            extra = body.get("additionalErrors")
            if not text and isinstance(extra, list) and extra:
                text = "; ".join(str(e) for e in extra)
        elif body is not None:
            text = str(body)
        else:
            text = response.text.strip()
            if _is_html(response, text):
                # A proxy's or gateway's page, not the API's words: markup means nothing to
                # a seller. The status alone; the bot says what it means.
                return f"HTTP {response.status_code}"
        return self._scrub(clean_text(text)[:500]) or f"HTTP {response.status_code}"

    def _auth_reason(self, ep: _Endpoint, key: _TokenKey, detail: str) -> str:
        """A short reason from WB's detail, completed by what the token itself says."""
        category = HOST_CATEGORY[ep.host]
        info = key.info
        lowered = detail.lower()
        if "expired" in lowered:
            return "token expired"
        if "malformed" in lowered or "signature" in lowered:
            return "token is malformed"
        if "read-only" in lowered or "read only" in lowered or "readonly" in lowered:
            return "read-only token"
        if info is None:
            return "token is malformed"
        if info.is_expired():
            return "token expired"
        if info.sandbox_only and "sandbox" not in self._urls.base(ep.host):
            return "test token works only on sandbox hosts"
        if category is not None and category not in info.categories:
            return f"token has no {category} category"
        if ep.write and info.read_only:
            return "read-only token"
        if "scope" in lowered or "category" in lowered:
            return f"token has no {category} category" if category else "token scope not allowed"
        return detail

    # --- parsing ----------------------------------------------------------------------------

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return json.loads(clean_json(response.content))
        except ValueError as exc:
            raise _Malformed from exc

    def _model(self, ep: _Endpoint, model: type[M], data: Any) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            details = exc.errors()
            where = ".".join(str(p) for p in details[0]["loc"]) if details else ""
            msg = details[0]["msg"] if details else "invalid"
            raise WBBadResponse(
                f"{ep.name}: unexpected response shape ({model.__name__}"
                f"{' at ' + where if where else ''}: {msg})",
                endpoint=ep.name,
                status=200,
            ) from None

    def _envelope(self, ep: _Endpoint, response: httpx.Response) -> Any:
        """``data`` of the feedbacks/prices envelope ``{data, error, errorText}``."""
        return self._envelope_data(ep, response, self._json(response))

    def _envelope_data(self, ep: _Endpoint, response: httpx.Response, body: Any) -> Any:
        if not isinstance(body, dict):
            raise WBBadResponse(
                f"{ep.name}: expected a JSON object", endpoint=ep.name, status=response.status_code
            )
        if body.get("error") is True:
            raise WBRequestError(
                self._scrub(str(body.get("errorText") or "error")),
                endpoint=ep.name,
                status=response.status_code,
            )
        if "data" not in body:
            raise WBBadResponse(
                f"{ep.name}: response has no 'data'", endpoint=ep.name, status=response.status_code
            )
        return body["data"]

    def _result(self, ep: _Endpoint, response: httpx.Response) -> tuple[Any, list[str]]:
        """``result`` and ``errors`` of the buyer-chat envelope."""
        body = self._json(response)
        if not isinstance(body, dict) or "result" not in body:
            raise WBBadResponse(
                f"{ep.name}: response has no 'result'",
                endpoint=ep.name,
                status=response.status_code,
            )
        errors = body.get("errors") or []
        if not isinstance(errors, list):
            errors = [str(errors)]
        return body["result"], [self._scrub(str(e)) for e in errors]

    def _data_records(self, ep: _Endpoint) -> Callable[[httpx.Response], FeedbackRecords]:
        """A feedbacks page as sync reads it: the stored fields, decoded by msgspec."""

        def parse(response: httpx.Response) -> FeedbackRecords:
            shape: RecordsShapeError | None = None
            try:
                records = decode_feedback_page(clean_json(response.content))
            except RecordsShapeError as exc:
                records, shape = None, exc
            if records is not None:
                return records
            # Not a plain success page: the general path raises what it raises for any
            # envelope (not JSON, an error envelope, no data); what it lets through is odd.
            data = self._envelope(ep, response)
            where, message = (
                (shape.where, shape.message) if shape else ("data", f"got {type(data).__name__}")
            )
            raise WBBadResponse(
                f"{ep.name}: unexpected response shape (feedbacks page at {where}: {message})",
                endpoint=ep.name,
                status=response.status_code,
            )

        return parse

    def _data_model(self, ep: _Endpoint, model: type[M]) -> Callable[[httpx.Response], M]:
        return lambda r: self._model(ep, model, self._envelope(ep, r))

    def _data_int(self, ep: _Endpoint) -> Callable[[httpx.Response], int]:
        def parse(response: httpx.Response) -> int:
            data = self._envelope(ep, response)
            if isinstance(data, bool) or not isinstance(data, int):
                raise WBBadResponse(
                    f"{ep.name}: expected an integer in 'data'", endpoint=ep.name, status=200
                )
            return data

        return parse

    def _empty(self, ep: _Endpoint) -> Callable[[httpx.Response], None]:
        """204 (or 200 with an envelope) of a write; an error envelope still raises."""

        def parse(response: httpx.Response) -> None:
            if response.status_code == 204 or not response.content.strip():
                return None
            try:
                body = json.loads(response.content)
            except ValueError:
                return None  # WB accepted it (2xx); an odd body changes nothing
            if isinstance(body, dict) and body.get("error") is True:
                raise WBRequestError(
                    self._scrub(str(body.get("errorText") or "error")),
                    endpoint=ep.name,
                    status=response.status_code,
                )
            return None

        return parse

    # --- common -----------------------------------------------------------------------------

    async def ping(self, host: HostName) -> Ping:
        """``GET /ping`` on one host: token valid and of the host's category (3 per 30 s)."""
        if host not in HOSTS:
            raise ValueError(f"unknown WB host {host!r}")
        ep = _ping_endpoint(host)
        return await self._call(ep, lambda r: self._model(ep, Ping, self._json(r)))

    async def seller_info(self) -> SellerInfo:
        ep = _EP["seller_info"]
        return await self._call(ep, lambda r: self._model(ep, SellerInfo, self._json(r)))

    # --- feedbacks --------------------------------------------------------------------------

    @staticmethod
    def _list_params(
        is_answered: bool,
        take: int,
        skip: int,
        nm_id: int | None,
        order: Order | None,
        date_from: DateArg,
        date_to: DateArg,
    ) -> dict[str, str | int]:
        params: dict[str, str | int] = {
            "isAnswered": _bool(is_answered),
            "take": take,
            "skip": skip,
        }
        if nm_id is not None:
            params["nmId"] = nm_id
        if order is not None:
            params["order"] = order
        start, end = _unix_seconds(date_from), _unix_seconds(date_to)
        if start is not None:
            params["dateFrom"] = start
        if end is not None:
            params["dateTo"] = end
        return params

    @staticmethod
    def _count_params(
        is_answered: bool | None, date_from: DateArg, date_to: DateArg
    ) -> dict[str, str | int]:
        params: dict[str, str | int] = {}
        if is_answered is not None:
            params["isAnswered"] = _bool(is_answered)
        start, end = _unix_seconds(date_from), _unix_seconds(date_to)
        if start is not None:
            params["dateFrom"] = start
        if end is not None:
            params["dateTo"] = end
        return params

    async def list_feedbacks(
        self,
        is_answered: bool,
        take: int,
        skip: int,
        *,
        nm_id: int | None = None,
        order: Order | None = None,
        date_from: DateArg = None,
        date_to: DateArg = None,
    ) -> FeedbackList:
        """One page of feedbacks (``take`` <= 5000, ``skip`` <= 199990; dates in Unix s)."""
        _check_feedback_page(take, skip)
        ep = _EP["feedbacks"]
        params = self._list_params(is_answered, take, skip, nm_id, order, date_from, date_to)
        return await self._call(ep, self._data_model(ep, FeedbackList), params=params)

    async def list_feedback_records(
        self,
        is_answered: bool,
        take: int,
        skip: int,
        *,
        nm_id: int | None = None,
        order: Order | None = None,
        date_from: DateArg = None,
        date_to: DateArg = None,
    ) -> FeedbackRecords:
        """`list_feedbacks` for sync: only the stored fields are read (`services.wb.records`)."""
        _check_feedback_page(take, skip)
        ep = _EP["feedbacks"]
        params = self._list_params(is_answered, take, skip, nm_id, order, date_from, date_to)
        return await self._call(ep, self._data_records(ep), params=params)

    async def count_feedbacks(
        self,
        is_answered: bool | None = None,
        *,
        date_from: DateArg = None,
        date_to: DateArg = None,
    ) -> int:
        """WB's count (``isAnswered`` defaults to true on WB's side when omitted)."""
        ep = _EP["feedbacks_count"]
        params = self._count_params(is_answered, date_from, date_to)
        return await self._call(ep, self._data_int(ep), params=params)

    async def count_unanswered_feedbacks(self) -> UnansweredCount:
        ep = _EP["feedbacks_unanswered"]
        return await self._call(ep, self._data_model(ep, UnansweredCount))

    async def get_feedback(self, feedback_id: str) -> Feedback:
        """One feedback; an unknown id is WB's 422 -> :class:`WBRequestError`."""
        ep = _EP["feedback"]
        return await self._call(ep, self._data_model(ep, Feedback), params={"id": feedback_id})

    async def list_archived_feedbacks(
        self,
        take: int,
        skip: int,
        *,
        nm_id: int | None = None,
        order: Order | None = "dateDesc",
    ) -> FeedbackList:
        """A page of the archive (no counters, no date filter)."""
        ep = _EP["feedbacks_archive"]
        params = self._archive_params(take, skip, nm_id, order)
        return await self._call(ep, self._data_model(ep, FeedbackList), params=params)

    async def list_archived_feedback_records(
        self,
        take: int,
        skip: int,
        *,
        nm_id: int | None = None,
        order: Order | None = "dateDesc",
    ) -> FeedbackRecords:
        """`list_archived_feedbacks` for sync: only the stored fields are read."""
        ep = _EP["feedbacks_archive"]
        params = self._archive_params(take, skip, nm_id, order)
        return await self._call(ep, self._data_records(ep), params=params)

    @staticmethod
    def _archive_params(
        take: int, skip: int, nm_id: int | None, order: Order | None
    ) -> dict[str, str | int]:
        if not 1 <= take <= FEEDBACK_TAKE_MAX:
            raise ValueError(f"take must be 1..{FEEDBACK_TAKE_MAX}")
        if skip < 0:
            raise ValueError("skip must be >= 0")
        params: dict[str, str | int] = {"take": take, "skip": skip}
        if nm_id is not None:
            params["nmId"] = nm_id
        if order is not None:
            params["order"] = order
        return params

    @staticmethod
    def _check_answer(text: str) -> str:
        cleaned = text.strip()
        if not ANSWER_MIN <= len(cleaned) <= ANSWER_MAX:
            raise ValueError(f"answer text must be {ANSWER_MIN}..{ANSWER_MAX} characters")
        return cleaned

    async def answer_feedback(self, feedback_id: str, text: str) -> None:
        """Publish an answer (WB: 204, even for an unknown id). A send: see module docs."""
        ep = _EP["feedback_answer"]
        body = {"id": feedback_id, "text": self._check_answer(text)}
        await self._call(ep, self._empty(ep), json_body=body)

    async def edit_feedback_answer(self, feedback_id: str, text: str) -> None:
        """Edit an answer (WB allows one edit within 60 days). A send: see module docs."""
        ep = _EP["feedback_answer_edit"]
        body = {"id": feedback_id, "text": self._check_answer(text)}
        await self._call(ep, self._empty(ep), json_body=body)

    # --- questions --------------------------------------------------------------------------

    async def list_questions(
        self,
        is_answered: bool,
        take: int,
        skip: int,
        *,
        nm_id: int | None = None,
        order: Order | None = None,
        date_from: DateArg = None,
        date_to: DateArg = None,
    ) -> QuestionList:
        """One page of questions (``take + skip`` <= 10000)."""
        if take < 1 or skip < 0 or take + skip > QUESTION_WINDOW_MAX:
            raise ValueError(f"need take >= 1, skip >= 0, take + skip <= {QUESTION_WINDOW_MAX}")
        ep = _EP["questions"]
        params = self._list_params(is_answered, take, skip, nm_id, order, date_from, date_to)
        return await self._call(ep, self._data_model(ep, QuestionList), params=params)

    async def count_questions(
        self,
        is_answered: bool | None = None,
        *,
        date_from: DateArg = None,
        date_to: DateArg = None,
    ) -> int:
        ep = _EP["questions_count"]
        params = self._count_params(is_answered, date_from, date_to)
        return await self._call(ep, self._data_int(ep), params=params)

    async def count_unanswered_questions(self) -> UnansweredCount:
        ep = _EP["questions_unanswered"]
        return await self._call(ep, self._data_model(ep, UnansweredCount))

    async def get_question(self, question_id: str) -> Question:
        ep = _EP["question"]
        return await self._call(ep, self._data_model(ep, Question), params={"id": question_id})

    async def answer_question(self, question_id: str, text: str) -> None:
        """Answer or edit the answer (state ``wbRu``). A send: see module docs."""
        ep = _EP["question_patch"]
        cleaned = text.strip()
        if not cleaned:
            raise ValueError("answer text is empty")
        body = {"id": question_id, "answer": {"text": cleaned}, "state": "wbRu"}
        await self._call(ep, self._empty(ep), json_body=body)

    async def reject_question(self, question_id: str, text: str) -> None:
        """Reject (hide) a question with a text for WB (state ``none``). A send."""
        ep = _EP["question_patch"]
        cleaned = text.strip()
        if not cleaned:
            raise ValueError("reject text is empty")
        body = {"id": question_id, "answer": {"text": cleaned}, "state": "none"}
        await self._call(ep, self._empty(ep), json_body=body)

    async def mark_question_viewed(self, question_id: str) -> None:
        ep = _EP["question_viewed"]
        body = {"id": question_id, "wasViewed": True}
        await self._call(ep, self._empty(ep), json_body=body)

    # --- buyer chat -------------------------------------------------------------------------

    async def list_chats(self) -> list[Chat]:
        """All chats of the seller (one call, no paging)."""
        ep = _EP["chats"]

        def parse(response: httpx.Response) -> list[Chat]:
            result, errors = self._result(ep, response)
            if result is None:
                if errors:
                    raise WBRequestError("; ".join(errors), endpoint=ep.name, status=200)
                return []
            if not isinstance(result, list):
                raise WBBadResponse(
                    f"{ep.name}: 'result' is not a list", endpoint=ep.name, status=200
                )
            return [self._model(ep, Chat, item) for item in result]

        return await self._call(ep, parse)

    async def get_events(self, next_ms: int | None = None) -> EventsPage:
        """One page of the events stream from ``next_ms`` (Unix ms); first call without it."""
        if next_ms is not None and next_ms <= 0:
            raise ValueError("next_ms must be a positive Unix time in milliseconds")
        ep = _EP["events"]

        def parse(response: httpx.Response) -> EventsPage:
            result, errors = self._result(ep, response)
            if result is None:
                if errors:
                    raise WBRequestError("; ".join(errors), endpoint=ep.name, status=200)
                raise WBBadResponse(f"{ep.name}: 'result' is null", endpoint=ep.name, status=200)
            return self._model(ep, EventsPage, result)

        params = {"next": next_ms} if next_ms is not None else None
        return await self._call(ep, parse, params=params)

    async def send_message(
        self,
        reply_sign: str,
        text: str,
        files: Sequence[tuple[str, bytes, str]] = (),
    ) -> SendResult:
        """Send a chat message (multipart). ``files``: (name, content, MIME type) each.

        A send: retried only while WB's answer shows it was not accepted (module docs).
        Bad arguments (no ``reply_sign``, text over 1000, files too big) raise ``ValueError``
        before anything is sent.
        """
        if not reply_sign:
            raise ValueError("reply_sign is required to send a chat message")
        if len(reply_sign) > REPLY_SIGN_MAX:
            raise ValueError(f"reply_sign is longer than {REPLY_SIGN_MAX} characters")
        if len(text) > MESSAGE_MAX:
            raise ValueError(f"message is longer than {MESSAGE_MAX} characters")
        if not text.strip() and not files:
            raise ValueError("nothing to send: empty text and no files")
        total = 0
        for name, content, _ in files:
            if len(content) > FILE_MAX:
                raise ValueError(f"file {name!r} is over 5 MB")
            total += len(content)
        if total > FILES_TOTAL_MAX:
            raise ValueError("files are over 30 MB in total")

        parts: list[tuple[str, tuple[str | None, bytes | str, str | None]]] = [
            ("replySign", (None, reply_sign, None)),
        ]
        if text:
            parts.append(("message", (None, text, None)))
        parts.extend(("file", (name, content, ctype)) for name, content, ctype in files)
        ep = _EP["message"]

        def parse(response: httpx.Response) -> SendResult:
            result, errors = self._result(ep, response)
            data = dict(result) if isinstance(result, dict) else {}
            data["errors"] = errors
            return self._model(ep, SendResult, data)

        return await self._call(ep, parse, files=parts)

    async def download_file(self, download_id: str) -> DownloadResult:
        """A chat attachment: the file, or pending moderation (202), or rejected (451)."""
        if not download_id or "/" in download_id:
            raise ValueError("bad download id")
        ep = _EP["download"]

        def parse(response: httpx.Response) -> DownloadResult:
            if response.status_code == 202:
                return self._model(ep, DownloadPending, self._json(response))
            if response.status_code == 451:
                return DownloadRejected(detail=self._error_text(response))
            ctype = response.headers.get("Content-Type", "application/octet-stream")
            return DownloadedFile(content=response.content, content_type=ctype.split(";")[0])

        path = f"/api/v1/seller/download/{download_id}"
        return await self._call(ep, parse, path=path, passthrough=frozenset({451}))

    # --- content and prices -----------------------------------------------------------------

    async def list_cards(
        self,
        limit: int = CARDS_LIMIT_MAX,
        cursor: CardsCursor | None = None,
        *,
        locale: str | None = None,
    ) -> CardsPage:
        """A page of product cards, oldest update first; pass the previous page's cursor.

        Last page when ``page.is_last(limit)`` (``cursor.total < limit``).
        """
        if not 1 <= limit <= CARDS_LIMIT_MAX:
            raise ValueError(f"limit must be 1..{CARDS_LIMIT_MAX}")
        page_cursor: dict[str, Any] = {"limit": limit}
        if cursor is not None and (cursor.updated_at is not None or cursor.nm_id is not None):
            page_cursor["updatedAt"] = cursor.updated_at
            page_cursor["nmID"] = cursor.nm_id
        body = {
            "settings": {
                "sort": {"ascending": True},
                "filter": {"withPhoto": -1},
                "cursor": page_cursor,
            }
        }
        ep = _EP["cards"]
        params = {"locale": locale} if locale else None
        return await self._call(
            ep,
            lambda r: self._model(ep, CardsPage, self._json(r)),
            json_body=body,
            params=params,
        )

    async def list_prices(
        self, limit: int = PRICES_LIMIT_MAX, offset: int = 0, *, nm_id: int | None = None
    ) -> list[GoodsPrice]:
        """A page of goods with prices; page on with ``offset += limit`` until empty."""
        if not 1 <= limit <= PRICES_LIMIT_MAX:
            raise ValueError(f"limit must be 1..{PRICES_LIMIT_MAX}")
        if offset < 0:
            raise ValueError("offset must be >= 0")
        ep = _EP["prices"]
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        if nm_id is not None:
            params["filterNmID"] = nm_id

        def parse(response: httpx.Response) -> list[GoodsPrice]:
            data = self._envelope(ep, response)
            if data is None:
                return []
            return self._model(ep, GoodsPriceList, data).list_goods

        return await self._call(ep, parse, params=params)
