"""Callback data factories. Telegram allows 64 bytes; ids here are at most 36 characters.

Callback data is never trusted: every handler re-checks that the object belongs to a store
the person may act on (services/members.py). Values must not contain ':' (aiogram's
separator).
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

# Actions keep the one- to five-letter values of earlier releases, so buttons already sent
# keep working; a value outside its enum does not parse (the stale-button answer).


class ReviewAction(StrEnum):
    OPEN = "o"
    DRAFT = "rd"
    REGENERATE = "rg"
    EDIT = "re"
    PUBLISH_OLD = "rp"
    PUBLISH_CONFIRMED_OLD = "rpc"
    COMPLAINT = "cd"


class PublishAction(StrEnum):
    PUBLISH = "rp"
    CONFIRMED = "rpc"


class ComplaintAction(StrEnum):
    OPEN = "o"
    SENT = "s"
    REGENERATE = "g"
    EDIT = "e"
    REASONS = "rl"
    DISCARD = "d"
    OUTCOME = "m"
    SET_REASON = "rs"


class BatchAction(StrEnum):
    ASK = "ask"
    GO = "go"


class StoreAction(StrEnum):
    OPEN = "open"
    ADD = "add"
    SYNC = "sync"
    CHATS = "chats"
    RENAME = "ren"
    TOKEN = "tok"  # noqa: S105 - an action, not a secret
    PAUSE = "pause"
    RESUME = "resume"
    MANAGERS = "mgrs"
    DELETE = "del"
    DELETE_CONFIRMED = "delok"
    INVITE = "inv"
    REMOVE_MANAGER = "rmm"


class ListGo(StrEnum):
    NEXT = "n"
    PREV = "p"
    BACK = "r"
    COUNT = "c"


class AdminAction(StrEnum):
    APPROVE = "ok"
    REJECT = "no"
    APPROVE_LINK = "lok"
    REJECT_LINK = "lno"


class MenuSection(StrEnum):
    HOME = "home"
    STORES = "stores"
    REVIEWS = "reviews"
    COMPLAINTS = "complaints"
    PRODUCTS = "products"
    CHATS = "chats"
    QUESTIONS = "questions"
    SETTINGS = "settings"
    HELP = "help"


class FilterField(StrEnum):
    """A list filter's field: the complaint queue's tab, the reviews list's filters."""

    TAB = "t"
    MENU = "menu"
    PRODUCT = "p"
    PRODUCT_MENU = "pm"
    """The product filter's choices; `value` is the page ("-": the first)."""
    PRODUCT_SEARCH = "pq"
    """Ask for a search among the store's products ("-"), or clear it ("x")."""
    RESET = "reset"
    RATING = "r"
    ANSWERED = "a"
    COMPLAINT = "c"
    DAYS = "d"
    ACTIVE = "act"


class ProductAction(StrEnum):
    OPEN = "o"
    SELECT = "sel"
    TOGGLE = "t"
    CHOICE = "c"
    WORK_STATUS = "ws"
    ACTIVE = "a"
    DEFAULTS = "d"


class ProductListAction(StrEnum):
    NEXT = "n"
    PREV = "p"
    REFRESH = "r"
    SEARCH = "q"
    CLEAR_SEARCH = "qc"
    SELECT_MODE = "m"
    SELECT_PAGE = "sa"
    BULK_DEFAULTS = "bd"
    BULK_STOP = "bs"


class SettingsAction(StrEnum):
    LANGUAGE = "lang"
    THRESHOLD = "thr"
    QUIET = "quiet"


class MenuCb(CallbackData, prefix="m"):
    """Main menu sections."""

    section: MenuSection


class AdminCb(CallbackData, prefix="adm"):
    """Approve ('ok') or reject ('no') a registration."""

    action: AdminAction
    user_id: str


class StoreCb(CallbackData, prefix="st"):
    """A store action; `arg` carries a short extra value (a manager's user id, a kind)."""

    action: StoreAction
    store_id: str
    arg: str = ""


class ListCb(CallbackData, prefix="ls"):
    """Paging of a list whose filter and cursors live in FSM data under `view`."""

    view: str
    go: ListGo


class FilterCb(CallbackData, prefix="fl"):
    """Change one filter field of a list view."""

    view: str
    field: FilterField
    value: str


