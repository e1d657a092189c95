"""Buyer questions: "Вопросы" from the main menu and the store card, a store's list
(unanswered first, keyset pages), the question card with AI draft, edit, regenerate, publish,
reject and "viewed". Handlers are thin: the router's `Access` middleware checks access
(`bot/middlewares/access.py` `QUESTIONS`), one `QuestionService` call, one view."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext
from pydantic import BaseModel

from bot.background import Background
from bot.callbacks import MenuCb, MenuSection
from bot.filters import Approved
from bot.keyboards.menu import only_menu
from bot.keyboards.questions import (
    QAction,
    QListAction,
    QListCb,
    QPublishAction,
    QPublishCb,
    QuestionCb,
    cancel_keyboard,
    card_keyboard,
    list_keyboard,
    reject_keyboard,
    stores_keyboard,
)
from bot.middlewares.access import QUESTIONS, Access
from bot.render import esc
from bot.routing import Handlers, MagicCheck
from bot.ui import answer, busy, show
from bot.views.lists import View, load_view, save_view
from bot.views.questions import render_card, render_list
from services.members import Members
from services.questions import (
    PAGE_SIZE,
    PublishAction,
    QuestionError,
    QuestionErrorCode,
    QuestionService,
)

VIEW_KEY = "questions"
TYPED_MAX = 2500


class QuestionStates(StatesGroup):
    edit = State()


class Cursor(BaseModel):
    answered: bool
    created: datetime
    id: str


class QuestionListView(View):
    """A store's question list: the cursor each shown page started after (None: the first)."""

    key: ClassVar[str] = VIEW_KEY

    store_id: str
    starts: list[Cursor | None] = [None]  # noqa: RUF012 - pydantic copies a default
    next: Cursor | None = None
    """Where the shown page's next one starts (None: it is the last), so "next" reads one page."""


class EditForm(View):
    key: ClassVar[str] = "question_edit"
    question_id: str


def _error_text(i18n: I18nContext, exc: QuestionError) -> str:
    return i18n.get(f"q-err-{exc.code.value}")


async def _show_card(
    target: Message | CallbackQuery,
    i18n: I18nContext,
    questions: QuestionService,
    question_id: str,
    *,
    note: str | None = None,
) -> None:
    card = await questions.card(question_id)
    problems = await questions.draft_problems(card)
    text = render_card(i18n, card, datetime.now(UTC), problems)
    if note:
        text = f"{note}\n\n{text}"
    await show(
        target, text, card_keyboard(i18n, card, publishable=bool(card.draft) and not problems)
    )


router = Handlers("questions")
router.message.filter(Approved())
router.callback_query.filter(Approved())
router.callback_query.middleware(Access(*QUESTIONS, refusal="q-no-access"))


@router.callback_query(MenuCb.filter(F.section == MenuSection.QUESTIONS))
async def on_menu(
    query: CallbackQuery,
    state: FSMContext,
    i18n: I18nContext,
    questions: QuestionService,
    user: Any,
) -> None:
    stores = await questions.stores_of(user.id)
    if not stores:
        await show(query, i18n.get("q-no-stores"), only_menu(i18n))
    elif len(stores) == 1:
        view = QuestionListView(store_id=stores[0][0])
        await _render_list(query, i18n, questions, view, stores, state)
    else:
        await show(query, i18n.get("q-pick-store"), stores_keyboard(i18n, stores))
    await answer(query)


async def _render_list(
    target: CallbackQuery | Message,
    i18n: I18nContext,
    questions: QuestionService,
    view: QuestionListView,
    stores: list[tuple[str, str, int]],
    state: FSMContext,
) -> None:
    """Show the view's page and keep the view, with where the next page starts."""
    start = view.starts[-1]
    after = (start.answered, start.created, start.id) if start else None
    page = await questions.page(view.store_id, after)
    if page.next_after is None:
        view.next = None
    else:
        answered, created, question_id = page.next_after
        view.next = Cursor(answered=answered, created=created, id=question_id)
    await save_view(state, view)
    names = {sid: name for sid, name, _ in stores}
    first = (len(view.starts) - 1) * PAGE_SIZE + 1
    text = render_list(i18n, names.get(view.store_id, ""), page, datetime.now(UTC), first)
    kb = list_keyboard(i18n, page, view.store_id, has_prev=len(view.starts) > 1, first=first)
    await show(target, text, kb)


@router.callback_query(QListCb.filter())
async def on_list(
    query: CallbackQuery,
    callback_data: QListCb,
    state: FSMContext,
    i18n: I18nContext,
    questions: QuestionService,
    user: Any,
) -> None:
    view = await load_view(state, QuestionListView)
    if (
        callback_data.action is QListAction.OPEN
        or view is None
        or (view.store_id != callback_data.store_id)
    ):
        view = QuestionListView(store_id=callback_data.store_id)
    elif callback_data.action is QListAction.NEXT and view.next is not None:
        view.starts.append(view.next)
    elif callback_data.action is QListAction.PREV and len(view.starts) > 1:
        view.starts.pop()
    await _render_list(query, i18n, questions, view, await questions.stores_of(user.id), state)
    await answer(query)


