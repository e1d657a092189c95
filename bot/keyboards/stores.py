"""Keyboards of the stores section: list, card, delete confirmation, managers."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.callbacks import MenuCb, StatsAction, StatsCb, StoreCb
from bot.keyboards.menu import back_to_menu
from db.models import StoreRow
from services.members import Role


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
            text=store_label(store, role), callback_data=StoreCb(action="open", store_id=store.id)
        )
    kb.button(text=i18n.get("stores-btn-add"), callback_data=StoreCb(action="add", store_id=""))
    kb.adjust(1)
    kb.row(back_to_menu(i18n))
    return kb.as_markup()


def store_card(i18n: I18nContext, store: StoreRow, role: Role) -> InlineKeyboardMarkup:
    """Managers see "sync now" only; the owner also gets token, team and lifecycle buttons."""
    kb = InlineKeyboardBuilder()
    sid = store.id
    kb.button(text=i18n.get("stores-btn-sync"), callback_data=StoreCb(action="sync", store_id=sid))
    kb.button(
        text=i18n.get("stores-btn-stats"),
        callback_data=StatsCb(action=StatsAction.OPEN, store_id=sid),
    )
    sizes = [1, 1]
    if role == "owner":
        kb.button(
            text=i18n.get("stores-btn-rename"), callback_data=StoreCb(action="ren", store_id=sid)
        )
        kb.button(
            text=i18n.get("stores-btn-token"), callback_data=StoreCb(action="tok", store_id=sid)
        )
        if store.is_active:
            kb.button(
                text=i18n.get("stores-btn-pause"),
                callback_data=StoreCb(action="pause", store_id=sid),
            )
        else:
            kb.button(
                text=i18n.get("stores-btn-resume"),
                callback_data=StoreCb(action="resume", store_id=sid),
            )
        kb.button(
            text=i18n.get("stores-btn-managers"),
            callback_data=StoreCb(action="mgrs", store_id=sid),
        )
        kb.button(
            text=i18n.get("stores-btn-delete"), callback_data=StoreCb(action="del", store_id=sid)
        )
        sizes += [2, 2, 1]
    kb.button(text=i18n.get("stores-btn-list"), callback_data=MenuCb(section="stores"))
    sizes.append(1)
    kb.adjust(*sizes)
    return kb.as_markup()


def to_card(i18n: I18nContext, store_id: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=i18n.get("stores-btn-card"), callback_data=StoreCb(action="open", store_id=store_id)
    )
    return kb.as_markup()


def after_add(i18n: I18nContext, store_id: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=i18n.get("stores-btn-sync"), callback_data=StoreCb(action="sync", store_id=store_id)
    )
    kb.button(
        text=i18n.get("stores-btn-open"), callback_data=StoreCb(action="open", store_id=store_id)
    )
    kb.adjust(1)
    return kb.as_markup()


def confirm_delete(i18n: I18nContext, store_id: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=i18n.get("stores-btn-delete-yes"),
        callback_data=StoreCb(action="delok", store_id=store_id),
    )
    kb.button(
        text=i18n.get("stores-btn-delete-no"),
        callback_data=StoreCb(action="open", store_id=store_id),
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
            callback_data=StoreCb(action="rmm", store_id=store_id, arg=manager_key(user_id)),
        )
    kb.button(
        text=i18n.get("stores-btn-invite"), callback_data=StoreCb(action="inv", store_id=store_id)
    )
    kb.button(
        text=i18n.get("stores-btn-card"), callback_data=StoreCb(action="open", store_id=store_id)
    )
    kb.adjust(1)
    return kb.as_markup()


def to_list(i18n: I18nContext) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=i18n.get("stores-btn-list"), callback_data=MenuCb(section="stores"))
    return kb.as_markup()
