"""A loopback WB seller-API emulator: one aiohttp server, one path prefix per WB host.

    async with WBEmulator(generate_shop(1, reviews=500)) as wb:
        token = wb.token()                       # personal token for the shop's seller
        base = wb.urls["feedbacks"]              # http://127.0.0.1:PORT/feedbacks
        # GET base + "/api/v1/feedbacks?isAnswered=false&take=100&skip=0"

Every request goes through the same pipeline, in WB's order: auth (JWT payload read without
checking the signature; expiry, test tokens, category bit, read-only bit on writes), then the
rate limit of the method's group (token bucket per seller, group and token type), then fault
injection, then the handler. A request refused or faulted before the handler changes nothing.

Sellers are found by the token's `sid`; an unknown sid gets a new empty shop (set
`config.auto_create_sellers = False` to answer 401 instead).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.wb import api_chat, api_feedbacks, api_goods
from tests.fakes.wb.context import Ctx, EmulatorConfig, Route, Stats
from tests.fakes.wb.faults import Faults, html_error_page
from tests.fakes.wb.limits import RateLimiter
from tests.fakes.wb.responses import json_response, problem
from tests.fakes.wb.state import MSK, Seller, SellerState
from tests.fakes.wb.tokens import TokenError, TokenInfo, decode_token, make_token

__all__ = ["HOSTS", "EmulatorConfig", "Faults", "Stats", "WBEmulator"]

HOSTS = ("feedbacks", "chat", "content", "common", "prices")
HOST_CATEGORY: dict[str, str | None] = {
    "feedbacks": "feedbacks",
    "chat": "chat",
    "content": "content",
    "prices": "prices",
    "common": None,  # seller-info and common ping accept any category
}
EXPIRED_DETAIL = (
    "token expired; Manage tokens at https://seller.wildberries.ru/supplier-settings/access-to-api"
)


async def _ping(ctx: Ctx) -> web.StreamResponse:
    return json_response(
        {"TS": ctx.now.astimezone(MSK).isoformat(timespec="seconds"), "Status": "OK"}
    )


def _routes() -> list[Route]:
    pings = [Route(host, "GET", "/ping", _ping, "ping") for host in HOSTS]
    return [*pings, *api_feedbacks.ROUTES, *api_chat.ROUTES, *api_goods.ROUTES]


class WBEmulator:
    """The emulator. Attributes tests use: `state`, `sellers`, `config`, `faults`, `stats`."""

    def __init__(
        self,
        state: SellerState | None = None,
        *,
        config: EmulatorConfig | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.faults = faults or Faults()
        self.stats = Stats()
        self.sellers: dict[str, SellerState] = {}
        self.state = self.add_seller(state or SellerState())
        self.limiter = RateLimiter(lambda: self.config.clock())
        self.app = self._build_app()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._host = "127.0.0.1"
        self._stopping = asyncio.Event()

    # ------------------------------------------------------------------ sellers and tokens

    def add_seller(self, state: SellerState) -> SellerState:
        self.sellers[state.sid] = state
        return state

    def seller(self, sid: str) -> SellerState | None:
        return self.sellers.get(sid)

    def token(self, sid: str | None = None, **kwargs: Any) -> str:
        """A token for `sid` (default: the main shop); kwargs go to `make_token`."""
        return make_token(sid or self.state.sid, **kwargs)

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 = a free port); returns the base URL."""
        if self._runner is not None:
            raise RuntimeError("emulator already started")
        self._stopping = asyncio.Event()
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self._port = int(sockets[0].getsockname()[1]) if sockets else port
        self._host = host
        self._runner = runner
        return self.base_url

    async def stop(self) -> None:
        self._stopping.set()  # releases requests held by a hang fault
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> WBEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("emulator not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def urls(self) -> dict[str, str]:
        """Base URL per WB host, e.g. ``urls["feedbacks"] + "/api/v1/feedbacks"``."""
        return {host: f"{self.base_url}/{host}" for host in HOSTS}

    def now(self) -> datetime:
        return self.config.now()

    # ------------------------------------------------------------------ app and pipeline

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._errors_middleware], client_max_size=64 * 1024**2)
        for route in _routes():
            app.router.add_route(route.method, f"/{route.host}{route.path}", self._endpoint(route))
        return app

    @web.middleware
    async def _errors_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPNotFound:
            response = problem(
                404,
                "path not found",
                "Please consult the https://dev.wildberries.ru/openapi/api-information",
                now=self.now(),
            )
        except web.HTTPMethodNotAllowed:
            response = problem(
                405, "method not allowed", f"{request.method} is not allowed here", now=self.now()
            )
        self.stats.statuses[response.status] += 1
        return response

    def _endpoint(self, route: Route) -> Callable[[web.Request], Any]:
        async def endpoint(request: web.Request) -> web.StreamResponse:
            return await self._handle(route, request)

        return endpoint

    def _auth(self, route: Route, request: web.Request, now: datetime) -> TokenInfo | web.Response:
        header = request.headers.get("Authorization", "").strip()
        raw = header[7:].strip() if header[:7].lower() == "bearer " else header
        if not raw:
            return self._unauthorized("missing", "token problem; token is missing", now)
        try:
            token = decode_token(raw)
        except TokenError as exc:
            return self._unauthorized("malformed", f"token problem; token is malformed: {exc}", now)
        if token.expires_at is not None and token.expires_at <= now.timestamp():
            return self._unauthorized(
                "expired", EXPIRED_DETAIL, now, origin="s2s-api-auth-supplies"
            )
        if token.is_test:
            return self._unauthorized(
                "test_token", "token problem; test token is valid only for sandbox hosts", now
            )
        category = HOST_CATEGORY[route.host]
        if category is not None and not token.has_category(category):
            self.stats.auth_failures["scope"] += 1
            if self.config.scope_error_status == 403:
                return problem(
                    403,
                    "Forbidden",
                    "scope is not allowed for this resource",
                    origin="ag-marketplace",
                    now=now,
                )
            return problem(401, "unauthorized", "token scope not allowed", now=now)
        if route.write and token.read_only:
            return self._unauthorized("read_only", "read-only token", now)
        if token.sid not in self.sellers and not self.config.auto_create_sellers:
            return self._unauthorized("unknown_seller", "token problem; unknown seller", now)
        return token

    def _unauthorized(
        self, reason: str, detail: str, now: datetime, *, origin: str = "s2s-api-auth-catalog"
    ) -> web.Response:
        self.stats.auth_failures[reason] += 1
        return problem(401, "unauthorized", detail, origin=origin, now=now)

    async def _handle(self, route: Route, request: web.Request) -> web.StreamResponse:
        cfg = self.config
        now = cfg.now()
        self.stats.paths[f"{request.method} /{route.host}{route.path}"] += 1
        auth = self._auth(route, request, now)
        if isinstance(auth, web.Response):
            return auth
        token = auth
        seller = self.sellers.get(token.sid)
        if seller is None:
            seller = self.add_seller(SellerState(Seller(sid=token.sid)))
        group = f"ping:{route.host}" if route.group == "ping" else route.group
        self.stats.requests[group] += 1
        limit_headers: dict[str, str] = {}
        if cfg.limits_enabled:
            decision = self.limiter.hit(token.sid, group, token.kind, scale=cfg.limit_scale)
            limit_headers = decision.headers(fractional=cfg.fractional_limit_headers)
            if not decision.allowed:
                self.stats.throttled[group] += 1
                return self._too_many(now, limit_headers)
        fault = self.faults.pick(request.path)
        if fault is not None:
            self.stats.faults[fault] += 1
            if fault == "throttle":
                self.stats.throttled[group] += 1
                forced = self.limiter.rejected(group, token.kind, scale=cfg.limit_scale)
                return self._too_many(now, forced.headers(fractional=cfg.fractional_limit_headers))
            if fault == "error":
                return web.Response(status=self.faults.error_status, text="Internal Server Error")
            if fault == "html":
                return web.Response(
                    status=self.faults.html_status,
                    text=html_error_page(self.faults.html_status),
                    content_type="text/html",
                )
            if fault == "hang":
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.faults.hang_seconds)
                return web.Response(status=504, text="upstream request timeout")
            return web.Response(
                status=200,
                body=b'{"data":{"feedbacks":[{"id":"',
                headers={"Content-Type": "application/json; charset=utf-8", **limit_headers},
            )
        ctx = Ctx(request, seller, token, cfg, self.stats, now)
        response = await route.handler(ctx)
        response.headers.update(limit_headers)
        return response

    @staticmethod
    def _too_many(now: datetime, headers: dict[str, str]) -> web.Response:
        return problem(
            429,
            "too many requests",
            "limited by c122a060-a7fb-4bb4-abb0-32fd4e18d489",
            headers=headers,
            now=now,
        )
