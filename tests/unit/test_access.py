"""`Access`: the one access middleware. Its guards decide which presses it checks; a press
it checks runs its handler only for someone who works the id's store (its owner where the
guard says so), and every refusal is the same alert."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import CallbackQuery, User

import bot.middlewares.access as access_mod
from bot.callbacks import ChatCb, ReviewCb, StoreCb, encode_chat_id
from bot.keyboards.autoreplies import AutoAction, AutoCb, ExcludeCb
from bot.keyboards.questions import QAction, QListAction, QListCb, QuestionCb
from bot.middlewares.access import AUTOREPLIES, CHATS, QUESTIONS, Access, Guard, field
from bot.views.lists import ReviewListView

ROLES = {("u1", "s1"): "owner", ("u2", "s1"): "manager", ("u3", "s2"): "owner"}
OBJECTS = {
    ("review", "r1"): "s1",
    ("question", "q1"): "s1",
    ("product", "p1"): "s1",
    ("chat", "1:c"): "s1",
}


class FakeMembers:
    """Stores s1 (u1 owns it, u2 manages it) and s2 (u3 owns it); objects map to stores."""

    async def store_of(self, entity: str, entity_id: str) -> str | None:
        return OBJECTS.get((entity, entity_id))

    async def role(self, user_id: str | None, store_id: str) -> str | None:
        return ROLES.get((user_id or "", store_id))

    async def object_role(
        self, user_id: str | None, entity: str, entity_id: str
    ) -> tuple[str, str] | None:
        store = await self.store_of(entity, entity_id)
        role = await self.role(user_id, store) if store else None
        return (store, role) if store and role else None

    async def store_and_role(self, user_id: str | None, store_id: str) -> tuple[str, str] | None:
        role = await self.role(user_id, store_id)
        return (f"row of {store_id}", role) if role else None


class I18n:
    def get(self, key: str, **kwargs: Any) -> str:
        return key


class Person:
    def __init__(self, user_id: str) -> None:
        self.id = user_id


QUERY = CallbackQuery(id="1", from_user=User(id=1, is_bot=False, first_name="x"), chat_instance="c")


async def press(
    middleware: Access, cb: Any, user_id: str, alerts: list[str], **extra: Any
) -> dict[str, Any] | None:
    """The handler data when the handler ran, else None."""
    ran: list[dict[str, Any]] = []

    async def handler(event: Any, data: dict[str, Any]) -> str:
        ran.append(data)
        return "done"

    data = {
        "callback_data": cb,
        "members": FakeMembers(),
        "user": Person(user_id),
        "i18n": I18n(),
        **extra,
    }
    result = await middleware(handler, QUERY, data)
    assert (result == "done") == bool(ran)
    return ran[0] if ran else None


@pytest.fixture
def alerts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []

    async def answer(query: Any, text: str | None = None, *, alert: bool = False) -> None:
        assert alert
        said.append(text or "")

    monkeypatch.setattr(access_mod, "answer", answer)
    return said


async def test_questions_guard_lists_and_cards(alerts: list[str]) -> None:
    mw = Access(*QUESTIONS, refusal="q-no-access")
    card = QuestionCb(action=QAction.OPEN, question_id="q1")
    page = QListCb(action=QListAction.NEXT, store_id="s1")
    assert await press(mw, card, "u2", alerts) is not None  # a manager works it
    assert await press(mw, page, "u1", alerts) is not None
    assert await press(mw, card, "u3", alerts) is None  # another owner's question
    assert await press(mw, QListCb(action=QListAction.OPEN, store_id="s1"), "u3", alerts) is None
    assert (
        await press(mw, QuestionCb(action=QAction.OPEN, question_id="nope"), "u1", alerts) is None
    )
    assert alerts == ["q-no-access"] * 3


async def test_autoreply_settings_need_the_owner_to_change(alerts: list[str]) -> None:
    mw = Access(*AUTOREPLIES, refusal="ar-no-access")
    look = AutoCb(action=AutoAction.OPEN, store_id="s1")
    change = AutoCb(action=AutoAction.MODE5, store_id="s1")
    assert await press(mw, look, "u2", alerts) is not None
    assert await press(mw, change, "u2", alerts) is None
    assert await press(mw, change, "u1", alerts) is not None
    assert await press(mw, ExcludeCb(product_id="p1"), "u2", alerts) is None
    assert await press(mw, ExcludeCb(product_id="p1"), "u1", alerts) is not None
    assert await press(mw, look, "u3", alerts) is None
    assert alerts == ["ar-no-access"] * 3


async def test_a_chat_hands_its_store_on_and_presses_no_guard_names_pass(
    alerts: list[str],
) -> None:
    mw = Access(*CHATS, refusal="ch-unavailable")
    chat = ChatCb(act="o", chat=encode_chat_id("1:c"), arg="")
    data = await press(mw, chat, "u2", alerts)
    assert data is not None and data["chat_store"] == "s1"
    assert await press(mw, chat, "u3", alerts) is None
    assert await press(mw, StoreCb(action="chats", store_id="s2"), "u1", alerts) is None
    assert await press(mw, ReviewCb(action="o", review_id="r1"), "u3", alerts) is not None
    assert alerts == ["ch-unavailable"] * 2


async def test_the_after_step_runs_only_after_an_allowed_handler(alerts: list[str]) -> None:
    after: list[tuple[str, str]] = []

    async def note(cb: Any, store: str, data: dict[str, Any]) -> None:
        after.append((cb.review_id, store))

    mw = Access(Guard(field(ReviewCb, "review_id"), "review", after=note), refusal="no")
    await press(mw, ReviewCb(action="o", review_id="r1"), "u3", alerts)
    assert after == [] and alerts == ["no"]
    await press(mw, ReviewCb(action="o", review_id="r1"), "u1", alerts)
    assert after == [("r1", "s1")]


async def test_a_list_page_is_checked_on_its_views_store(alerts: list[str]) -> None:
    mw = Access(*access_mod.STORE_LISTS, refusal="rv-unavailable")
    view = ReviewListView.model_validate({"store_id": "s1"})
    assert await press(mw, None, "u1", alerts, view=view) is not None
    assert await press(mw, None, "u3", alerts, view=view) is None
    assert await press(mw, None, "u3", alerts) is not None  # no view, no id: nothing to check


async def test_a_store_button_hands_on_the_row_and_owner_buttons_need_the_owner(
    alerts: list[str],
) -> None:
    mw = Access(*access_mod.STORES, refusal="unavailable", owner_refusal="owner-only")
    card = StoreCb(action="open", store_id="s1")
    data = await press(mw, card, "u2", alerts)
    assert data is not None and (data["store"], data["role"]) == ("row of s1", "manager")
    assert await press(mw, StoreCb(action="ren", store_id="s1"), "u2", alerts) is None
    assert await press(mw, StoreCb(action="ren", store_id="s1"), "u1", alerts)
    assert await press(mw, card, "u3", alerts) is None
    assert await press(mw, StoreCb(action="add", store_id=""), "u3", alerts) is not None
    assert alerts == ["owner-only", "unavailable"]
