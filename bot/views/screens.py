"""Showing a review card or a complaint card as a screen (both routers open both)."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram_i18n import I18nContext

from bot.callbacks import ListCb, ListGo
from bot.keyboards.complaints import complaint_card_keyboard
from bot.keyboards.menu import only_menu
from bot.keyboards.reviews import review_card_keyboard
from bot.ui import show
from bot.views.complaints import render_complaint_card
from bot.views.lists import last_view
from bot.views.reviews import render_review_card
from services.reviews import ReviewService
from services.screens import Screens


async def list_back(i18n: I18nContext, state: FSMContext, kind: str) -> InlineKeyboardButton | None:
    """Back to the person's last list of this kind, if it is still kept."""
    view_id = await last_view(state, kind)
    if view_id is None:
        return None
    return InlineKeyboardButton(
        text=i18n.get(f"{kind}-btn-list"), callback_data=ListCb(view=view_id, go=ListGo.BACK).pack()
    )


async def show_review(
    target: CallbackQuery | Message,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
    reviews: ReviewService,
    review_id: str,
    *,
    note: str = "",
) -> None:
    card = await screens.card(review_id)
    if card is None:
        await show(target, i18n.get("rv-unavailable"), only_menu(i18n))
        return
    problems: list[str] = []
    pending: str | None = None
    draft = card.review.draft_reply
    if draft and not card.review.has_answer:
        problems = list(reviews.check(await reviews.context(review_id), draft).problems)
        pending = await reviews.pending_publish(review_id)  # in flight or unconfirmed
    text, draft_cut = render_review_card(i18n, card, problems=problems, note=note)
    publishable = not problems and not draft_cut
    keyboard = review_card_keyboard(
        i18n,
        card,
        can_publish=publishable and pending is None,
        unconfirmed=publishable and pending == "unknown",
        back=await list_back(i18n, state, "rv"),
    )
    await show(target, text, keyboard)


async def show_complaint(
    target: CallbackQuery | Message,
    state: FSMContext,
    i18n: I18nContext,
    screens: Screens,
    complaint_id: str,
    *,
    note: str = "",
    origin: str | None = None,
) -> None:
    """`origin`: "rv" opened from its review (back goes to the review, and from there to its
    list), "cq" from the queue (back goes to the queue); None keeps where this card was
    opened from (an action on the card redraws it)."""
    card = await screens.complaint_card(complaint_id)
    if card is None:
        await show(
            target, (note + "\n\n" if note else "") + i18n.get("rv-unavailable"), only_menu(i18n)
        )
        return
    if origin is None:
        saved = (await state.get_data()).get("complaint_origin") or {}
        origin = saved.get("from") if saved.get("id") == complaint_id else "cq"
    else:
        await state.update_data(complaint_origin={"id": complaint_id, "from": origin})
    back = await list_back(i18n, state, "cq") if origin == "cq" else None
    keyboard = complaint_card_keyboard(i18n, card.complaint, back=back)
    await show(target, render_complaint_card(i18n, card, note=note), keyboard)