@router.callback_query(QuestionCb.filter(F.action == QAction.BACK))
async def on_back(
    query: CallbackQuery,
    callback_data: QuestionCb,
    state: FSMContext,
    i18n: I18nContext,
    questions: QuestionService,
    user: Any,
) -> None:
    await state.set_state(None)
    store_id = await questions.store_of(callback_data.question_id) or ""
    view = await load_view(state, QuestionListView)
    if view is None or view.store_id != store_id:
        view = QuestionListView(store_id=store_id)
    await _render_list(query, i18n, questions, view, await questions.stores_of(user.id), state)
    await answer(query)


@router.callback_query(QuestionCb.filter(F.action == QAction.OPEN))
async def on_open(
    query: CallbackQuery,
    callback_data: QuestionCb,
    state: FSMContext,
    i18n: I18nContext,
    questions: QuestionService,
) -> None:
    await state.set_state(None)
    await _show_card(query, i18n, questions, callback_data.question_id)
    await answer(query)


@router.callback_query(QuestionCb.filter(F.action == QAction.DRAFT))
async def on_draft(
    query: CallbackQuery,
    callback_data: QuestionCb,
    i18n: I18nContext,
    questions: QuestionService,
    background: Background,
) -> None:
    qid = callback_data.question_id
    await answer(query, i18n.get("q-drafting"))

    async def work() -> None:
        note = None
        try:
            await questions.draft(qid)
        except QuestionError as exc:
            note = _error_text(i18n, exc)
        except Exception:
            note = i18n.get("q-err-ai")
        await _show_card(query, i18n, questions, qid, note=note)

    background.start(f"q-draft:{qid}", work())  # a second press while it runs: nothing


@router.callback_query(QuestionCb.filter(F.action == QAction.EDIT))
async def on_edit(
    query: CallbackQuery,
    callback_data: QuestionCb,
    state: FSMContext,
    i18n: I18nContext,
) -> None:
    await state.set_state(QuestionStates.edit)
    await save_view(state, EditForm(question_id=callback_data.question_id))
    await show(query, i18n.get("q-edit-prompt"), cancel_keyboard(i18n, callback_data.question_id))
    await answer(query)


@router.message(StateFilter(QuestionStates.edit), MagicCheck(F.text))
async def on_edit_text(
    message: Message,
    state: FSMContext,
    i18n: I18nContext,
    questions: QuestionService,
    members: Members,
    user: Any,
) -> None:
    form = await load_view(state, EditForm)
    await state.set_state(None)
    if form is None:
        await message.answer(i18n.get("q-err-not_found"))
        return
    if await members.may_act(user.id, "question", form.question_id) is None:
        await message.answer(i18n.get("q-no-access"))
        return
    text = message.text or ""
    if len(text) > TYPED_MAX:
        await state.set_state(QuestionStates.edit)
        await message.answer(
            i18n.get("q-edit-too-long", limit=TYPED_MAX),
            reply_markup=cancel_keyboard(i18n, form.question_id),
        )
        return
    note = None
    try:
        await questions.save_draft(form.question_id, text)
    except QuestionError as exc:
        note = _error_text(i18n, exc)
    await _show_card(message, i18n, questions, form.question_id, note=note)


@router.callback_query(QuestionCb.filter(F.action == QAction.REJECT_ASK))
async def on_reject_ask(
    query: CallbackQuery,
    callback_data: QuestionCb,
    i18n: I18nContext,
    questions: QuestionService,
) -> None:
    card = await questions.card(callback_data.question_id)
    await show(
        query, i18n.get("q-reject-ask", text=esc(card.draft or "")), reject_keyboard(i18n, card)
    )
    await answer(query)


@router.callback_query(QuestionCb.filter(F.action == QAction.VIEWED))
async def on_viewed(
    query: CallbackQuery,
    callback_data: QuestionCb,
    i18n: I18nContext,
    questions: QuestionService,
) -> None:
    note = None
    try:
        await questions.mark_viewed(callback_data.question_id)
    except QuestionError as exc:
        note = _error_text(i18n, exc)
    await _show_card(query, i18n, questions, callback_data.question_id, note=note)
    await answer(query)


@router.callback_query(QPublishCb.filter())
async def on_publish(
    query: CallbackQuery,
    callback_data: QPublishCb,
    i18n: I18nContext,
    questions: QuestionService,
) -> None:
    qid = callback_data.question_id
    with busy(f"q-publish:{qid}") as first:
        if not first:
            await answer(query, i18n.get("q-err-busy"))
            return
        action = (
            PublishAction.REJECT
            if callback_data.action is QPublishAction.REJECT
            else PublishAction.ANSWER
        )
        try:
            await questions.publish(
                qid,
                shown=callback_data.fp,
                action=action,
                confirm=callback_data.action is QPublishAction.CONFIRM,
            )
        except QuestionError as exc:
            note = _error_text(i18n, exc)
            if exc.code is QuestionErrorCode.GUARD:
                note += "\n" + esc("; ".join(exc.problems))
        else:
            note = i18n.get("q-published" if action is PublishAction.ANSWER else "q-rejected")
        await _show_card(query, i18n, questions, qid, note=note)
    await answer(query)
