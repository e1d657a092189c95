"""Screen state kept in FSM data: pydantic models, read and written only by `load_view` and
`save_view`, so mypy checks every field and an old or broken dict reads as "no view".

A store's paged list (`StoreView`: reviews, the complaint queue, products) is kept under a
short view id (`ListCb.view`) among the person's last few lists: its kind, store, filter, the
stack of keyset cursors where each page starts, the page shown, the cursor after it, and the
total, counted once per filter and again after an action on the store's reviews or complaints
(`needs_recount`: `total` is None until the list is shown next). Old views are dropped (a
person rarely goes back further than a few lists); their buttons then get the fallback's
"outdated" answer. Other screens keep one model under their own key (`View.key`).

Field names read the one-letter keys older code saved (`validation_alias`), so a person's
open lists survive an upgrade; what does not validate falls back to the default view.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Generic, Literal, TypeVar

from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from bot.callbacks import FilterCb, FilterField, ListCb, ListGo
from services.msk import MSK
from services.records import ReviewFilter

MAX_VIEWS = 6
LISTS_KEY = "views"


def _alias(*names: str) -> Any:
    return AliasChoices(*names)


class View(BaseModel):
    """A screen's state in FSM data. `key`: where a single view of its kind is kept."""

    model_config = ConfigDict(extra="ignore")
    key: ClassVar[str] = ""


V = TypeVar("V", bound=View)
C = TypeVar("C")


class StoreView(View, Generic[C]):
    """A paged list of one store's objects; `C` is its keyset cursor."""

    key: ClassVar[str] = LISTS_KEY
    kind: str = Field(validation_alias=_alias("kind", "k"))
    store_id: str = Field(validation_alias=_alias("store_id", "s"))
    starts: list[C | None] = [None]
    """The cursor each page shown so far starts after (None: the first page)."""
    page: int = Field(0, validation_alias=_alias("page", "pg"))
    next: C | None = None
    total: int | None = Field(None, validation_alias=_alias("total", "n"))

    @property
    def after(self) -> C | None:
        return self.starts[self.page] if self.page < len(self.starts) else None

    def turn(self, go: str) -> None:
        """n(ext) pushes the cursor after this page, p(rev) pops one; r(e-show) and c(ount
        again) stay on the page."""
        if go == ListGo.NEXT and self.next is not None:
            self.starts = [*self.starts[: self.page + 1], self.next]
            self.page += 1
        elif go == ListGo.PREV and self.page > 0:
            self.page -= 1
            self.starts = self.starts[: self.page + 1]

    def reset_pages(self) -> None:
        self.starts, self.page, self.next = [None], 0, None


# --- the one reader and writer -------------------------------------------------------------


def _lists(data: dict[str, Any]) -> dict[str, Any]:
    views = data.get(LISTS_KEY)
    return dict(views) if isinstance(views, dict) else {}


def _parse(model: type[V], raw: Any) -> V | None:
    if not isinstance(raw, dict):
        return None
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


async def load_view(state: FSMContext, model: type[V], view_id: str | None = None) -> V | None:
    """The view of this model kept in FSM data (a store list: the one with this id), or None
    when there is none or what is kept is not one (an old shape, another kind)."""
    data = await state.get_data()
    if view_id is None:
        return _parse(model, data.get(model.key))
    return _parse(model, _lists(data).get(view_id))


async def save_view(state: FSMContext, view: View, view_id: str | None = None) -> str:
    """Keep the view; a store list gets a new id unless it has one. Returns the id (or key)."""
    if not isinstance(view, StoreView):
        await state.update_data({view.key: view.model_dump(mode="json")})
        return view.key
    view_id = view_id or secrets.token_hex(3)
    data = await state.get_data()
    views = _lists(data)
    views.pop(view_id, None)
    views[view_id] = view.model_dump(mode="json")
    while len(views) > MAX_VIEWS:
        views.pop(next(iter(views)))
    await state.update_data({LISTS_KEY: views, f"last_{view.kind}": view_id})
    return view_id


async def clear_view(state: FSMContext, model: type[View]) -> None:
    await state.update_data({model.key: None})


async def last_view(state: FSMContext, kind: str) -> str | None:
    data = await state.get_data()
    view_id = data.get(f"last_{kind}")
    return view_id if isinstance(view_id, str) and view_id in _lists(data) else None


async def needs_recount(state: FSMContext, store_id: str) -> None:
    """An action may have moved reviews or complaints of this store in or out of the person's
    open lists of it: each counts again when it is shown next (not on every page turn)."""
    data = await state.get_data()
    views = _lists(data)
    stale = [
        vid
        for vid, raw in views.items()
        if isinstance(raw, dict)
        and raw.get("store_id", raw.get("s")) == store_id
        and raw.get("total", raw.get("n")) is not None
    ]
    if stale:
        views.update({vid: {**views[vid], "total": None} for vid in stale})
        await state.update_data({LISTS_KEY: views})


def pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


class ViewOf(Filter):
    """A ListCb/FilterCb press on a store list of this model; hands `view` and `view_id` on."""

    def __init__(self, model: type[StoreView[Any]]) -> None:
        self.model = model

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
        view = await load_view(state, self.model, view_id)
        if view is None:
            return False
        return {"view": view, "view_id": view_id}


class UsersView(View):
    """The admin's list of users: the email each page walked so far starts after."""

    key: ClassVar[str] = "users"
    starts: list[str | None] = [None]
    next: str | None = None


# --- the reviews list ----------------------------------------------------------------------

