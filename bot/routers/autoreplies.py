"""Automatic replies to 4-5 star reviews: a store's settings (mode per rating, daily cap,
cancel window), the shadow list ("what would have been sent this week"), the suggest queue
(one tap to publish), and "Не отправлять" on a cancel-window announcement. The router's
`Access` middleware checks access (`bot/middlewares/access.py` `AUTOREPLIES`); handlers call
`AutoReplyService` and render."""

from __future__ import annotations

from aiogram.types import CallbackQuery, InaccessibleMessage
from aiogram_i18n import I18nContext

from bot.filters import Approved
from bot.keyboards.autoreplies import (
    CAPS,
    MODES,
    WINDOWS,
    AutoAction,
    AutoCb,
    AutoReplyCb,
    ExcludeCb,
    ReplyAction,
    back_keyboard,
    exclusion_keyboard,
    next_in,
    queue_keyboard,
    settings_keyboard,
)
from bot.middlewares.access import AUTOREPLIES, Access
from bot.routing import Handlers
from bot.ui import answer, busy, show
from bot.views.autoreplies import render_rows, render_settings
from services.autoreplies import AutoReplyError, AutoReplyService
from services.reviews import ReplyError

QUEUE_PAGE = 5
EXCLUDED_PAGE = 15


async def _show_settings(
    query: CallbackQuery, i18n: I18nContext, service: AutoReplyService, store_id: str
) -> None:
    settings = await service.settings(store_id)
    queued = len(await service.queue(store_id, limit=100))
    text = render_settings(i18n, await service.store_name(store_id), settings)
    await show(query, text, settings_keyboard(i18n, settings, queued=queued))


async def _show_exclusions(
    query: CallbackQuery, i18n: I18nContext, service: AutoReplyService, store_id: str
) -> None:
    rows = await service.exclusion_page(store_id, limit=EXCLUDED_PAGE)
    await show(query, i18n.get("ar-excluded-title"), exclusion_keyboard(i18n, store_id, rows))


router = Handlers("autoreplies")
router.callback_query.filter(Approved())
router.callback_query.middleware(Access(*AUTOREPLIES, refusal="ar-no-access"))


@router.callback_query(AutoCb.filter())
async def on_settings(
    query: CallbackQuery,
    callback_data: AutoCb,
    i18n: I18nContext,
    autoreplies: AutoReplyService,
) -> None:
    sid = callback_data.store_id
    action = callback_data.action
    if action in (AutoAction.MODE4, AutoAction.MODE5):
        rating = 4 if action is AutoAction.MODE4 else 5
        current = (await autoreplies.settings(sid)).mode(rating)
        await autoreplies.set_mode(sid, rating, next_in(MODES, current))
    elif action is AutoAction.CAP:
        current_cap = (await autoreplies.settings(sid)).daily_cap
        await autoreplies.set_limits(sid, daily_cap=next_in(CAPS, current_cap))
    elif action is AutoAction.WINDOW:
        current_window = (await autoreplies.settings(sid)).cancel_minutes
        await autoreplies.set_limits(sid, cancel_minutes=next_in(WINDOWS, current_window))
    elif action is AutoAction.SHADOW:
        rows = await autoreplies.shadow_week(sid, limit=10)
        await show(
            query,
            render_rows(i18n, i18n.get("ar-shadow-title"), rows),
            back_keyboard(i18n, sid),
        )
        await answer(query)
        return
    elif action is AutoAction.EXCLUDED:
        await _show_exclusions(query, i18n, autoreplies, sid)
        await answer(query)
        return
    elif action is AutoAction.QUEUE:
        rows = await autoreplies.queue(sid, limit=QUEUE_PAGE)
        await show(
            query,
            render_rows(i18n, i18n.get("ar-queue-title"), rows),
            queue_keyboard(i18n, sid, rows),
        )
        await answer(query)
        return
    await _show_settings(query, i18n, autoreplies, sid)
    await answer(query)


@router.callback_query(ExcludeCb.filter())
async def on_exclude(
    query: CallbackQuery,
    callback_data: ExcludeCb,
    i18n: I18nContext,
    autoreplies: AutoReplyService,
) -> None:
    try:
        store_id = await autoreplies.toggle_excluded(callback_data.product_id)
    except AutoReplyError as exc:
        await answer(query, i18n.get(f"ar-err-{exc.code.value}"), alert=True)
        return
    await _show_exclusions(query, i18n, autoreplies, store_id)
    await answer(query)


@router.callback_query(AutoReplyCb.filter())
async def on_reply(
    query: CallbackQuery,
    callback_data: AutoReplyCb,
    i18n: I18nContext,
    autoreplies: AutoReplyService,
) -> None:
    rid = callback_data.review_id
    with busy(f"ar:{rid}") as first:
        if not first:
            await answer(query)
            return
        if callback_data.action in (ReplyAction.CANCEL, ReplyAction.DROP):
            try:
                await autoreplies.cancel(rid)
            except AutoReplyError as exc:
                await answer(query, i18n.get(f"ar-err-{exc.code.value}"), alert=True)
                return
            note = i18n.get(
                "ar-cancelled" if callback_data.action is ReplyAction.CANCEL else "ar-dropped"
            )
        else:
            try:
                await autoreplies.publish_suggestion(rid, shown=callback_data.fp)
            except AutoReplyError as exc:
                await answer(query, i18n.get(f"ar-err-{exc.code.value}"), alert=True)
                return
            except ReplyError as exc:
                await answer(query, i18n.get("ar-err-publish", code=exc.code), alert=True)
                return
            note = i18n.get("ar-published")
    if callback_data.action is ReplyAction.CANCEL:  # the announcement: its button is spent
        message = query.message
        if message is not None and not isinstance(message, InaccessibleMessage):
            await message.edit_reply_markup(reply_markup=None)
            await message.answer(note)
    else:  # the queue: the next suggestion is one tap away
        store_id = await autoreplies.store_of(rid) or ""
        rows = await autoreplies.queue(store_id, limit=QUEUE_PAGE)
        title = f"{note}\n\n{i18n.get('ar-queue-title')}"
        await show(query, render_rows(i18n, title, rows), queue_keyboard(i18n, store_id, rows))
    await answer(query, note)
