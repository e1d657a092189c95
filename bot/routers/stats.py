"""A store's stats as charts (issue 16): `/stats`, the store card's "Статистика" button.

Drawing takes a moment: the press is answered at once, the figures are queried (a pooled
connection per query, released), the PNG is drawn off the event loop, then sent.
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot.callbacks import StatsAction, StatsCb
from bot.filters import Approved
from bot.routing import Handlers
from bot.ui import answer, busy, show
from bot.views import stats as views
from services.records import UserRow
from services.stats import Chart, StatsService

router = Handlers(name="stats")
router.message.filter(Approved())
router.callback_query.filter(Approved())


@router.message(Command("stats"))
async def on_stats_command(
    message: Message, i18n: I18nContext, stats: StatsService, user: UserRow
) -> None:
    rows = [s for s, _ in await stats.stores(user.id)]
    if len(rows) == 1:
        await show(message, *views.store_menu(i18n, rows[0]))
        return
    await show(message, *views.stores(i18n, rows))


@router.callback_query(StatsCb.filter(F.action == StatsAction.STORES))
async def on_stores(
    query: CallbackQuery, i18n: I18nContext, stats: StatsService, user: UserRow
) -> None:
    await answer(query)
    await show(query, *views.stores(i18n, [s for s, _ in await stats.stores(user.id)]))


@router.callback_query(StatsCb.filter(F.action == StatsAction.OPEN))
async def on_open(
    query: CallbackQuery,
    callback_data: StatsCb,
    i18n: I18nContext,
    stats: StatsService,
    user: UserRow,
) -> None:
    found = [s for s, _ in await stats.stores(user.id) if s.id == callback_data.store_id]
    if not found:
        await answer(query, i18n.get("error-forbidden"), alert=True)
        return
    await answer(query)
    await show(query, *views.store_menu(i18n, found[0]))


@router.callback_query(StatsCb.filter(F.action == StatsAction.CHART))
async def on_chart(
    query: CallbackQuery,
    callback_data: StatsCb,
    i18n: I18nContext,
    stats: StatsService,
    user: UserRow,
) -> None:
    store_id = callback_data.store_id
    try:
        chart = Chart(callback_data.chart)
    except ValueError:
        await answer(query, i18n.get("error-stale"))
        return
    if await stats.role(user.id, store_id) is None:
        await answer(query, i18n.get("error-forbidden"), alert=True)
        return
    with busy(f"stats:{user.id}:{store_id}:{chart.value}") as mine:
        if not mine:
            await answer(query, i18n.get("stats-drawing"))
            return
        await answer(query, i18n.get("stats-drawing"))
        result = await stats.figure(store_id, chart)
        if query.message is None or query.bot is None:
            return
        await query.bot.send_photo(
            query.message.chat.id,
            BufferedInputFile(result.png, filename=f"{chart.value}.png"),
            caption=views.caption(i18n, result),
            reply_markup=views.chart_keyboard(i18n, store_id, result),
        )
