"""Complaints: the queue per store, the complaint card and its lifecycle, batch drafting.

The state machine is ComplaintService's; here a refusal becomes a text, and a press that no
longer fits the complaint's state (twice, or an old button) shows the card as it is now.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.background import Background, Progress, is_busy
from bot.callbacks import (
    BatchAction,
    BatchCb,
    ComplaintAction,
    ComplaintCb,
    FilterCb,
    FilterField,
    ListCb,
    ListGo,
    MenuSection,
)
from bot.filters import Approved
from bot.keyboards.complaints import (
    batch_confirm_keyboard,
    queue_keyboard,
    reason_keyboard,
)
from bot.keyboards.menu import back_to_menu
from bot.middlewares.access import STORE_LISTS, Access
from bot.render import esc
from bot.routing import Handlers
from bot.ui import answer, ask, busy, show
from bot.views.ai_settings import ai_failure
from bot.views.common import clip
from bot.views.complaints import render_complaint_line
from bot.views.lists import ComplaintQueueView, QueueTab, ViewOf, pages, save_view
from bot.views.screens import list_back, show_complaint, show_review
from bot.views.sections import ListScreen, StoreList
from services.ai.errors import AIError
from services.ai.pricing import Pricing
from services.complaints import REVIEW_GATES, BatchReport, ComplaintError, ComplaintService
from services.members import Members
from services.records import UserRow
from services.reviews import ReviewService
from services.screens import Screens
from services.settings import Settings

log = logging.getLogger(__name__)

router = Handlers(name="complaints")
router.message.filter(Approved())
router.callback_query.filter(Approved())
router.callback_query.middleware(Access(*STORE_LISTS, refusal="rv-unavailable"))

PAGE_SIZE = 5
PROGRESS_EVERY = 1.0
"""Seconds between edits of the batch progress message (Telegram limits edits)."""
ESTIMATE_TOKENS = (1500, 300)
"""Prompt and completion tokens of one complaint, for the estimate before any was drafted."""

"""Stores with a batch running in this process."""
"""The running batch tasks, held so none is collected mid-run."""


class ComplaintStates(StatesGroup):
    text = State()


# --- the queue -----------------------------------------------------------------------------


async def open_queue(screen: ListScreen, store_id: str) -> None:
    view = ComplaintQueueView(store_id=store_id)
    view.total = await _recount(screen, view)
    await show_queue(screen, await save_view(screen.state, view), view)


async def show_queue(screen: ListScreen, view_id: str, view: ComplaintQueueView) -> None:
    i18n, screens, store_id, tab = screen.i18n, screen.screens, view.store_id, view.tab
    if view.total is None:  # an action changed the store's complaints since it was counted
        view.total = await _recount(screen, view)
    found = await screens.complaint_page(
        store_id, tab.statuses, after=view.after, limit=PAGE_SIZE + 1
    )
    has_next = len(found) > PAGE_SIZE
    cards = found[:PAGE_SIZE]
    view.next = cards[-1].cursor if has_next else None
    await save_view(screen.state, view, view_id)
    store_name = await screens.store_name(store_id)
    total, page = view.total, view.page
    first = page * PAGE_SIZE + 1
    lines = [
        i18n.get("cp-queue-title", store=esc(store_name)),
        i18n.get(f"cp-queue-count-{tab}", count=total),
    ]
    if cards:
        lines.append("")
        lines.extend(render_complaint_line(i18n, first + i, c) for i, c in enumerate(cards))
    else:
        lines.append(i18n.get(f"cp-queue-empty-{tab}"))
    keyboard = queue_keyboard(
        i18n,
        view_id,
        store_id,
        tab,
        cards,
        page=page,
        pages=pages(total, PAGE_SIZE),
        has_next=has_next,
        first_index=first,
        back=back_to_menu(i18n),
    )
    await show(screen.target, "\n".join(lines), keyboard)


async def _recount(screen: ListScreen, view: ComplaintQueueView) -> int:
    return await screen.screens.complaint_count(view.store_id, view.tab.statuses)


StoreList(
    section="cq",
    view=ComplaintQueueView,
    menu=MenuSection.COMPLAINTS,
    pick_text="cp-pick-store",
    open_store=open_queue,
    show_list=show_queue,
    recount=_recount,
).register(router)


@router.callback_query(FilterCb.filter(F.field == FilterField.TAB), ViewOf(ComplaintQueueView))
async def on_tab(
    query: CallbackQuery,
    callback_data: FilterCb,
    view: ComplaintQueueView,
    view_id: str,
    screen: ListScreen,
) -> None:
    if callback_data.value not in set(QueueTab):
        await answer(query, screen.i18n.get("rv-unavailable"), alert=True)
        return
    if view.tab != callback_data.value:
        view.tab = QueueTab(callback_data.value)
        view.total = await _recount(screen, view)
        view.reset_pages()
    await show_queue(screen, view_id, view)


# --- the card ------------------------------------------------------------------------------


def error_note(i18n: I18nContext, exc: ComplaintError) -> str:
    if exc.code in ("not_a_draft", "same_outcome", "not_filed"):
        return i18n.get("cp-state-changed")
    if exc.code in REVIEW_GATES:
        return i18n.get(f"cp-gate-{exc.code}")
    return i18n.get(f"cp-err-{exc.code}")


@router.callback_query(ComplaintCb.filter(F.action == ComplaintAction.OPEN))
async def on_open(
    query: CallbackQuery,
    callback_data: ComplaintCb,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
) -> None:
    await state.set_state(None)
    origin = callback_data.arg if callback_data.arg in ("rv", "cq") else None
    await show_complaint(query, state, i18n, screens, callback_data.complaint_id, origin=origin)


@router.callback_query(
    ComplaintCb.filter(
        F.action.in_(
            {
                ComplaintAction.SENT,
                ComplaintAction.REGENERATE,
                ComplaintAction.OUTCOME,
                ComplaintAction.SET_REASON,
            }
        )
    )
)
async def on_change(
    query: CallbackQuery,
    callback_data: ComplaintCb,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
    complaints: ComplaintService,
    user: UserRow,
) -> None:
    """Filed, regenerate, outcome, reason: one service call; a refusal shows the card as is."""
    cid, action = callback_data.complaint_id, callback_data.action
    answered = False
    with busy(f"complaint:{cid}") as mine:
        if not mine:
            await answer(query, i18n.get("rv-busy"))
            return
        note = ""
        try:
            if action == "s":
                # `arg`: the fingerprint of the reason and text the card showed; a button
                # drawn before buttons carried one has none and files nothing.
                await complaints.mark_sent(cid, user.id, shown=callback_data.arg)
                note = i18n.get("cp-marked-sent")
            elif action == "g":
                answered = True
                await answer(query, i18n.get("cp-drafting"))
                await complaints.regenerate(cid)
                note = i18n.get("cp-regenerated")
            elif action == "m":
                await complaints.mark_outcome(cid, callback_data.arg)
                note = i18n.get(f"cp-marked-{callback_data.arg}")
            else:
                await complaints.set_reason(cid, int(callback_data.arg or 0))
        except ComplaintError as exc:
            note = error_note(i18n, exc)
            if exc.code == "text_changed":
                old_button = not callback_data.arg
                if old_button:
                    note = i18n.get("cp-text-recheck")
                answered = True
                alert = "cp-text-recheck-alert" if old_button else "cp-text-changed-alert"
                await answer(query, i18n.get(alert), alert=True)
        except (AIError, ValueError) as exc:
            note = ai_failure(i18n, exc, "cp-ai-failed" if action == "g" else "error-generic")
        await show_complaint(query, state, i18n, screens, cid, note=note)
    if not answered:
        await answer(query)


@router.callback_query(ComplaintCb.filter(F.action == ComplaintAction.REASONS))
async def on_reasons(
    query: CallbackQuery,
    callback_data: ComplaintCb,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
) -> None:
    cid = callback_data.complaint_id
    card = await screens.complaint_card(cid)
    if card is None or card.complaint.status != "draft":
        await show_complaint(query, state, i18n, screens, cid, note=i18n.get("cp-state-changed"))
    else:
        await show(query, i18n.get("cp-pick-reason"), reason_keyboard(i18n, card.complaint))


@router.callback_query(ComplaintCb.filter(F.action == ComplaintAction.DISCARD))
async def on_discard(
    query: CallbackQuery,
    callback_data: ComplaintCb,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
    reviews: ReviewService,
    complaints: ComplaintService,
) -> None:
    cid = callback_data.complaint_id
    try:
        review_id = await complaints.discard(cid)
    except ComplaintError as exc:
        await show_complaint(query, state, i18n, screens, cid, note=error_note(i18n, exc))
    else:
        note = i18n.get("cp-discarded")
        await show_review(query, state, i18n, screens, reviews, review_id, note=note)


@router.callback_query(ComplaintCb.filter(F.action == ComplaintAction.EDIT))
async def on_edit(
    query: CallbackQuery,
    callback_data: ComplaintCb,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
) -> None:
    cid = callback_data.complaint_id
    card = await screens.complaint_card(cid)
    if card is None or card.complaint.status != "draft":
        await show_complaint(query, state, i18n, screens, cid, note=i18n.get("cp-state-changed"))
        return
    await state.set_state(ComplaintStates.text)
    await state.update_data(edit_complaint=cid)
    text = (
        i18n.get("cp-edit-prompt") + f"\n\n<code>{clip(card.complaint.complaint_text, 1200)}</code>"
    )
    await ask(query, i18n, text)


@router.message(StateFilter(ComplaintStates.text), F.text)
async def on_edit_text(
    message: Message,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
    members: Members,
    complaints: ComplaintService,
    user: UserRow,
) -> None:
    cid = str((await state.get_data()).get("edit_complaint") or "")
    if await members.may_act(user.id, "complaint", cid) is None:
        await state.set_state(None)
        await message.answer(i18n.get("rv-unavailable"))
        return
    try:
        await complaints.edit(cid, message.text or "")
    except ComplaintError as exc:
        if exc.code in ("empty_text", "too_long"):  # stay in the state: try again or /cancel
            await message.answer(i18n.get(f"cp-err-{exc.code}"))
            return
        note = error_note(i18n, exc)
    else:
        note = i18n.get("cp-edited")
    await state.set_state(None)
    await show_complaint(message, state, i18n, screens, cid, note=note)


# --- batch ---------------------------------------------------------------------------------


async def estimate(screens: Screens, settings: Settings, store_id: str, count: int) -> Decimal:
    per = await screens.average_complaint_cost(store_id)
    if per is None:
        per = Pricing.from_settings(settings).cost(*ESTIMATE_TOKENS)
    return (per * count).quantize(Decimal("0.01"))


@router.callback_query(BatchCb.filter(F.action == BatchAction.ASK))
async def on_batch_ask(
    query: CallbackQuery,
    callback_data: BatchCb,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
    complaints: ComplaintService,
    settings: Settings,
) -> None:
    store_id = callback_data.store_id
    back = await _queue_back(i18n, state)
    if is_busy(_batch_key(store_id)):
        await answer(query, i18n.get("cp-batch-running"), alert=True)
        return
    counts = await complaints.gate_counts(store_id)
    eligible = counts.get("eligible", 0)
    if not eligible:
        await show(query, i18n.get("cp-batch-none"), _one(back))
    else:
        paid = eligible - await complaints.count_templated(store_id)  # templates are free
        cost = await estimate(screens, settings, store_id, paid)
        await show(
            query,
            i18n.get("cp-batch-ask", count=eligible, cost=f"{cost}"),
            batch_confirm_keyboard(i18n, store_id, back),
        )


@router.callback_query(BatchCb.filter(F.action == BatchAction.GO))
async def on_batch_go(
    query: CallbackQuery,
    callback_data: BatchCb,
    state: FSMContext,
    i18n: I18nContext,
    complaints: ComplaintService,
    background: Background,
) -> None:
    """Start the batch and return: it runs as a task of its own (a batch takes minutes, and
    the person's next press must not wait for it), editing its progress message."""
    store_id = callback_data.store_id
    back = await _queue_back(i18n, state)
    work = _run_batch(query, i18n, complaints, store_id, back)
    if not background.start(_batch_key(store_id), work):
        await answer(query, i18n.get("cp-batch-running"))
        return
    await answer(query, i18n.get("cp-batch-started"))


def _batch_key(store_id: str) -> str:
    return f"batch:{store_id}"


async def _run_batch(
    query: CallbackQuery,
    i18n: I18nContext,
    complaints: ComplaintService,
    store_id: str,
    back: InlineKeyboardButton,
) -> None:
    message = await show(query, i18n.get("cp-batch-progress", done=0, total="…"))
    progress = Progress(message, PROGRESS_EVERY)

    def on_report(report: BatchReport) -> None:
        progress.update(i18n.get("cp-batch-progress", done=report.processed, total=report.eligible))

    try:
        report = await complaints.batch_draft(store_id, progress=on_report)
    except Exception:
        log.exception("batch drafting for store %s failed", store_id)
        await progress.settle()
        await show(query, i18n.get("cp-batch-failed"), _one(back))
        return
    await progress.settle()
    text = i18n.get(
        "cp-batch-done",
        drafted=report.drafted,
        failed=report.failed,
        templates=report.from_template,
        cost=f"{report.cost_usd.quantize(Decimal('0.0001'))}",
    )
    await show(query, text, _one(back))


async def _queue_back(i18n: I18nContext, state: FSMContext) -> InlineKeyboardButton:
    """Back to the queue, counted again (a batch changes what it holds)."""
    button = await list_back(i18n, state, "cq")
    if button is None or button.callback_data is None:
        return back_to_menu(i18n)
    view = ListCb.unpack(button.callback_data).view
    return InlineKeyboardButton(
        text=button.text, callback_data=ListCb(view=view, go=ListGo.COUNT).pack()
    )


def _one(button: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[button]])
