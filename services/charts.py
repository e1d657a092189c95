"""PNG charts of a store's statistics, drawn with matplotlib (Agg, no display).

1080 px wide (a phone screen), DejaVu Sans (shipped with matplotlib, has Cyrillic), large
type, an opaque light-grey card with dark text and mid-tone colours, so the picture reads the
same in Telegram's dark and light themes. Functions are pure and synchronous: callers run
them in a worker thread (`asyncio.to_thread`) with no database connection held.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Final

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from services.stats import Funnel, Impact, ProductNegatives, Rate, Times, Week

WIDTH_PX: Final = 1080
DPI: Final = 100
BG: Final = "#eef0f3"
FG: Final = "#1f2933"
GRID: Final = "#c5cbd3"
BLUE: Final = "#3b6fb6"
RED: Final = "#d0473b"
GREEN: Final = "#2f9e6b"
GREY: Final = "#8a94a3"
AMBER: Final = "#d99a22"

_STYLE: Final[dict[Any, Any]] = {
    "font.family": "DejaVu Sans",
    "font.size": 17,
    "axes.titlesize": 21,
    "axes.labelsize": 17,
    "axes.facecolor": BG,
    "figure.facecolor": BG,
    "savefig.facecolor": BG,
    "axes.edgecolor": GRID,
    "axes.labelcolor": FG,
    "text.color": FG,
    "xtick.color": FG,
    "ytick.color": FG,
    "axes.grid": True,
    "grid.color": GRID,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _figure(height_px: int, rows: int = 1) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI)
    axes = [fig.add_subplot(rows, 1, i + 1) for i in range(rows)]
    return fig, axes


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _empty(ax: Axes, text: str = "Пока нет данных") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=22, color=GREY)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def _short(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def rating_chart(weeks: list[Week], distribution: dict[int, int]) -> bytes:
    """Weekly average with the count of 1-3 star reviews, and the distribution by stars."""
    with plt.rc_context(_STYLE):
        fig, (top, bottom) = _figure(1300, rows=2)
        top.set_title("Рейтинг по неделям")
        if weeks:
            xs = list(range(len(weeks)))
            top.plot(xs, [w.avg for w in weeks], color=BLUE, linewidth=3, marker="o")
            top.set_ylim(1, 5.1)
            top.set_ylabel("Средняя оценка")
            neg = top.twinx()
            neg.bar(xs, [w.negatives for w in weeks], width=0.7, color=RED, alpha=0.45)
            neg.set_ylabel("Отзывов 1-3★", color=RED)
            neg.grid(False)
            top.set_zorder(neg.get_zorder() + 1)
            top.patch.set_visible(False)
            step = max(1, len(weeks) // 6)
            top.set_xticks(xs[::step], [w.week.strftime("%d.%m") for w in weeks][::step])
        else:
            _empty(top)
        bottom.set_title("Распределение оценок")
        total = sum(distribution.values())
        if total:
            stars = [1, 2, 3, 4, 5]
            counts = [distribution.get(s, 0) for s in stars]
            colors = [RED, RED, AMBER, GREEN, GREEN]
            bars = bottom.barh([f"{s}★" for s in stars], counts, color=colors)
            for bar, n in zip(bars, counts, strict=True):
                bottom.text(
                    bar.get_width(),
                    bar.get_y() + bar.get_height() / 2,
                    f" {n} ({n / total:.0%})",
                    va="center",
                )
            bottom.set_xlim(0, max(counts) * 1.3)
        else:
            _empty(bottom)
        fig.tight_layout()
        return _png(fig)


def products_chart(products: list[ProductNegatives]) -> bytes:
    """Top products by negatives; the handled part (a complaint or a reply) in green."""
    with plt.rc_context(_STYLE):
        fig, (ax,) = _figure(260 + 70 * max(len(products), 3))
        ax.set_title("Негативные отзывы по товарам")
        if products:
            names = [_short(p.name) for p in reversed(products)]
            neg = [p.negatives for p in reversed(products)]
            handled = [p.handled for p in reversed(products)]
            ax.barh(names, neg, color=RED, alpha=0.55, label="1-3★")
            ax.barh(names, handled, color=GREEN, label="с жалобой или ответом")
            for i, p in enumerate(reversed(products)):
                ax.text(p.negatives, i, f" {p.negatives} · {p.handled_share:.0%}", va="center")
            ax.set_xlim(0, max(neg) * 1.35)
            ax.legend(loc="lower right", frameon=False)
        else:
            _empty(ax)
        fig.tight_layout()
        return _png(fig)


def _rates(ax: Axes, title: str, rates: list[Rate]) -> None:
    ax.set_title(title)
    shown = [r for r in rates if r.approved + r.rejected + r.pending][:8]
    if not shown:
        _empty(ax, "Нет поданных жалоб")
        return
    labels = [_short(r.label, 22) for r in reversed(shown)]
    values = [(r.rate or 0.0) * 100 for r in reversed(shown)]
    ax.barh(labels, values, color=BLUE, height=0.6)
    ax.set_ylim(len(shown) - max(len(shown), 3) - 0.7, len(shown) - 0.3)  # rows from the top
    for i, r in enumerate(reversed(shown)):
        rate = "—" if r.rate is None else f"{r.rate:.0%}"
        ax.text(
            values[i],
            i,
            f" {rate}  ({r.approved}/{r.approved + r.rejected}, ждут {r.pending})",
            va="center",
            fontsize=15,
        )
    ax.set_xlim(0, 175)
    ax.set_xticks([0, 25, 50, 75, 100])


def funnel_chart(funnel: Funnel) -> bytes:
    """Drafted -> filed -> approved / rejected / pending, and approval by reason/product/stars."""
    with plt.rc_context(_STYLE):
        fig, axes = _figure(2200, rows=4)
        ax = axes[0]
        ax.set_title("Жалобы за 90 дней")
        labels = ["Черновики", "Поданы", "Одобрены", "Отклонены", "Ждут"]
        values = [funnel.drafted, funnel.filed, funnel.approved, funnel.rejected, funnel.pending]
        if funnel.drafted:
            ys = list(reversed(labels))
            xs = list(reversed(values))
            ax.barh(ys, xs, color=list(reversed([GREY, BLUE, GREEN, RED, AMBER])))
            for i, n in enumerate(xs):
                ax.text(n, i, f" {n}", va="center")
            ax.set_xlim(0, max(values) * 1.2)
        else:
            _empty(ax)
        _rates(axes[1], "Одобрение по причине, %", funnel.by_reason)
        _rates(axes[2], "Одобрение по товару, %", funnel.by_product)
        _rates(axes[3], "Одобрение по оценке отзыва, %", funnel.by_stars)
        fig.tight_layout()
        return _png(fig)


def impact_chart(impact: list[Impact]) -> bytes:
    """How much each product's average would rise if its open negatives were resolved."""
    with plt.rc_context(_STYLE):
        fig, (ax,) = _figure(260 + 70 * max(len(impact), 3))
        ax.set_title("Рост рейтинга, если убрать открытые негативы")
        if impact:
            names = [_short(i.name) for i in reversed(impact)]
            gains = [i.gain for i in reversed(impact)]
            ax.barh(names, gains, color=GREEN)
            for n, i in enumerate(reversed(impact)):
                ax.text(
                    i.gain, n, f" {i.before:.2f} → {i.after:.2f} ({len(i.review_ids)})", va="center"
                )
            ax.set_xlim(0, max(gains) * 1.8)
        else:
            _empty(ax, "Открытых негативов нет")
        fig.tight_layout()
        return _png(fig)


