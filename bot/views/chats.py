"""Rendering of the chat screens: the board, a column page, the chat card. Every text from a
buyer or WB goes through `clip`/`esc`; every line has a budget so a card fits one message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from aiogram_i18n import I18nContext
from pydantic import Field

from bot.callbacks import ChatCol
from bot.render import clip, esc, fmt_date, stars
from bot.views.lists import View
from bot.views.sequences import schedule_text
from services.ai.guard import describe_problems
from services.chats.service import Board, ChatCard, ChatStatus, ColumnPage
from services.sequences import Plan, StopReason

COL_OF: dict[ChatStatus, ChatCol] = {
    ChatStatus.INBOX: ChatCol.INBOX,
    ChatStatus.IN_PROGRESS: ChatCol.IN_PROGRESS,
    ChatStatus.AWAITING_REPLY: ChatCol.AWAITING,
    ChatStatus.RESOLVED: ChatCol.RESOLVED,
    ChatStatus.CLOSED: ChatCol.CLOSED,
}
STATUS_OF: dict[ChatCol, ChatStatus] = {v: k for k, v in COL_OF.items()}


class ChatListView(View):
    """A column list a person has open (FSM data `chat_list`): scope, filter and the cursors
    of the pages before the current one (ISO time and chat id)."""

    key: ClassVar[str] = "chat_list"

    store: str = ""
    col: ChatCol = ChatCol.INBOX
    tag: str | None = None
    product: str | None = None
    waiting: bool = False
    cursors: list[tuple[str, str]] = Field(default_factory=list)
    """Cursor of each page shown so far; the last one is the current page's (empty: first)."""

    def current(self) -> tuple[datetime, str] | None:
        if not self.cursors or not self.cursors[-1][0]:
            return None
        at, chat_id = self.cursors[-1]
        return datetime.fromisoformat(at), chat_id


class OlderMessages(View):
    """The chat card shows messages older than this one (FSM data `chat_older`)."""

    key: ClassVar[str] = "chat_older"
    chat: str
    at: datetime
    id: str


MESSAGE_ALONE = 250
MESSAGE_WITH_DRAFT = 120
"""Characters of each of the card's 10 messages: with a draft (up to 1000) the card still
fits one Telegram message."""


def col_name(i18n: I18nContext, status: ChatStatus) -> str:
    return str(i18n.get(f"ch-col-{status.value}"))


def tag_name(i18n: I18nContext, tag: str) -> str:
    return str(i18n.get(f"ch-tag-{tag}"))


