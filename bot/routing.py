"""Feature routers built by a factory: `Handlers` collects a module's handlers at import
(the same decorators as a Router), and `build()` makes a fresh `Router` of them each call.

aiogram lets a Router join one parent only; a module-level Router could not be taken by a
second Dispatcher (tests, a restart in place) without touching aiogram's private state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aiogram import Router
from aiogram.dispatcher.event.telegram import TelegramEventObserver

F = TypeVar("F", bound=Callable[..., Any])
Step = Callable[[Router], object]


class _Observer:
    """One event kind (`message`, `callback_query`): decorators, filters, middlewares."""

    def __init__(self, steps: list[Step], event: str) -> None:
        self._steps = steps
        self._event = event

    def _of(self, router: Router) -> TelegramEventObserver:
        observer: TelegramEventObserver = getattr(router, self._event)
        return observer

    def __call__(self, *filters: Any, **kwargs: Any) -> Callable[[F], F]:
        def decorate(handler: F) -> F:
            self.register(handler, *filters, **kwargs)
            return handler

        return decorate

    def register(self, handler: Callable[..., Any], *filters: Any, **kwargs: Any) -> None:
        self._steps.append(lambda r: self._of(r).register(handler, *filters, **kwargs))

    def filter(self, *filters: Any) -> None:
        self._steps.append(lambda r: self._of(r).filter(*filters))

    def middleware(self, middleware: Any) -> None:
        self._steps.append(lambda r: self._of(r).middleware(middleware))


class Handlers:
    def __init__(self, name: str) -> None:
        self.name = name
        self._steps: list[Step] = []
        self.message = _Observer(self._steps, "message")
        self.callback_query = _Observer(self._steps, "callback_query")

    def build(self) -> Router:
        """A new Router with every handler, filter and middleware, in the order declared."""
        router = Router(name=self.name)
        for step in self._steps:
            step(router)
        return router
