"""Screen state in FSM data goes through `load_view`/`save_view`: a person's state saved by
older code still opens their list, and a broken or unknown dict reads as "no view"."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage

from bot.callbacks import FilterField, ListGo
from bot.routers.products import _current
from bot.views.chats import ChatListView
from bot.views.lists import (
    ComplaintQueueView,
    ProductListView,
    QueueTab,
    Rating,
    ReviewListFilter,
    ReviewListView,
    last_view,
    load_view,
    needs_recount,
    save_view,
)


def fsm() -> FSMContext:
    return FSMContext(storage=MemoryStorage(), key=StorageKey(bot_id=1, chat_id=7, user_id=7))


OLD_REVIEWS = {
    "k": "rv",
    "s": "store-1",
    "f": {"r": "2", "a": "no", "c": "sent", "d": "7", "act": "off", "p": "prod-1"},
    "n": 12,
    "starts": [None, ["2024-03-01T10:00:00+00:00", "rev-5"]],
    "pg": 1,
    "next": ["2024-02-01T10:00:00+00:00", "rev-10"],
    "pq": "плед",
}


async def test_a_list_saved_with_one_letter_keys_still_opens() -> None:
    state = fsm()
    await state.update_data({"views": {"abc123": OLD_REVIEWS}, "last_rv": "abc123"})
    view = await load_view(state, ReviewListView, "abc123")
    assert view is not None
    assert (view.store_id, view.total, view.page, view.product_query) == ("store-1", 12, 1, "плед")
    assert view.filter.rating is Rating.TWO and view.filter.product_id == "prod-1"
    assert view.after == (datetime(2024, 3, 1, 10, tzinfo=UTC), "rev-5")
    assert view.filter.query().ratings == (2,) and view.filter.query().answered is False
    view.turn(ListGo.PREV)
    await save_view(state, view, "abc123")
    again = await load_view(state, ReviewListView, "abc123")
    assert again is not None and again.page == 0 and again.filter == view.filter
    assert await last_view(state, "rv") == "abc123"


async def test_an_old_action_marks_old_and_new_views_for_a_recount() -> None:
    state = fsm()
    new_id = await save_view(state, ComplaintQueueView(store_id="store-1", total=3))
    await state.update_data(
        {"views": {**(await state.get_data())["views"], "old": OLD_REVIEWS | {"k": "rv"}}}
    )
    await needs_recount(state, "store-1")
    queue = await load_view(state, ComplaintQueueView, new_id)
    reviews = await load_view(state, ReviewListView, "old")
    assert queue is not None and queue.total is None and queue.tab is QueueTab.DRAFT
    assert reviews is not None and reviews.total is None


async def test_broken_or_other_views_read_as_none() -> None:
    state = fsm()
    await state.update_data(
        {
            "views": {
                "nostore": {"k": "rv"},
                "badfilter": OLD_REVIEWS | {"f": {"r": "9"}},
                "queue": {"k": "cq", "s": "store-1", "t": "gone"},
                "text": "not a dict",
            },
            "chat_list": {"col": "nonsense"},
        }
    )
    for view_id in ("nostore", "badfilter", "text", "missing"):
        assert await load_view(state, ReviewListView, view_id) is None
    assert await load_view(state, ReviewListView, "queue") is None  # another kind
    assert await load_view(state, ComplaintQueueView, "queue") is None  # an unknown tab
    assert await load_view(state, ChatListView) is None
    await state.update_data({"views": "garbage"})
    assert await load_view(state, ReviewListView, "nostore") is None


async def test_the_old_products_dict_becomes_a_product_list_of_the_same_store() -> None:
    state = fsm()
    old = {"store": "store-1", "stack": [None], "cur": ["PL-08", "p8"], "sel": ["p1"], "q": "x"}
    await state.update_data({"products": old})
    current = await _current(state)
    assert current is not None
    view_id, view = current
    assert isinstance(view, ProductListView)
    assert (view.store_id, view.query, view.selected, view.page) == ("store-1", "x", ["p1"], 0)
    assert (await state.get_data())["products"] is None
    again = await _current(state)
    assert again is not None and again[0] == view_id and again[1].store_id == "store-1"
    await state.update_data({"products": {"sel": 5}, "views": {}})
    assert await _current(state) is None


def test_a_filter_option_takes_only_its_own_values() -> None:
    f = ReviewListFilter()
    assert f.with_option(FilterField.RATING, "5") == ReviewListFilter(rating=Rating.FIVE)
    assert f.with_option(FilterField.RATING, "yes") is None
    assert f.option(FilterField.COMPLAINT) == "open" and f.option(FilterField.ACTIVE) == "on"