def age(i18n: I18nContext, when: datetime, now: datetime | None = None) -> str:
    seconds = max(0, int(((now or datetime.now(UTC)) - when).total_seconds()))
    if seconds < 3600:
        return str(i18n.get("ch-age-min", n=max(1, seconds // 60)))
    if seconds < 86400:
        return str(i18n.get("ch-age-hour", n=seconds // 3600))
    return str(i18n.get("ch-age-day", n=seconds // 86400))


def render_board(i18n: I18nContext, board: Board, scope: str) -> str:
    lines = [str(i18n.get("ch-board-title", scope=clip(scope, 60)))]
    if not sum(board.counts.values()):
        lines += ["", str(i18n.get("ch-board-empty"))]
    return "\n".join(lines)


def render_list(i18n: I18nContext, view: ChatListView, page: ColumnPage, scope: str) -> str:
    status = STATUS_OF[view.col]
    out = [str(i18n.get("ch-list-title", column=col_name(i18n, status), scope=clip(scope, 60)))]
    filters = []
    if view.waiting:
        filters.append(str(i18n.get("ch-filter-waiting")))
    if view.tag:
        filters.append(tag_name(i18n, view.tag))
    if view.product:
        filters.append(f"nmId {esc(view.product)}")
    out.append(
        str(
            i18n.get(
                "ch-list-filters",
                filters=", ".join(filters) if filters else str(i18n.get("ch-list-no-filters")),
            )
        )
    )
    out.append("")
    if not page.lines:
        out.append(str(i18n.get("ch-list-empty")))
    for n, line in enumerate(page.lines, 1):
        out.append(
            str(
                i18n.get(
                    "ch-list-line",
                    n=n,
                    buyer=clip(line.client_name or "—", 40),
                    product=clip(line.product or "—", 40),
                    age=age(i18n, line.activity),
                    tag=tag_name(i18n, line.tag),
                    preview=clip(line.preview, 120),
                )
            )
        )
    return "\n".join(out)


def render_card(i18n: I18nContext, card: ChatCard) -> str:
    out = [
        str(
            i18n.get(
                "ch-card-title",
                buyer=clip(card.client_name or "—", 60),
                store=clip(card.store_name, 60),
            )
        )
    ]
    if card.product_name or card.nm_id:
        price = str(i18n.get("ch-card-price", price=card.price)) if card.price else "—"
        out.append(
            str(
                i18n.get(
                    "ch-card-product",
                    name=clip(card.product_name or "—", 80),
                    article=clip(card.vendor_code or "—", 40),
                    nm=esc(card.nm_id or "—"),
                    price=price,
                )
            )
        )
    else:
        out.append(str(i18n.get("ch-card-no-product")))
    if card.review is not None:
        out.append(
            str(
                i18n.get(
                    "ch-card-review",
                    stars=stars(card.review.rating),
                    date=fmt_date(card.review.date, with_time=False),
                    text=clip(card.review.text, 200),
                )
            )
        )
    else:
        out.append(str(i18n.get("ch-card-no-review")))
    out.append(
        str(
            i18n.get(
                "ch-card-status",
                status=col_name(i18n, card.status),
                tag=tag_name(i18n, card.tag),
            )
        )
    )
    if card.status is ChatStatus.CLOSED and card.completion_reason:
        reason = str(i18n.get(f"ch-reason-{card.completion_reason}"))
        out.append(str(i18n.get("ch-card-closed", reason=reason)))
    if card.rules is not None:
        comp = (
            str(
                i18n.get(
                    "ch-card-comp-on",
                    type=clip(card.rules.compensation_type or "—", 40),
                    max=clip(card.rules.max_compensation or "—", 20),
                )
            )
            if card.rules.offer_compensation
            else str(i18n.get("ch-card-comp-off"))
        )
        out.append(
            str(
                i18n.get(
                    "ch-card-rules",
                    strategy=str(i18n.get(f"ch-strategy-{card.rules.chat_strategy}")),
                    comp=comp,
                )
            )
        )
    else:
        out.append(str(i18n.get("ch-card-no-rules")))
    if card.sequence:
        nxt = card.sequence.get("next_send_at")
        out.append(
            str(
                i18n.get(
                    "ch-card-sequence",
                    step=int(card.sequence.get("current_step") or 0),
                    max=int(card.sequence.get("max_steps") or 0),
                    next=fmt_date(nxt) if isinstance(nxt, datetime) else "—",
                )
            )
        )
    elif card.ended_sequence and card.ended_sequence.get("stop_reason") in STOP_REASONS:
        reason = str(card.ended_sequence["stop_reason"])
        out.append(
            str(i18n.get("ch-card-sequence-ended", reason=i18n.get(f"ch-seq-reason-{reason}")))
        )
    out += ["", str(i18n.get("ch-card-messages"))]
    if card.older:
        out.append(str(i18n.get("ch-card-older")))
    if not card.messages:
        out.append(str(i18n.get("ch-card-no-messages")))
    per_message = MESSAGE_WITH_DRAFT if card.draft else MESSAGE_ALONE
    for m in card.messages:
        text = clip(m.text, per_message) if m.text else ""
        if m.has_file:
            text = (text + " " if text else "") + str(i18n.get("ch-msg-file"))
        who = str(i18n.get(f"ch-who-{m.sender if m.sender in ('client', 'seller') else 'wb'}"))
        out.append(str(i18n.get("ch-msg", when=fmt_date(m.timestamp), who=who, text=text or "—")))
    if card.draft:
        out += ["", str(i18n.get("ch-card-draft", text=clip(card.draft, 1100)))]
        if card.draft_problems:
            problems = "; ".join(describe_problems(card.draft_problems))
            out.append(str(i18n.get("ch-card-draft-problems", problems=esc(problems))))
    if not card.has_sign:
        out.append(str(i18n.get("ch-card-no-sign")))
    if card.send_state == "unknown":
        out.append(str(i18n.get("ch-card-send-unknown")))
    return "\n".join(out)


STOP_REASONS = frozenset(r.value for r in StopReason)


def follow_up_text(i18n: I18nContext, card: ChatCard, plans: list[Plan]) -> str:
    """The start screen of follow-ups: the schedule of the set the linked review's stars
    chose, or of both sets when the chat has no linked review (the person picks)."""
    out = [str(i18n.get("ch-follow-title", buyer=clip(card.client_name or "—", 60)))]
    if card.review is not None and len(plans) == 1:
        out.append(str(i18n.get("ch-follow-by-review", stars=stars(card.review.rating))))
    else:
        out.append(str(i18n.get("ch-follow-pick")))
    for plan in plans:
        line = schedule_text(i18n, plan)
        if len(plans) > 1:
            line = str(i18n.get(f"ch-follow-set{int(plan.set_no)}", schedule=line))
        out += ["", line]
        if plan.steps == 0:
            out.append(str(i18n.get("seq-start-err-no_messages")))
    return "\n".join(out)