def times_chart(times: Times) -> bytes:
    """Reply share of the last 90 days and the median complaint times."""
    with plt.rc_context(_STYLE):
        fig, (left, right) = _figure(700, rows=2)
        left.set_title("Доля отзывов с ответом, 90 дней")
        if times.reviews:
            labels = ["Все", "1-3★"]
            shares = [
                times.answered / times.reviews * 100,
                times.negatives_answered / times.negatives * 100 if times.negatives else 0.0,
            ]
            left.barh(labels, shares, color=BLUE)
            for i, s in enumerate(shares):
                left.text(s, i, f" {s:.0f}%", va="center")
            left.set_xlim(0, 120)
        else:
            _empty(left)
        right.set_title("Медиана, часов")
        hours = [times.draft_to_file_hours, times.file_to_decision_hours]
        if any(h is not None for h in hours):
            labels = ["черновик → подача", "подача → решение WB"]
            vals = [h or 0.0 for h in hours]
            right.barh(labels, vals, color=AMBER)
            for i, h in enumerate(hours):
                right.text(vals[i], i, " —" if h is None else f" {h:.1f}", va="center")
            right.set_xlim(0, max(vals) * 1.3 or 1)
        else:
            _empty(right, "Нет поданных жалоб")
        fig.tight_layout()
        return _png(fig)
