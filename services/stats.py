"""Store statistics (issue 16): figures from `db.repos.stats`, charts from `services.charts`.

The figures are computed here from small aggregates (a row per week, per product, per
complaint of the last 90 days), so the rules of domain-rules.md "Stats" live in one place:
approval rate = approved / (approved + rejected), pending apart; rating impact = the product's
average without the chosen open negatives minus the average with them, over counted reviews.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

import asyncpg

from db.models import StoreRow
from db.repos import stats as repo
from services.members import Role, store_role, user_stores

WEEKS: int = 26
FUNNEL_DAYS: int = 90
TOP_PRODUCTS: int = 10
IMPACT_PER_PRODUCT: int = 3
IMPACT_ITEMS: int = 10


class Chart(StrEnum):
    RATING = "rating"
    PRODUCTS = "products"
    FUNNEL = "funnel"
    IMPACT = "impact"
    TIMES = "times"


@dataclass(frozen=True, slots=True)
class Week:
    week: date
    avg: float
    total: int
    negatives: int


@dataclass(frozen=True, slots=True)
class ProductNegatives:
    product_id: str
    name: str
    negatives: int
    handled: int

    @property
    def handled_share(self) -> float:
        return self.handled / self.negatives if self.negatives else 0.0


@dataclass(frozen=True, slots=True)
class Rate:
    """Approval among decided complaints; pending is shown apart."""

    label: str
    approved: int = 0
    rejected: int = 0
    pending: int = 0

    @property
    def rate(self) -> float | None:
        decided = self.approved + self.rejected
        return None if decided == 0 else self.approved / decided


@dataclass(frozen=True, slots=True)
class Funnel:
    drafted: int
    filed: int
    approved: int
    rejected: int
    pending: int
    by_reason: list[Rate] = field(default_factory=list)
    by_product: list[Rate] = field(default_factory=list)
    by_stars: list[Rate] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        decided = self.approved + self.rejected
        return None if decided == 0 else self.approved / decided


@dataclass(frozen=True, slots=True)
class Impact:
    """Resolving `review_ids` of a product moves its average from `before` to `after`."""

    product_id: str
    name: str
    before: float
    after: float
    review_ids: list[str]

    @property
    def gain(self) -> float:
        return round(self.after, 2) - round(self.before, 2)


@dataclass(frozen=True, slots=True)
class Times:
    """Median hours from drafting to filing and from filing to WB's decision (90 days)."""

    draft_to_file_hours: float | None
    file_to_decision_hours: float | None
    reviews: int
    answered: int
    negatives: int
    negatives_answered: int


@dataclass(frozen=True, slots=True)
class ChartResult:
    """A chart's PNG and the figures it shows (the caption is drawn up from them)."""

    chart: Chart
    png: bytes
    weeks: list[Week] = field(default_factory=list)
    distribution: dict[int, int] = field(default_factory=dict)
    products: list[ProductNegatives] = field(default_factory=list)
    funnel: Funnel | None = None
    impact: list[Impact] = field(default_factory=list)
    times: Times | None = None


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def impact_of(total: int, stars: int, removed: list[int]) -> tuple[float, float]:
    """(average with, average without) the removed ratings; WB shows two decimals."""
    before = stars / total if total else 0.0
    left = total - len(removed)
    after = (stars - sum(removed)) / left if left > 0 else before
    return before, after


