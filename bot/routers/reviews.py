"""Reviews: a store's list with filters and keyset pages, the review card, replies, and the
first step of a complaint. Handlers are thin: access check, one service call, one screen.

Every handler re-checks access (`Members.may_act` / `Members.role`); a forged or vanished id gets
one refusal that says nothing about whose it is.
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import StateFilter, or_f
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot.callbacks import (
    FilterCb,
    FilterField,
    MenuSection,
    PublishAction,
    PublishCb,
    ReviewAction,
    ReviewCb,
)
from bot.filters import Approved
from bot.keyboards.menu import back_to_menu
from bot.keyboards.reviews import (
    filter_keyboard,
    product_keyboard,
    review_list_keyboard,
)
from bot.middlewares.access import STORE_LISTS, Access
from bot.render import esc
from bot.routing import Handlers
from bot.ui import answer, ask, busy, show
from bot.views.ai_settings import ai_failure
from bot.views.common import clip
from bot.views.lists import (
    OPTIONS,
    ProductFilterForm,
    ReviewListFilter,
    ReviewListView,
    ViewOf,
    load_view,
    pages,
    save_view,
)
from bot.views.reviews import render_review_line
from bot.views.screens import show_complaint, show_review
from bot.views.sections import ListScreen, StoreList
from services.ai.errors import AIError
from services.complaints import ComplaintError, ComplaintService
from services.members import Members
from services.records import UserRow
from services.reviews import ReplyError, ReviewService
from services.screens import Screens

router = Handlers(name="reviews")
router.message.filter(Approved())
router.callback_query.filter(Approved())
router.callback_query.middleware(Access(*STORE_LISTS, refusal="rv-unavailable"))

PRODUCT_PAGE = 8
PAGE_SIZE = 5


TYPED_DRAFT_MAX = 2500
"""A reply typed in the bot: what the card can always show whole beside a long review (WB takes
5,000, but Publish sends only a draft the card showed)."""


class ReviewStates(StatesGroup):
    reply = State()
    product_query = State()


def describe_filter(i18n: I18nContext, f: ReviewListFilter, product: str | None) -> str:
    parts = [i18n.get(f"rv-f-{field}-{f.option(field)}") for field in OPTIONS]
    if product:
        parts.append(clip(product, 60))
    return " · ".join(parts)


# --- the list ------------------------------------------------------------------------------


async def open_store_list(screen: ListScreen, store_id: str) -> None:
    view = ReviewListView(store_id=store_id, total=await screen.screens.count(store_id))
    await show_list(screen, await save_view(screen.state, view), view)


async def show_list(screen: ListScreen, view_id: str, view: ReviewListView) -> None:
    i18n, screens, f = screen.i18n, screen.screens, view.filter
    if view.total is None:  # an action changed the store's reviews since it was counted
        view.total = await _recount(screen, view)
    store_name, found = await screens.titled_line_page(
        view.store_id, f.query(), after=view.after, limit=PAGE_SIZE + 1
    )
    has_next = len(found) > PAGE_SIZE
    shown = found[:PAGE_SIZE]
    view.next = shown[-1].cursor if has_next else None
    await save_view(screen.state, view, view_id)
    product = await screens.product_label(f.product_id) if f.product_id else None
    total, page = view.total, view.page
    first = page * PAGE_SIZE + 1
    lines = [
        i18n.get("rv-list-title", store=esc(store_name)),
        i18n.get("rv-list-filter", filter=describe_filter(i18n, f, product)),
        i18n.get("rv-list-found", count=total),
    ]
    if shown:
        lines.append("")
        lines.extend(render_review_line(i18n, first + i, r) for i, r in enumerate(shown))
    else:
        lines.append(i18n.get("rv-list-empty"))
    keyboard = review_list_keyboard(
        i18n,
        view_id,
        shown,
        page=page,
        pages=pages(total, PAGE_SIZE),
        has_next=has_next,
        first_index=first,
        back=back_to_menu(i18n),
    )
    await show(screen.target, "\n".join(lines), keyboard)


async def _recount(screen: ListScreen, view: ReviewListView) -> int:
    return await screen.screens.count(view.store_id, view.filter.query())


REVIEWS = StoreList(
    section="rv",
    view=ReviewListView,
    menu=MenuSection.REVIEWS,
    pick_text="rv-pick-store",
    open_store=open_store_list,
    show_list=show_list,
    recount=_recount,
)
REVIEWS.register(router)


@router.callback_query(FilterCb.filter(), ViewOf(ReviewListView))
async def on_filter(
    query: CallbackQuery,
    callback_data: FilterCb,
    view: ReviewListView,
    view_id: str,
    screen: ListScreen,
    members: Members,
    user: UserRow,
) -> None:
    field, value = callback_data.field, callback_data.value
    state, i18n, screens = screen.state, screen.i18n, screen.screens
    f: ReviewListFilter | None = view.filter
    if field == FilterField.MENU:
        product = (
            await screens.product_label(view.filter.product_id) if view.filter.product_id else None
        )
        await show(
            query,
            i18n.get("rv-filter-title", filter=describe_filter(i18n, view.filter, product)),
            filter_keyboard(i18n, view_id, view.filter),
        )
        return
    if field == FilterField.PRODUCT_MENU:
        page = int(value) if value.isdigit() else 0
        await show_product_filter(query, i18n, screens, view_id, view, page)
        return
    if field == FilterField.PRODUCT_SEARCH:
        if value == "x":
            view.product_query = ""
            await save_view(state, view, view_id)
            await show_product_filter(query, i18n, screens, view_id, view, 0)
        else:
            await state.set_state(ReviewStates.product_query)
            await save_view(state, ProductFilterForm(view_id=view_id))
            await ask(query, i18n, i18n.get("pd-ask-query"))
        return
    if field == FilterField.RESET:
        f = ReviewListFilter()
    elif field == FilterField.PRODUCT:
        if value != "all" and await members.may_act(user.id, "product", value) != view.store_id:
            await answer(query, i18n.get("rv-unavailable"), alert=True)
            return
        f = view.filter.model_copy(update={"product_id": None if value == "all" else value})
    elif field in OPTIONS:
        f = view.filter.with_option(field, value)
    else:
        f = None
    if f is None:
        await answer(query, i18n.get("error-stale"))
        return
    if f != view.filter:  # a new filter: count it once, start from its first page
        view.filter = f
        view.total = await screens.count(view.store_id, f.query())
        view.reset_pages()
    await show_list(screen, view_id, view)


async def show_product_filter(
    target: CallbackQuery | Message,
    i18n: I18nContext,
    screens: Screens,
    view_id: str,
    view: ReviewListView,
    page: int,
) -> None:
    """The product filter: every product of the store, a page at a time, searchable."""
    search = view.product_query
    products, has_next = await screens.filter_product_page(
        view.store_id, query=search, page=page, size=PRODUCT_PAGE
    )
    lines = [i18n.get("rv-filter-product")]
    if search:
        lines.append(i18n.get("pd-list-search", query=clip(search, 60)))
    if not products:
        lines.append(i18n.get("pd-list-empty"))
    keyboard = product_keyboard(
        i18n,
        view_id,
        products,
        view.filter.product_id,
        page=page,
        has_next=has_next,
        searching=bool(search),
    )
    await show(target, "\n".join(lines), keyboard)


@router.message(StateFilter(ReviewStates.product_query), F.text)
async def on_product_query(
    message: Message,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
    members: Members,
    user: UserRow,
) -> None:
    form = await load_view(state, ProductFilterForm)
    await state.set_state(None)
    view = await load_view(state, ReviewListView, form.view_id) if form else None
    if form is None or view is None or not await members.role(user.id, view.store_id):
        await message.answer(i18n.get("rv-unavailable"))
        return
    view.product_query = (message.text or "").strip()[:100]
    await save_view(state, view, form.view_id)
    await show_product_filter(message, i18n, screens, form.view_id, view, 0)


# --- the card ------------------------------------------------------------------------------


@router.callback_query(ReviewCb.filter(F.action == ReviewAction.OPEN))
async def on_open(
    query: CallbackQuery,
    callback_data: ReviewCb,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
    reviews: ReviewService,
) -> None:
    await state.set_state(None)
    await show_review(query, state, i18n, screens, reviews, callback_data.review_id)


@router.callback_query(ReviewCb.filter(F.action.in_({ReviewAction.DRAFT, ReviewAction.REGENERATE})))
async def on_draft_reply(
    query: CallbackQuery,
    callback_data: ReviewCb,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
    reviews: ReviewService,
) -> None:
    review_id = callback_data.review_id
    current = await screens.card(review_id)
    again = callback_data.action == "rg"
    if (
        current is None  # gone since the press was checked: show_review says so
        or current.review.has_answer
        or (not again and current.review.draft_reply)
    ):
        await show_review(query, state, i18n, screens, reviews, review_id)  # the state as it is
        return
    with busy(f"reply:{review_id}") as mine:
        if not mine:
            await answer(query, i18n.get("rv-busy"))
            return
        await answer(query, i18n.get("rv-drafting"))
        note = ""
        try:
            await reviews.draft_reply(review_id)
        except ReplyError as exc:
            note = reply_error_text(i18n, exc)
        except AIError as exc:
            note = ai_failure(i18n, exc, "rv-ai-failed")
        await show_review(query, state, i18n, screens, reviews, review_id, note=note)


@router.callback_query(ReviewCb.filter(F.action == ReviewAction.EDIT))
async def on_edit_reply(
    query: CallbackQuery,
    callback_data: ReviewCb,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
    reviews: ReviewService,
) -> None:
    review_id = callback_data.review_id
    card = await screens.card(review_id)
    if card is None or card.review.has_answer:
        await show_review(query, state, i18n, screens, reviews, review_id)
        return
    await state.set_state(ReviewStates.reply)
    await state.update_data(edit_review=review_id)
    current = card.review.draft_reply
    text = i18n.get("rv-edit-prompt")
    if current:
        text += "\n\n" + i18n.get("rv-edit-current") + f"\n<code>{clip(current, 3500)}</code>"
    await ask(query, i18n, text)


@router.message(StateFilter(ReviewStates.reply), F.text)
async def on_reply_text(
    message: Message,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
    members: Members,
    reviews: ReviewService,
    user: UserRow,
) -> None:
    review_id = str((await state.get_data()).get("edit_review") or "")
    await state.set_state(None)
    if await members.may_act(user.id, "review", review_id) is None:
        await message.answer(i18n.get("rv-unavailable"))
        return
    text = message.text or ""
    if len(text.strip()) > TYPED_DRAFT_MAX:
        note = i18n.get("rv-err-too-long-for-card", max=TYPED_DRAFT_MAX)
        await show_review(message, state, i18n, screens, reviews, review_id, note=note)
        return
    note = i18n.get("rv-edit-saved")
    try:
        verdict = await reviews.save_draft(review_id, text)
    except ReplyError as exc:
        note = reply_error_text(i18n, exc)
    else:
        if not verdict.ok:
            note = i18n.get("rv-edit-guard")
    await show_review(message, state, i18n, screens, reviews, review_id, note=note)


@router.callback_query(
    or_f(
        PublishCb.filter(F.action.in_({PublishAction.PUBLISH, PublishAction.CONFIRMED})),
        ReviewCb.filter(
            F.action.in_({ReviewAction.PUBLISH_OLD, ReviewAction.PUBLISH_CONFIRMED_OLD})
        ),
    )
)
async def on_publish(
    query: CallbackQuery,
    callback_data: PublishCb | ReviewCb,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
    reviews: ReviewService,
) -> None:
    """Publish, or send again after an unconfirmed publish. A `ReviewCb` Publish button was
    drawn before buttons carried the draft's fingerprint: it cannot tell which text the person
    saw, so it never matches and the card comes back with a button that can."""
    review_id = callback_data.review_id
    shown = callback_data.fp if isinstance(callback_data, PublishCb) else ""
    confirm = callback_data.action == "rpc"
    await _publish(query, state, i18n, screens, reviews, review_id, shown=shown, confirm=confirm)


async def _publish(
    query: CallbackQuery,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
    reviews: ReviewService,
    review_id: str,
    *,
    shown: str,
    confirm: bool,
) -> None:
    """Publish the draft the card showed (`shown`: its fingerprint). Changed since: nothing is
    sent, an alert says so and the card shows the current draft with a fresh button. The
    service compares again where it reads the text it sends (a change in between is caught)."""
    with busy(f"reply:{review_id}") as mine:
        if not mine:
            await answer(query, i18n.get("rv-busy"))
            return
        if await reviews.draft_changed(review_id, shown):
            alert = "rv-draft-changed-alert" if shown else "rv-draft-recheck-alert"
            await answer(query, i18n.get(alert), alert=True)
            note = i18n.get("rv-err-draft_changed" if shown else "rv-draft-recheck")
            await show_review(query, state, i18n, screens, reviews, review_id, note=note)
            return
        await answer(query, i18n.get("rv-publishing"))
        try:
            await reviews.publish(review_id, shown=shown, confirm=confirm)
        except ReplyError as exc:
            note = reply_error_text(i18n, exc)
        else:
            note = i18n.get("rv-published")
        await show_review(query, state, i18n, screens, reviews, review_id, note=note)


def reply_error_text(i18n: I18nContext, exc: ReplyError) -> str:
    if exc.code == "busy":
        return i18n.get("rv-busy")
    return i18n.get(f"rv-err-{exc.code}", detail=esc(exc.detail or "—"))


# --- complaint from the card ---------------------------------------------------------------


@router.callback_query(ReviewCb.filter(F.action == ReviewAction.COMPLAINT))
async def on_draft_complaint(
    query: CallbackQuery,
    callback_data: ReviewCb,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
    reviews: ReviewService,
    complaints: ComplaintService,
) -> None:
    review_id = callback_data.review_id
    with busy(f"complaint:{review_id}") as mine:
        if not mine:
            await answer(query, i18n.get("rv-busy"))
            return
        existing = await screens.card(review_id)
        if existing is not None and existing.complaint_id:
            await show_complaint(query, state, i18n, screens, existing.complaint_id, origin="rv")
            return
        await answer(query, i18n.get("cp-drafting"))
        try:
            row = await complaints.draft(review_id)
        except ComplaintError as exc:
            card = await screens.card(review_id)
            if exc.code == "complaint_exists" and card is not None and card.complaint_id:
                await show_complaint(query, state, i18n, screens, card.complaint_id, origin="rv")
                return
            note = i18n.get(f"cp-gate-{exc.code}")
            await show_review(query, state, i18n, screens, reviews, review_id, note=note)
            return
        except AIError as exc:
            note = ai_failure(i18n, exc, "cp-ai-failed")
            await show_review(query, state, i18n, screens, reviews, review_id, note=note)
            return
        await show_complaint(
            query, state, i18n, screens, row.id, note=i18n.get("cp-drafted"), origin="rv"
        )
