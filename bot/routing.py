"""Feature routers built by a factory: `Handlers` collects a module's handlers at import
(the same decorators as a Router), and `build()` makes a fresh `Router` of them each call.

aiogram lets a Router join one parent only; a module-level Router could not be taken by a
second Dispatcher (tests, a restart in place) without touching aiogram's private state.

Filters given as a magic filter (`F.text`) or a bare `State` are registered as coroutine
filters (`inline`): aiogram runs a plain callable filter in a worker thread
(`asyncio.to_thread`), a thread hand-off per update for a comparison. A `CallbackData`
filter is registered as `ButtonFilter`: aiogram's parses the press for every handler it is
tried on (a pydantic model, or a raised exception when the prefix is another's).

A router whose every button handler names its `CallbackData` class is built with one filter
that checks the press's prefix first (`Prefixes`): a press of another feature's button
skips the router at once instead of trying each of its handlers' filters in turn. The root
of the feature routers (`FeatureRoutes`) reads those gates before it enters a router at all,
so a press passes through aiogram's per-router machinery (outer-middleware wrapping, a copy
of the handler data, the root filters) only for the routers that may take it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from aiogram import Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters import Filter, StateFilter
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.filters.logic import _OrFilter
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, TelegramObject
from aiogram.utils.magic_filter import MagicFilter
from magic_filter import MagicFilter as Rule

F = TypeVar("F", bound=Callable[..., Any])
Step = Callable[[Router], object]


class MagicCheck(Filter):
    """A magic filter (`F.text`, `F.message.chat.type == ...`) resolved in the event loop."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)


class ButtonFilter(CallbackQueryFilter):
    """aiogram's `CallbackData` filter that looks at the prefix before parsing, and parses a
    press once for all the handlers of one class it is tried on."""

    __slots__ = ("head",)

    def __init__(self, *, callback_data: type[CallbackData], rule: Rule | None = None) -> None:
        super().__init__(callback_data=callback_data, rule=rule)
        self.head = callback_data.__prefix__ + callback_data.__separator__

    async def __call__(self, query: CallbackQuery) -> Literal[False] | dict[str, Any]:
        data = query.data
        if not data or not data.startswith(self.head):
            return False
        parsed = _parsed(query.id, data, self.callback_data)
        if parsed is None or (self.rule is not None and not self.rule.resolve(parsed)):
            return False
        return {"callback_data": parsed}


_PARSED: dict[tuple[str, type[CallbackData]], tuple[str, CallbackData | None]] = {}
"""The last presses' parsed data by (press id, class): the handlers a press is tried on in
turn share one parse. Only the same press shares an object, so a handler's changes to its
`callback_data` never reach another press."""


def _parsed(query_id: str, data: str, kind: type[CallbackData]) -> CallbackData | None:
    key = (query_id, kind)
    found = _PARSED.get(key)
    if found is not None and found[0] == data:
        return found[1]
    try:
        parsed: CallbackData | None = kind.unpack(data)
    except (TypeError, ValueError):
        parsed = None
    if len(_PARSED) >= 256:
        _PARSED.clear()
    _PARSED[key] = (data, parsed)
    return parsed


def inline(check: Any) -> Any:
    """The same filter as a coroutine where aiogram would run it in a thread; a
    `CallbackData` filter as a `ButtonFilter`."""
    if isinstance(check, MagicFilter):
        return MagicCheck(check)
    if isinstance(check, State):
        return StateFilter(check)
    if type(check) is CallbackQueryFilter:
        return ButtonFilter(callback_data=check.callback_data, rule=check.rule)
    return check


class Prefixes(Filter):
    """A press whose data starts with one of these `CallbackData` prefixes (and separator)."""

    def __init__(self, marks: frozenset[tuple[str, str]]) -> None:
        self.marks = marks
        self.heads = frozenset(prefix + sep for prefix, sep in marks)
        self.seps = frozenset(sep for _, sep in marks)

    async def __call__(self, query: CallbackQuery) -> bool:
        return self.admits(query.data or "")

    def admits(self, data: str) -> bool:
        return any(data[: data.find(sep) + 1] in self.heads for sep in self.seps if sep in data)