class StatsService:
    """Figures per store; each call takes a pooled connection only for its query."""

    def __init__(self, pool: asyncpg.Pool, clock: Callable[[], datetime] | None = None) -> None:
        self._pool = pool
        self._clock = clock or (lambda: datetime.now(UTC))

    async def stores(self, user_id: str) -> list[tuple[StoreRow, Role]]:
        """The stores whose stats the person may see (owned or managed)."""
        return await user_stores(self._pool, user_id)

    async def role(self, user_id: str, store_id: str) -> Role | None:
        """None unless the person may see this store (callback data is never trusted)."""
        return await store_role(self._pool, user_id, store_id)

    async def weeks(self, store_id: str) -> list[Week]:
        since = self._clock() - timedelta(weeks=WEEKS)
        rows = await repo.weekly_ratings(self._pool, store_id, since)
        return [
            Week(r["week"], float(r["avg"]), int(r["total"]), int(r["negatives"])) for r in rows
        ]

    async def distribution(self, store_id: str) -> dict[int, int]:
        return await repo.distribution(self._pool, store_id)

    async def products(self, store_id: str, limit: int = TOP_PRODUCTS) -> list[ProductNegatives]:
        rows = await repo.product_figures(self._pool, store_id)
        out = [
            ProductNegatives(r["product_id"], r["name"], int(r["negatives"]), int(r["handled"]))
            for r in rows
            if r["negatives"]
        ]
        return out[:limit]

    async def funnel(self, store_id: str) -> Funnel:
        since = self._clock() - timedelta(days=FUNNEL_DAYS)
        rows = await repo.complaint_rows(self._pool, store_id, since)
        counts = {"sent": 0, "approved": 0, "rejected": 0, "pending": 0}
        groups: dict[str, dict[str, list[int]]] = {
            "reason": defaultdict(lambda: [0, 0, 0]),
            "product": defaultdict(lambda: [0, 0, 0]),
            "stars": defaultdict(lambda: [0, 0, 0]),
        }
        slot = {"approved": 0, "rejected": 1, "pending": 2, "sent": 2}
        # Products are grouped by id (two cards may share a name) and labelled by name; the
        # WB article is added where a name would otherwise show twice.
        names: dict[str, tuple[str, str]] = {}
        drafted = 0
        for r in rows:
            drafted += r["generated_at"] >= since
            # Outcomes count among complaints filed in the period (domain-rules.md, "Stats").
            filed_at = r["sent_at"] or r["generated_at"]
            if r["status"] == "draft" or filed_at < since:
                continue
            counts[r["status"]] += 1
            if r["status"] in slot:
                i = slot[r["status"]]
                groups["reason"][f"{r['reason_id']} {r['reason_name']}"][i] += 1
                groups["product"][r["product_id"]][i] += 1
                names[r["product_id"]] = (r["product_name"], r["wb_product_id"])
                groups["stars"][f"{r['review_rating']}★"][i] += 1
        shared = Counter(name for name, _ in names.values())
        labels = {
            pid: f"{name} · {nm}" if shared[name] > 1 else name for pid, (name, nm) in names.items()
        }

        def rates(key: str) -> list[Rate]:
            named = labels if key == "product" else {}
            items = [Rate(named.get(k, k), *v) for k, v in groups[key].items()]
            return sorted(items, key=lambda x: (-(x.approved + x.rejected + x.pending), x.label))

        filed = counts["sent"] + counts["approved"] + counts["rejected"] + counts["pending"]
        return Funnel(
            drafted=drafted,
            filed=filed,
            approved=counts["approved"],
            rejected=counts["rejected"],
            pending=counts["pending"] + counts["sent"],
            by_reason=rates("reason"),
            by_product=rates("product")[:TOP_PRODUCTS],
            by_stars=sorted(rates("stars"), key=lambda x: x.label),
        )

    async def impact(self, store_id: str, limit: int = IMPACT_ITEMS) -> list[Impact]:
        """Products whose open negatives (up to 3, lowest stars first) lift the average most."""
        products = {r["product_id"]: r for r in await repo.product_figures(self._pool, store_id)}
        candidates = [pid for pid, r in products.items() if r["negatives"] and r["total"]]
        if not candidates:
            return []
        rows = await repo.open_negatives(self._pool, store_id, candidates, IMPACT_PER_PRODUCT)
        chosen: dict[str, list[asyncpg.Record]] = defaultdict(list)
        for r in rows:
            chosen[r["product_id"]].append(r)
        out: list[Impact] = []
        for pid, items in chosen.items():
            p = products[pid]
            before, after = impact_of(
                int(p["total"]), int(p["stars"]), [i["rating"] for i in items]
            )
            out.append(Impact(pid, p["name"], before, after, [i["id"] for i in items]))
        out.sort(key=lambda x: (-x.gain, x.name))
        return [x for x in out if x.gain > 0][:limit]

    async def times(self, store_id: str) -> Times:
        since = self._clock() - timedelta(days=FUNNEL_DAYS)
        rows = await repo.complaint_rows(self._pool, store_id, since)
        to_file = [
            (r["sent_at"] - r["generated_at"]).total_seconds() / 3600
            for r in rows
            if r["sent_at"] is not None
        ]
        to_decision = [
            (r["moderated_at"] - r["sent_at"]).total_seconds() / 3600
            for r in rows
            if r["sent_at"] is not None and r["moderated_at"] is not None
        ]
        share = await repo.reply_share(self._pool, store_id, since)
        return Times(
            _median(to_file),
            _median(to_decision),
            int(share["total"]),
            int(share["answered"]),
            int(share["negatives"]),
            int(share["negatives_answered"]),
        )

    async def chart(self, store_id: str, which: Chart) -> bytes:
        """The PNG of one chart."""
        return (await self.figure(store_id, which)).png

    async def figure(self, store_id: str, which: Chart) -> ChartResult:
        """One chart and its figures: query (a pooled connection per query, released before
        drawing), then draw in a worker thread, off the event loop."""
        from services import charts

        if which is Chart.RATING:
            weeks, dist = await self.weeks(store_id), await self.distribution(store_id)
            png = await asyncio.to_thread(charts.rating_chart, weeks, dist)
            return ChartResult(which, png, weeks=weeks, distribution=dist)
        if which is Chart.PRODUCTS:
            products = await self.products(store_id)
            png = await asyncio.to_thread(charts.products_chart, products)
            return ChartResult(which, png, products=products)
        if which is Chart.FUNNEL:
            funnel = await self.funnel(store_id)
            png = await asyncio.to_thread(charts.funnel_chart, funnel)
            return ChartResult(which, png, funnel=funnel)
        if which is Chart.IMPACT:
            impact = await self.impact(store_id)
            png = await asyncio.to_thread(charts.impact_chart, impact)
            return ChartResult(which, png, impact=impact)
        times = await self.times(store_id)
        png = await asyncio.to_thread(charts.times_chart, times)
        return ChartResult(which, png, times=times)
