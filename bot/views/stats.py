"""Rendering of the stats screens and the weekly digest: a few lines beside each chart."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.callbacks import ReviewAction, ReviewCb, StatsAction, StatsCb, StoreAction, StoreCb
from bot.keyboards.menu import back_to_menu
from bot.render import clip, esc
from services.digest import WeeklyDigest
from services.records import StoreRow
from services.stats import Chart, ChartResult, Rate

Text = Callable[..., str]


def _btn(text: str, data: StatsCb | StoreCb | ReviewCb) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def stores(i18n: I18nContext, rows: Sequence[StoreRow]) -> tuple[str, InlineKeyboardMarkup]:
    kb = InlineKeyboardBuilder()
    for store in rows:
        kb.row(_btn(store.name, StatsCb(action=StatsAction.OPEN, store_id=store.id)))
    kb.row(back_to_menu(i18n))
    text = i18n.get("stats-pick") if rows else i18n.get("stats-no-stores")
    return text, kb.as_markup()


def store_menu(i18n: I18nContext, store: StoreRow) -> tuple[str, InlineKeyboardMarkup]:
    kb = InlineKeyboardBuilder()
    for chart in Chart:
        kb.row(
            _btn(
                i18n.get(f"stats-btn-{chart.value}"),
                StatsCb(action=StatsAction.CHART, store_id=store.id, chart=chart.value),
            )
        )
    kb.row(
        _btn(i18n.get("stats-btn-store"), StoreCb(action=StoreAction.OPEN, store_id=store.id)),
        back_to_menu(i18n),
    )
    return i18n.get("stats-title", name=esc(store.name)), kb.as_markup()


def _rate_line(r: Rate) -> str:
    return (
        f"• {esc(r.label)}: {_pct(r.rate)} ({r.approved}/{r.approved + r.rejected}, ⏳{r.pending})"
    )


def caption(i18n: I18nContext, result: ChartResult) -> str:
    """A few lines of figures under the chart (Telegram allows 1024 characters)."""
    lines = [f"<b>{esc(i18n.get(f'stats-btn-{result.chart.value}'))}</b>"]
    if result.chart is Chart.RATING:
        total = sum(result.distribution.values())
        stars = sum(k * v for k, v in result.distribution.items())
        if total:
            lines.append(i18n.get("stats-rating-line", avg=f"{stars / total:.2f}", total=total))
        if result.weeks:
            last = result.weeks[-1]
            lines.append(
                i18n.get(
                    "stats-week-line",
                    week=last.week.strftime("%d.%m"),
                    avg=f"{last.avg:.2f}",
                    total=last.total,
                    neg=last.negatives,
                )
            )
    elif result.chart is Chart.PRODUCTS:
        for p in result.products[:5]:
            lines.append(f"• {clip(p.name, 60)}: {p.negatives} · {_pct(p.handled_share)}")
    elif result.chart is Chart.FUNNEL and result.funnel is not None:
        f = result.funnel
        lines.append(
            i18n.get(
                "stats-funnel-line",
                drafted=f.drafted,
                filed=f.filed,
                approved=f.approved,
                rejected=f.rejected,
                pending=f.pending,
                rate=_pct(f.rate),
            )
        )
        lines += [_rate_line(r) for r in f.by_reason[:4]]
    elif result.chart is Chart.IMPACT:
        for item in result.impact[:5]:
            lines.append(
                i18n.get(
                    "stats-impact-line",
                    name=clip(item.name, 60),
                    before=f"{item.before:.2f}",
                    after=f"{item.after:.2f}",
                    n=len(item.review_ids),
                )
            )
    elif result.times is not None:
        t = result.times
        lines.append(i18n.get("stats-times-line", answered=t.answered, total=t.reviews))
    if len(lines) == 1:
        lines.append(i18n.get("stats-empty"))
    text = "\n".join(lines)
    return text if len(text) <= 1000 else text[:999] + "…"


def chart_keyboard(i18n: I18nContext, store_id: str, result: ChartResult) -> InlineKeyboardMarkup:
    """Back to the store's stats; the rating impact lists buttons to its reviews, in order."""
    kb = InlineKeyboardBuilder()
    n = 0
    for item in result.impact:
        for review_id in item.review_ids:
            n += 1
            if n > 12:
                break
            kb.button(
                text=f"{n}", callback_data=ReviewCb(action=ReviewAction.OPEN, review_id=review_id)
            )
    kb.adjust(6)
    kb.row(_btn(i18n.get("stats-btn-back"), StatsCb(action=StatsAction.OPEN, store_id=store_id)))
    return kb.as_markup()


def digest_text(t: Text, d: WeeklyDigest) -> str:
    """The weekly digest; `t(key, **args)` gets a text in the recipient's language."""
    lines = [t("digest-title", name=esc(d.store_name))]
    if d.week is None:
        lines.append(t("digest-no-reviews"))
    else:
        change = ""
        if d.previous is not None:
            change = f" ({d.week.avg - d.previous.avg:+.2f})"
        lines.append(
            t(
                "digest-week",
                total=d.week.total,
                avg=f"{d.week.avg:.2f}",
                change=change,
                neg=d.week.negatives,
            )
        )
    if d.problems:
        lines.append(t("digest-problems"))
        for p in d.problems:
            lines.append(f"• {clip(p.name, 60)}: {p.negatives}")
    if d.worth_filing:
        lines.append(t("digest-worth"))
        for i in d.worth_filing:
            lines.append(
                f"• {clip(i.name, 60)}: {i.before:.2f} → {i.after:.2f} ({len(i.review_ids)})"
            )
    lines.append(t("digest-spend", spend=f"{d.spend:.2f}"))
    return "\n".join(lines)