def _callback_marks(filters: tuple[Any, ...]) -> set[tuple[str, str]] | None:
    """The (prefix, separator) pairs a handler's CallbackData filters demand, or None when
    it has no such filter (it may match any press)."""
    marks: set[tuple[str, str]] = set()
    for f in filters:
        if isinstance(f, CallbackQueryFilter):
            marks.add((f.callback_data.__prefix__, f.callback_data.__separator__))
        elif isinstance(f, _OrFilter):  # `or_f(ACb.filter(), BCb.filter())`: each branch's
            branches = [_callback_marks((t.callback,)) for t in f.targets]
            if all(branches):
                marks.update(*(b for b in branches if b))
    return marks or None


class _Observer:
    """One event kind (`message`, `callback_query`): decorators, filters, middlewares."""

    def __init__(self, steps: list[Step], event: str) -> None:
        self._steps = steps
        self._event = event
        self.marks: set[tuple[str, str]] | None = set()
        """Every handler's CallbackData prefixes; None once a handler has none."""

    def _of(self, router: Router) -> TelegramEventObserver:
        observer: TelegramEventObserver = getattr(router, self._event)
        return observer

    def __call__(self, *filters: Any, **kwargs: Any) -> Callable[[F], F]:
        def decorate(handler: F) -> F:
            self.register(handler, *filters, **kwargs)
            return handler

        return decorate

    def register(self, handler: Callable[..., Any], *filters: Any, **kwargs: Any) -> None:
        checks = [inline(f) for f in filters]
        self._steps.append(lambda r: self._of(r).register(handler, *checks, **kwargs))
        marks = _callback_marks(filters)
        if self.marks is not None:
            self.marks = None if marks is None else self.marks | marks

    def filter(self, *filters: Any) -> None:
        checks = [inline(f) for f in filters]
        self._steps.append(lambda r: self._of(r).filter(*checks))

    def middleware(self, middleware: Any) -> None:
        self._steps.append(lambda r: self._of(r).middleware(middleware))


class Handlers:
    def __init__(self, name: str) -> None:
        self.name = name
        self._steps: list[Step] = []
        self.message = _Observer(self._steps, "message")
        self.callback_query = _Observer(self._steps, "callback_query")

    def build(self) -> FeatureRouter:
        """A new Router with every handler, filter and middleware, in the order declared."""
        router = FeatureRouter(name=self.name)
        if self.callback_query.marks:  # every button handler names its prefix
            router.gate = Prefixes(frozenset(self.callback_query.marks))
            router.callback_query.filter(router.gate)
        for step in self._steps:
            step(router)
        return router


class FeatureRouter(Router):
    """A feature's Router; `gate` is its press filter when every button handler names its
    prefix (None: it may take any press)."""

    gate: Prefixes | None = None


class FeatureRoutes(Router):
    """The root of the feature routers. A press skips, without entering it, a router whose
    gate refuses it and that has no outer middleware for presses (entering it could only
    end in its gate refusing); every other update, and every router a press may reach, is
    propagated by aiogram in the declared order, as a plain Router would."""

    async def _propagate_event(
        self,
        observer: TelegramEventObserver | None,
        update_type: str,
        event: TelegramObject,
        **kwargs: Any,
    ) -> Any:
        if not isinstance(event, CallbackQuery) or (observer and observer.handlers):
            return await super()._propagate_event(observer, update_type, event, **kwargs)
        if observer is not None:  # this root's own filters (it has no handlers of its own)
            passed, data = await observer.check_root_filters(event, **kwargs)
            if not passed:
                return UNHANDLED
            kwargs.update(data)
        pressed = event.data or ""
        for router in self.sub_routers:
            if (
                isinstance(router, FeatureRouter)
                and router.gate is not None
                and not router.gate.admits(pressed)
                and not router.callback_query.outer_middleware
            ):
                continue
            response = await router.propagate_event(update_type=update_type, event=event, **kwargs)
            if response is not UNHANDLED:
                return response
        return UNHANDLED
