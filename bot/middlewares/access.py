"""Every id a button carries is checked against the person's role on its store before the
handler runs: one middleware, `Access`, configured per router with a table of `Guard`s.

A guard says which presses it covers and which id of the press it checks (`field`), what
that id is (a store, or an object `Members.object_role` resolves to its store: review,
complaint, chat, question, product, autoreply), whether the press needs the owner, what
the handler is handed (`hand_on`) and what runs after it (`after`). `Access` is an inner
middleware of a router's `callback_query`, so it runs after the filters unpacked
`callback_data` (and `ViewOf` found the list `view`), before the handler. The first guard
that covers a press decides; a press no guard covers goes through unchecked. An id that does
not exist and one of someone else's store get the same refusal, so a forged id learns nothing.

The tables (`STORES`, `STORE_LISTS` for the reviews, complaints and products routers, `CHATS`,
`QUESTIONS`, `AUTOREPLIES`, `AI_SETTINGS`) are at the end of this module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, TelegramObject
from aiogram_i18n import I18nContext

from bot.callbacks import (
    AIAction,
    AICb,
    BatchCb,
    ChatBoardCb,
    ChatCb,
    ChatListCb,
    ComplaintAction,
    ComplaintCb,
    PickStoreCb,
    PublishCb,
    ReviewAction,
    ReviewCb,
    StoreAction,
    StoreCb,
    decode_chat_id,
)
from bot.keyboards.autoreplies import AutoAction, AutoCb, AutoReplyCb, ExcludeCb
from bot.keyboards.questions import QListCb, QPublishCb, QuestionCb
from bot.ui import answer
from bot.views.lists import StoreView, needs_recount
from services.members import Members

Names = Callable[[Any, dict[str, Any]], str | None]
"""The id a press names (`callback_data`, the handler data), or None: not this guard's press."""

After = Callable[[Any, str, dict[str, Any]], Awaitable[None]]
"""Run after the handler with the press, its store and the handler data."""

HandOn = Callable[[str, str, dict[str, Any]], Awaitable[bool]]
"""Run before the handler with the store, the role and the handler data: puts what the
handler takes into its data; False refuses the press (the object went meanwhile)."""


def field(
    cb_type: Any,
    name: str,
    *,
    when: Callable[[Any], bool] | None = None,
    decode: Callable[[str], str] = str,
) -> Names:
    """The id in `callback_data.<name>` of a press of `cb_type` (and `when` it holds)."""

    def names(cb: Any, data: dict[str, Any]) -> str | None:
        if not isinstance(cb, cb_type) or (when is not None and not when(cb)):
            return None
        return decode(str(getattr(cb, name)))

    return names


def keep_as(name: str) -> HandOn:
    """Hand the store id to the handler as `name`."""

    async def keep(store: str, role: str, data: dict[str, Any]) -> bool:
        data[name] = store
        return True

    return keep


def _never(cb: Any) -> bool:
    return False


def _always(cb: Any) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Guard:
    """One kind of press: the id it names, what that id is, and who may press it."""

    names: Names
    kind: str = "store"
    """What the id is: "store"; "store_row", a store whose row and role the handler takes as
    `store` and `role` (read with the check, one statement); or an entity `Members.object_role`
    resolves to its store (and the role on it, one statement)."""
    owner_only: Callable[[Any], bool] = _never
    hand_on: HandOn | None = None
    after: After | None = None


class Access(BaseMiddleware):
    """The guards of one router, and the text keys of its refusals (alerts): `refusal` for an
    id that is not there or not theirs, `owner_refusal` (default: the same) for a manager's
    press of an owner's button."""

    def __init__(self, *guards: Guard, refusal: str, owner_refusal: str = "") -> None:
        self.guards = guards
        self.refusal = refusal
        self.owner_refusal = owner_refusal or refusal

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        cb = data.get("callback_data")
        for guard in self.guards:
            object_id = guard.names(cb, data)
            if object_id is not None:
                break
        else:
            return await handler(event, data)
        refusal, store = await self.check(guard, cb, object_id, data)
        if refusal:
            i18n: I18nContext = data["i18n"]
            if isinstance(event, CallbackQuery):
                await answer(event, i18n.get(refusal), alert=True)
            return None
        result = await handler(event, data)
        if guard.after is not None:
            await guard.after(cb, store, data)
        return result

    async def check(
        self, guard: Guard, cb: Any, object_id: str, data: dict[str, Any]
    ) -> tuple[str, str]:
        """('', the store the press acts on) if this person may press it, else (the text key
        of the refusal, '')."""
        members: Members = data["members"]
        user = data.get("user")
        user_id = user.id if user is not None else None
        if guard.kind == "store":
            store, role = object_id, await members.role(user_id, object_id)
        elif guard.kind == "store_row":  # the handler takes the row: read with the role
            with_row = await members.store_and_role(user_id, object_id)
            store, role = (object_id, with_row[1]) if with_row else ("", None)
            if with_row:
                data["store"], data["role"] = with_row
        else:  # the object's store and the role on it, one round trip
            found = await members.object_role(user_id, guard.kind, object_id)
            store, role = found if found is not None else ("", None)
        if not store or role is None:
            return self.refusal, ""
        if guard.owner_only(cb) and role != "owner":
            return self.owner_refusal, ""
        if guard.hand_on is not None and not await guard.hand_on(store, role, data):
            return self.refusal, ""
        return "", store


