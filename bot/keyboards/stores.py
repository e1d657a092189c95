"""Keyboards of the stores section: list, card, delete confirmation, managers."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.callbacks import (
    MenuCb,
    MenuSection,
    PickStoreCb,
    StatsAction,
    StatsCb,
    StoreAction,
    StoreCb,
)
from bot.keyboards.autoreplies import AutoAction, AutoCb
from bot.keyboards.menu import back_to_menu
from bot.keyboards.questions import QListAction, QListCb
from bot.keyboards.sequences import auto_start_button
from services.members import Role
from services.records import StoreRow


def manager_key(user_id: str) -> str:
    """A manager's id short enough for callback data next to a store id (64 bytes in all).

    16 hex digits (64 bits) of the UUID: the handler resolves it among the store's own
    managers, so it can only ever name a manager of that store.
    """
    return user_id.replace("-", "")[:16]


def store_label(store: StoreRow, role: Role) -> str:
    mark = "👑" if role == "owner" else "👤"
    paused = " ⏸" if not store.is_active else ""
    return f"{mark} {store.name}{paused}"


def stores_list(i18n: I18nContext, stores: Sequence[tuple[StoreRow, Role]]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for store, role in stores:
        kb.button(
            text=store_label(store, role),
            callback_data=StoreCb(action=StoreAction.OPEN, store_id=store.id),
        )
    kb.button(
        text=i18n.get("stores-btn-add"), callback_data=StoreCb(action=StoreAction.ADD, store_id="")
    )
    kb.adjust(1)
    kb.row(back_to_menu(i18n))
    return kb.as_markup()


def store_card(i18n: I18nContext, store: StoreRow, role: Role) -> InlineKeyboardMarkup:
    """Managers see "sync now" only; the owner also gets token, team and lifecycle buttons."""
    kb = InlineKeyboardBuilder()
    sid = store.id

    def act(key: str, action: StoreAction) -> None:
        kb.button(text=i18n.get(key), callback_data=StoreCb(action=action, store_id=sid))

    act("stores-btn-sync", StoreAction.SYNC)
    act("stores-btn-chats", StoreAction.CHATS)
    # Straight to this store's lists (no store picker): reviews, complaint queue, products.
    for label, section in (
        ("menu-reviews", "rv"),
        ("menu-complaints", "cq"),
        ("menu-products", "pd"),
    ):
        kb.button(text=i18n.get(label), callback_data=PickStoreCb(section=section, store_id=sid))
    sizes = [2, 3]
    if role == "owner":
        act("stores-btn-rename", StoreAction.RENAME)
        act("stores-btn-token", StoreAction.TOKEN)
        if store.is_active:
            act("stores-btn-pause", StoreAction.PAUSE)
        else:
            act("stores-btn-resume", StoreAction.RESUME)
        act("stores-btn-managers", StoreAction.MANAGERS)
        act("stores-btn-delete", StoreAction.DELETE)
        kb.add(auto_start_button(i18n, sid, bool(store.is_auto_no_reply_enabled)))
        sizes += [2, 2, 1, 1]
    kb.button(
        text=i18n.get("menu-questions"),
        callback_data=QListCb(action=QListAction.OPEN, store_id=sid),
    )
    kb.button(
        text=i18n.get("stores-btn-stats"),
        callback_data=StatsCb(action=StatsAction.OPEN, store_id=sid),
    )
    kb.button(
        text=i18n.get("ar-btn-open"), callback_data=AutoCb(action=AutoAction.OPEN, store_id=sid)
    )
    sizes += [2, 1]
    kb.button(text=i18n.get("stores-btn-list"), callback_data=MenuCb(section=MenuSection.STORES))
    sizes.append(1)
    kb.adjust(*sizes)
    return kb.as_markup()


def to_card(i18n: I18nContext, store_id: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=i18n.get("stores-btn-card"),
        callback_data=StoreCb(action=StoreAction.OPEN, store_id=store_id),
    )
    return kb.as_markup()


def after_add(i18n: I18nContext, store_id: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=i18n.get("stores-btn-sync"),
        callback_data=StoreCb(action=StoreAction.SYNC, store_id=store_id),
    )
    kb.button(
        text=i18n.get("stores-btn-open"),
        callback_data=StoreCb(action=StoreAction.OPEN, store_id=store_id),
    )
    kb.adjust(1)
    return kb.as_markup()


def confirm_delete(i18n: I18nContext, store_id: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=i18n.get("stores-btn-delete-yes"),
        callback_data=StoreCb(action=StoreAction.DELETE_CONFIRMED, store_id=store_id),
    )
    kb.button(
        text=i18n.get("stores-btn-delete-no"),
        callback_data=StoreCb(action=StoreAction.OPEN, store_id=store_id),
    )
    kb.adjust(2)
    return kb.as_markup()


def managers(
    i18n: I18nContext, store_id: str, people: Sequence[tuple[str, str]]
) -> InlineKeyboardMarkup:
    """`people`: (user id, label) of each manager; each gets a remove button."""
    kb = InlineKeyboardBuilder()
    for user_id, label in people:
        kb.button(
            text=f"✖ {label}",
            callback_data=StoreCb(
                action=StoreAction.REMOVE_MANAGER, store_id=store_id, arg=manager_key(user_id)
            ),
        )
    kb.button(
        text=i18n.get("stores-btn-invite"),
        callback_data=StoreCb(action=StoreAction.INVITE, store_id=store_id),
    )
    kb.button(
        text=i18n.get("stores-btn-card"),
        callback_data=StoreCb(action=StoreAction.OPEN, store_id=store_id),
    )
    kb.adjust(1)
    return kb.as_markup()


def to_list(i18n: I18nContext) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=i18n.get("stores-btn-list"), callback_data=MenuCb(section=MenuSection.STORES))
    return kb.as_markup()