ReviewCursor = tuple[datetime, str]


class Rating(StrEnum):
    LOW = "le3"
    ONE = "1"
    TWO = "2"
    THREE = "3"
    FOUR = "4"
    FIVE = "5"
    ALL = "all"


class Answered(StrEnum):
    ANY = "any"
    NO = "no"
    YES = "yes"


class ComplaintState(StrEnum):
    OPEN = "open"
    NOT_SENT = "not_sent"
    DRAFT = "draft"
    SENT = "sent"
    APPROVED = "approved"
    REJECTED = "rejected"
    ALL = "all"


class Days(StrEnum):
    ANY = "0"
    WEEK = "7"
    MONTH = "30"
    QUARTER = "90"


class ActiveOnly(StrEnum):
    ON = "on"
    OFF = "off"


OPTIONS: dict[FilterField, tuple[str, type[StrEnum]]] = {
    FilterField.RATING: ("rating", Rating),
    FilterField.ANSWERED: ("answered", Answered),
    FilterField.COMPLAINT: ("complaint", ComplaintState),
    FilterField.DAYS: ("days", Days),
    FilterField.ACTIVE: ("active", ActiveOnly),
}
"""The reviews filter's option fields in button order: field name and its values."""


class ReviewListFilter(BaseModel):
    model_config = ConfigDict(extra="ignore")

    rating: Rating = Field(Rating.LOW, validation_alias=_alias("rating", "r"))
    answered: Answered = Field(Answered.ANY, validation_alias=_alias("answered", "a"))
    complaint: ComplaintState = Field(
        ComplaintState.OPEN, validation_alias=_alias("complaint", "c")
    )
    days: Days = Field(Days.ANY, validation_alias=_alias("days", "d"))
    active: ActiveOnly = Field(ActiveOnly.ON, validation_alias=_alias("active", "act"))
    product_id: str | None = Field(None, validation_alias=_alias("product_id", "p"))

    def option(self, field: FilterField) -> str:
        return str(getattr(self, OPTIONS[field][0]))

    def with_option(self, field: FilterField, value: str) -> ReviewListFilter | None:
        """This filter with one option changed, or None when the option has no such value."""
        name, values = OPTIONS[field]
        if value not in {v.value for v in values}:
            return None
        return self.model_copy(update={name: values(value)})

    def query(self, now: datetime | None = None) -> ReviewFilter:
        statuses: tuple[str, ...] | None
        if self.complaint == ComplaintState.OPEN:
            statuses = ("not_sent", "draft")
        elif self.complaint == ComplaintState.SENT:
            statuses = ("sent", "pending")
        elif self.complaint == ComplaintState.ALL:
            statuses = None
        else:
            statuses = (self.complaint.value,)
        ratings: tuple[int, ...] | None
        if self.rating == Rating.LOW:
            ratings = (1, 2, 3)
        elif self.rating == Rating.ALL:
            ratings = None
        else:
            ratings = (int(self.rating),)
        return ReviewFilter(
            ratings=ratings,
            answered={Answered.ANY: None, Answered.NO: False, Answered.YES: True}[self.answered],
            complaint_statuses=statuses,
            product_id=self.product_id,
            active_products_only=self.active == ActiveOnly.ON,
            date_from=days_back(int(self.days), now),
        )


def days_back(days: int, now: datetime | None = None) -> datetime | None:
    """ "The last N days": from Moscow midnight N days back, computed when the page is fetched
    (a list kept open past midnight moves with the date)."""
    if not days:
        return None
    today = (now or datetime.now(UTC)).astimezone(MSK).date()
    start = today - timedelta(days=days)
    return datetime.combine(start, time(), tzinfo=MSK)


class ReviewListView(StoreView[ReviewCursor]):
    kind: Literal["rv"] = Field("rv", validation_alias=_alias("kind", "k"))
    filter: ReviewListFilter = Field(
        default_factory=ReviewListFilter, validation_alias=_alias("filter", "f")
    )
    product_query: str = Field("", validation_alias=_alias("product_query", "pq"))
    """The search typed in the product filter."""


class ProductFilterForm(View):
    """The product filter's search prompt: which reviews list it belongs to."""

    key: ClassVar[str] = "product_view"
    view_id: str


# --- the complaint queue -------------------------------------------------------------------


class QueueTab(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    DONE = "done"

    @property
    def statuses(self) -> tuple[str, ...]:
        return {
            QueueTab.DRAFT: ("draft",),
            QueueTab.SENT: ("sent", "pending"),
            QueueTab.DONE: ("approved", "rejected"),
        }[self]


class ComplaintQueueView(StoreView[ReviewCursor]):
    kind: Literal["cq"] = Field("cq", validation_alias=_alias("kind", "k"))
    tab: QueueTab = Field(QueueTab.DRAFT, validation_alias=_alias("tab", "t"))


# --- products ------------------------------------------------------------------------------

ProductCursor = tuple[str, str]
"""(vendor code, id) of the last product on a page."""


class ProductListView(StoreView[ProductCursor]):
    kind: Literal["pd"] = Field("pd", validation_alias=_alias("kind", "k"))
    store_id: str = Field(validation_alias=_alias("store_id", "s", "store"))
    query: str = Field("", validation_alias=_alias("query", "q"))
    select_mode: bool = Field(False, validation_alias=_alias("select_mode", "mode"))
    selected: list[str] = Field(default_factory=list, validation_alias=_alias("selected", "sel"))
    page_ids: list[str] = []
    """The products shown on this page ("select the page")."""
