"""List screens keep their state in FSM data under a short view id (`ListCb.view`).

A view holds its kind, store, filter, the stack of keyset cursors where each page starts,
the page shown, the cursor after it, and the total, counted once per filter and again after
an action on the store's reviews or complaints (`needs_recount`: `n` is None until the list
is shown next). Old views are dropped (a person rarely goes back further than a few lists);
their buttons then get the fallback's "outdated" answer.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot.callbacks import FilterCb, ListCb

MAX_VIEWS = 6
Cursor = tuple[datetime, str]


def dump_cursor(cursor: Cursor | None) -> list[str] | None:
    return None if cursor is None else [cursor[0].isoformat(), cursor[1]]


def load_cursor(value: Any) -> Cursor | None:
    if not value:
        return None
    return datetime.fromisoformat(value[0]), str(value[1])


async def new_view(state: FSMContext, view: dict[str, Any]) -> str:
    view_id = secrets.token_hex(3)
    view.setdefault("starts", [None])
    view.setdefault("pg", 0)
    view.setdefault("next", None)
    await put_view(state, view_id, view)
    return view_id


async def put_view(state: FSMContext, view_id: str, view: dict[str, Any]) -> None:
    data = await state.get_data()
    views: dict[str, Any] = dict(data.get("views") or {})
    views.pop(view_id, None)
    views[view_id] = view
    while len(views) > MAX_VIEWS:
        views.pop(next(iter(views)))
    await state.update_data({"views": views, f"last_{view['k']}": view_id})


async def get_view(state: FSMContext, view_id: str) -> dict[str, Any] | None:
    views = (await state.get_data()).get("views") or {}
    view = views.get(view_id)
    return dict(view) if view else None


async def needs_recount(state: FSMContext, store_id: str) -> None:
    """An action may have moved reviews or complaints of this store in or out of the person's
    open lists of it: each counts again when it is shown next (not on every page turn)."""
    data = await state.get_data()
    views: dict[str, Any] = dict(data.get("views") or {})
    stale = [vid for vid, v in views.items() if v.get("s") == store_id and v.get("n") is not None]
    if stale:
        views.update({vid: {**views[vid], "n": None} for vid in stale})
        await state.update_data({"views": views})


async def last_view(state: FSMContext, kind: str) -> str | None:
    data = await state.get_data()
    view_id = data.get(f"last_{kind}")
    return view_id if view_id and view_id in (data.get("views") or {}) else None


def turn(view: dict[str, Any], go: str) -> None:
    """Move the view's page: n(ext) pushes the cursor after this page, p(rev) pops one;
    r(e-show) and c(ount again) stay on the page."""
    starts: list[Any] = list(view["starts"])
    page = int(view["pg"])
    if go == "n" and view.get("next"):
        starts = [*starts[: page + 1], view["next"]]
        page += 1
    elif go == "p" and page > 0:
        page -= 1
        starts = starts[: page + 1]
    view["starts"], view["pg"] = starts, page


def reset_pages(view: dict[str, Any]) -> None:
    view["starts"], view["pg"], view["next"] = [None], 0, None


def pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


class ViewOf(Filter):
    """A ListCb/FilterCb press on a view of this kind; hands the view to the handler."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    async def __call__(
        self, query: CallbackQuery, state: FSMContext | None = None
    ) -> bool | dict[str, Any]:
        if state is None or not query.data:
            return False
        prefix = query.data.split(":", 1)[0]
        view_id: str
        if prefix == ListCb.__prefix__:
            view_id = ListCb.unpack(query.data).view
        elif prefix == FilterCb.__prefix__:
            view_id = FilterCb.unpack(query.data).view
        else:
            return False
        view = await get_view(state, view_id)
        if view is None or view.get("k") != self.kind:
            return False
        return {"view": view, "view_id": view_id}