# --- the tables -----------------------------------------------------------------------------

KEEPS_COUNTS: frozenset[str] = frozenset(
    {
        ReviewAction.OPEN,
        ReviewAction.EDIT,
        ReviewAction.DRAFT,
        ReviewAction.REGENERATE,
        ComplaintAction.OPEN,
        ComplaintAction.REASONS,
        ComplaintAction.EDIT,
        ComplaintAction.REGENERATE,
        ComplaintAction.SET_REASON,
    }
)
"""Review and complaint buttons that change nothing a list filters on (open, reasons, edit
prompts, reply drafts, a new complaint variant or reason); the others (a complaint drafted,
filed, judged or discarded, a reply published) may, so the store's lists count again."""


async def _recount(cb: Any, store: str, data: dict[str, Any]) -> None:
    """After a button that may change a store's reviews or complaints, the person's open
    lists of that store count again when shown next ("Найдено 55" with 54 left, else)."""
    state: FSMContext | None = data.get("state")
    if state is not None and cb.action not in KEEPS_COUNTS:
        await needs_recount(state, store)


def _list_view(cb: Any, data: dict[str, Any]) -> str | None:
    """A list page or filter press: the store of the list `view` that `ViewOf` found."""
    view = data.get("view")
    return view.store_id if isinstance(view, StoreView) else None


OWNER_ACTIONS: frozenset[str] = frozenset(
    {
        StoreAction.RENAME,
        StoreAction.TOKEN,
        StoreAction.PAUSE,
        StoreAction.RESUME,
        StoreAction.DELETE,
        StoreAction.DELETE_CONFIRMED,
        StoreAction.MANAGERS,
        StoreAction.INVITE,
        StoreAction.REMOVE_MANAGER,
    }
)
"""Store buttons only the owner may press (name, token, status, team); managers view and sync."""


STORES = (
    Guard(
        field(StoreCb, "store_id", when=lambda cb: cb.action != "add"),
        "store_row",
        owner_only=lambda cb: cb.action in OWNER_ACTIONS,
    ),
)
"""The stores router: a store's card and its actions (`store`, `role` handed on)."""

STORE_LISTS = (
    Guard(field(ReviewCb | PublishCb, "review_id"), "review", after=_recount),
    Guard(field(ComplaintCb, "complaint_id"), "complaint", after=_recount),
    Guard(field(PickStoreCb | BatchCb, "store_id")),
    Guard(_list_view),
)
"""The reviews, complaints and products routers: cards, store picks, batches and list pages."""

CHATS = (
    Guard(field(ChatCb, "chat", decode=decode_chat_id), "chat", hand_on=keep_as("chat_store")),
    Guard(field(ChatBoardCb, "store", when=lambda cb: bool(cb.store))),
    Guard(field(StoreCb, "store_id")),
    Guard(
        field(ChatListCb, "arg", when=lambda cb: cb.arg not in ("", "=") and not cb.arg.isdigit())
    ),
)
"""A chat (its store handed on as `chat_store`), a store's board or list; '' is all stores."""

AUTOREPLY_READ_ONLY = frozenset({AutoAction.OPEN, AutoAction.SHADOW, AutoAction.QUEUE})

QUESTIONS = (
    Guard(field(QuestionCb | QPublishCb, "question_id"), "question"),
    Guard(field(QListCb, "store_id")),
)

AUTOREPLIES = (
    Guard(field(AutoCb, "store_id"), owner_only=lambda cb: cb.action not in AUTOREPLY_READ_ONLY),
    Guard(field(ExcludeCb, "product_id"), "product", owner_only=_always),
    Guard(field(AutoReplyCb, "review_id"), "autoreply"),
)
"""Settings need the store's owner (looking at them does not); a reply's buttons need anyone
who works the store."""

AI_STORE_ACTIONS = frozenset(
    {AIAction.INSTRUCTIONS, AIAction.INSTRUCTIONS_EDIT, AIAction.INSTRUCTIONS_CLEAR}
)

AI_SETTINGS = (
    Guard(field(AICb, "arg", when=lambda cb: cb.action in AI_STORE_ACTIONS), owner_only=_always),
)
"""A store's AI instructions are its owner's to see and set."""