class ReviewCb(CallbackData, prefix="rv"):
    """A review card action. 'rp'/'rpc' are Publish buttons drawn before `PublishCb`: they
    publish nothing now (they cannot say which draft the person saw); the card is redrawn."""

    action: ReviewAction
    review_id: str


class PublishCb(CallbackData, prefix="rvp"):
    """Publish a review's draft reply: 'rp', or 'rpc' (WB did not confirm an earlier publish
    and the person checked the portal). `fp`: `services.reviews.draft_fingerprint` of the
    draft the card showed (8 hex digits); if the stored draft differs, nothing is published.
    At most 4 + 4 + 36 + 1 + 8 = 53 bytes."""

    action: PublishAction
    review_id: str
    fp: str


class ComplaintCb(CallbackData, prefix="cp"):
    action: ComplaintAction
    complaint_id: str
    arg: str = ""


class ProductCb(CallbackData, prefix="pr"):
    action: ProductAction
    product_id: str
    arg: str = ""


class SettingsCb(CallbackData, prefix="se"):
    action: SettingsAction
    value: str = ""


class PickStoreCb(CallbackData, prefix="ps"):
    """Choose the store a section works on (`section`: rv reviews, cq complaints)."""

    section: str
    store_id: str


class BatchCb(CallbackData, prefix="bd"):
    """Batch complaint drafting for a store: 'ask' (count and cost first), 'go' (confirmed)."""

    action: BatchAction
    store_id: str


class ProductListCb(CallbackData, prefix="pl"):
    """The product list of a store (view in FSM data `products`): n(ext), p(rev), r(efresh),
    q (search), qc (clear search), m (select mode), sa (select the page), bd/bs (defaults or
    stop work for the selected)."""

    action: ProductListAction


# --- buyer chats (issue 13): typed fields, chat ids encoded (`encode_chat_id`) ----------------


class ChatCol(StrEnum):
    """A Kanban column, as its one-letter code in callback data."""

    INBOX = "i"
    IN_PROGRESS = "p"
    AWAITING = "a"
    RESOLVED = "r"
    CLOSED = "c"


class ChatAct(StrEnum):
    OPEN = "o"
    OLDER = "old"
    MOVE_MENU = "mv"
    MOVE = "m"
    CLOSE_MENU = "cl"
    CLOSE = "c"
    REOPEN = "ro"
    DRAFT = "d"
    EDIT = "e"
    SEND = "s"
    SEND_AGAIN = "sc"
    TAG_MENU = "tm"
    TAG = "t"
    FOLLOW_MENU = "fm"
    """The start screen of follow-ups: the schedule, the set (`arg`: '' or a forced set)."""
    FOLLOW_START = "fs"
    """`arg`: the set, 1 or 2."""
    FOLLOW_STOP = "fx"


class ChatListAct(StrEnum):
    OPEN = "o"
    NEXT = "n"
    PREV = "p"
    WAITING = "w"
    TAG_MENU = "tm"
    TAG = "t"
    PRODUCT_MENU = "pm"
    """The product filter's choices; `value` is the page ("-": the first)."""
    PRODUCT_SEARCH = "pq"
    """Ask for a search among the store's products ("-"), or clear it ("x")."""
    PRODUCT = "pr"
    CLEAR = "x"


class ChatBoardCb(CallbackData, prefix="cbd"):
    """The board of one store (`store` = its id) or of all the person's stores (`store` '')."""

    store: str = ""


class ChatListCb(CallbackData, prefix="cls"):
    """A column list; its filter and cursors live in FSM data (`ChatListView`)."""

    act: ChatListAct
    col: ChatCol = ChatCol.INBOX
    arg: str = ""


class ChatCb(CallbackData, prefix="ch"):
    """A chat card action; `arg`: a column code, a reason or tag index, a fingerprint, or an
    encoded message cursor. At most 2 + 1 + 3 + 1 + 38 + 1 + 8 = 54 bytes."""

    act: ChatAct
    chat: str
    arg: str = ""


def encode_chat_id(chat_id: str) -> str:
    """WB's chat ids are `1:<uuid>`; ':' is aiogram's separator, so it travels as '~'."""
    return chat_id.replace(":", "~")


def decode_chat_id(value: str) -> str:
    return value.replace("~", ":")


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
