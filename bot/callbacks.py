"""Callback data factories. Telegram allows 64 bytes; ids here are at most 36 characters.

Callback data is never trusted: every handler re-checks that the object belongs to a store
the person may act on (services/members.py). Values must not contain ':' (aiogram's
separator).
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class MenuCb(CallbackData, prefix="m"):
    """Main menu sections: home, stores, reviews, complaints, settings, help."""

    section: str


class AdminCb(CallbackData, prefix="adm"):
    """Approve ('ok') or reject ('no') a registration."""

    action: str
    user_id: str


class StoreCb(CallbackData, prefix="st"):
    """A store action; `arg` carries a short extra value (a manager's user id, a kind)."""

    action: str
    store_id: str
    arg: str = ""


class ListCb(CallbackData, prefix="ls"):
    """Paging of a list whose filter and cursors live in FSM data under `view`."""

    view: str
    go: str  # n(ext), p(rev), r(efresh)


class FilterCb(CallbackData, prefix="fl"):
    """Change one filter field of a list view."""

    view: str
    field: str
    value: str


class ReviewCb(CallbackData, prefix="rv"):
    """A review card action. 'rp'/'rpc' are Publish buttons drawn before `PublishCb`: they
    publish nothing now (they cannot say which draft the person saw); the card is redrawn."""

    action: str
    review_id: str


class PublishCb(CallbackData, prefix="rvp"):
    """Publish a review's draft reply: 'rp', or 'rpc' (WB did not confirm an earlier publish
    and the person checked the portal). `fp`: `services.reviews.draft_fingerprint` of the
    draft the card showed (8 hex digits); if the stored draft differs, nothing is published.
    At most 4 + 4 + 36 + 1 + 8 = 53 bytes."""

    action: str
    review_id: str
    fp: str


class ComplaintCb(CallbackData, prefix="cp"):
    action: str
    complaint_id: str
    arg: str = ""


class ProductCb(CallbackData, prefix="pr"):
    action: str
    product_id: str
    arg: str = ""


class SettingsCb(CallbackData, prefix="se"):
    action: str
    value: str = ""


class PickStoreCb(CallbackData, prefix="ps"):
    """Choose the store a section works on (`section`: rv reviews, cq complaints)."""

    section: str
    store_id: str


class BatchCb(CallbackData, prefix="bd"):
    """Batch complaint drafting for a store: 'ask' (count and cost first), 'go' (confirmed)."""

    action: str
    store_id: str


class ProductListCb(CallbackData, prefix="pl"):
    """The product list of a store (view in FSM data `products`): n(ext), p(rev), r(efresh),
    q (search), qc (clear search), m (select mode), sa (select the page), bd/bs (defaults or
    stop work for the selected)."""

    action: str


class AIAction(StrEnum):
    """AI settings screens (bot/routers/ai_settings.py)."""

    HOME = "h"
    KEY = "k"
    KEY_REMOVE = "kd"
    CONCURRENCY = "c"
    CAP = "cap"
    PROMPTS = "ps"
    PROMPT = "p"
    REPLACE = "pr"
    RESET = "prs"
    PREVIEW = "pv"
    SAVE = "psv"
    SPEND = "sp"
    STORES = "is"
    INSTRUCTIONS = "in"
    INSTRUCTIONS_EDIT = "ie"
    INSTRUCTIONS_CLEAR = "ic"
    DIGEST = "dg"


class AICb(CallbackData, prefix="ai"):
    """`arg`: a prompt kind, a store id or a number; re-checked in the handler."""

    action: AIAction
    arg: str = ""


class StatsAction(StrEnum):
    STORES = "l"
    OPEN = "o"
    CHART = "c"


class StatsCb(CallbackData, prefix="sts"):
    """A store's stats (bot/routers/stats.py); `chart` names one of `services.stats.Chart`."""

    action: StatsAction
    store_id: str = ""
    chart: str = ""
