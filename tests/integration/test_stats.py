"""Store statistics against hand-computed figures on a seeded store; every chart renders."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from services.stats import Chart, StatsService
from tests.support.stores import make_product, make_review, make_store, make_user

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)  # a Monday
W1 = datetime(2026, 6, 3, 0, 0, tzinfo=UTC)  # week of 2026-06-01
W2 = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)  # week of 2026-06-08


async def _product(pool: asyncpg.Pool, store: str, name: str) -> str:
    pid = await make_product(pool, store)
    await pool.execute("UPDATE products SET name = $2 WHERE id = $1", pid, name)
    return pid


async def _complaint(
    pool: asyncpg.Pool,
    review_id: str,
    status: str,
    reason: int,
    generated: datetime,
    sent_after_h: float | None = None,
    decided_after_h: float | None = None,
) -> None:
    sent = generated + timedelta(hours=sent_after_h) if sent_after_h is not None else None
    decided = sent + timedelta(hours=decided_after_h) if sent and decided_after_h else None
    await pool.execute(
        """INSERT INTO review_complaints (review_id, store_id, owner_id, product_id,
               complaint_text, reason_id, reason_name, status, generated_at, sent_at,
               moderated_at, review_rating, review_text, review_date)
           SELECT r.id, r.store_id, r.owner_id, r.product_id, 'Жалоба', $2, $3, $4, $5, $6, $7,
                  r.rating, r.text, r.date FROM reviews r WHERE r.id = $1""",
        review_id,
        reason,
        "Спам" if reason == 11 else "Нецензурная лексика",
        status,
        generated,
        sent,
        decided,
    )
    await pool.execute(
        """UPDATE reviews SET has_complaint = TRUE,
               complaint_status = (CASE WHEN $2 = 'draft' THEN 'draft' ELSE 'sent' END)::complaint_status
             WHERE id = $1""",
        review_id,
        status,
    )


async def seed(pool: asyncpg.Pool) -> tuple[str, dict[str, str]]:
    owner = await make_user(pool)
    store = await make_store(pool, owner, "tok")
    a = await _product(pool, store, "Плед")
    b = await _product(pool, store, "Чайник")
    c = await _product(pool, store, "Кружка")
    for stars in (5, 4):
        await make_review(pool, a, rating=stars, date=W2)
    await make_review(pool, a, rating=5, date=W2, has_answer=True)
    a1 = await make_review(pool, a, rating=1, date=W2, has_answer=True)
    a2 = await make_review(pool, a, rating=2, date=W2)
    await make_review(pool, a, rating=1, date=W2, review_status_wb="excluded")
    await _complaint(pool, a2, "approved", 11, W2, 2, 24)
    await make_review(pool, b, rating=5, date=W2)
    b3 = await make_review(pool, b, rating=3, date=W2)
    b1 = await make_review(pool, b, rating=1, date=W2)
    c_rej = await make_review(pool, c, rating=1, date=W1)
    c_pen = await make_review(pool, c, rating=2, date=W1)
    c_dra = await make_review(pool, c, rating=3, date=W1)
    c_app = await make_review(pool, c, rating=1, date=W1)
    await _complaint(pool, c_rej, "rejected", 11, W1, 4, 48)
    await _complaint(pool, c_pen, "pending", 12, W1, 6)
    await _complaint(pool, c_dra, "draft", 12, W1)
    await _complaint(pool, c_app, "approved", 12, W1, 8, 12)
    # Older than 90 days: not in the funnel.
    old = await make_review(pool, c, rating=1, date=NOW - timedelta(days=200))
    await _complaint(pool, old, "approved", 11, NOW - timedelta(days=120), 1, 1)
    return store, {"a": a, "b": b, "c": c, "a1": a1, "b1": b1, "b3": b3}


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


async def test_figures_match_hand_computed(pool: asyncpg.Pool) -> None:
    store, ids = await seed(pool)
    stats = StatsService(pool, clock=lambda: NOW)

    weeks = await stats.weeks(store)
    # The 200-day-old review is outside the 26 weeks.
    assert [(w.week, round(w.avg, 2), w.total, w.negatives) for w in weeks] == [
        (date(2026, 6, 1), 1.75, 4, 4),
        (date(2026, 6, 8), 3.0, 9, 5),
    ]
    assert await stats.distribution(store) == {1: 6, 2: 2, 3: 2, 4: 1, 5: 3}

    products = await stats.products(store)
    assert [(p.name, p.negatives, p.handled) for p in products] == [
        ("Кружка", 5, 5),
        ("Плед", 3, 2),
        ("Чайник", 2, 0),
    ]

    funnel = await stats.funnel(store)
    assert (funnel.drafted, funnel.filed, funnel.approved, funnel.rejected, funnel.pending) == (
        5,
        4,
        2,
        1,
        1,
    )
    assert funnel.rate == pytest.approx(2 / 3)
    by_reason = {r.label: (r.approved, r.rejected, r.pending, r.rate) for r in funnel.by_reason}
    assert by_reason == {"11 Спам": (1, 1, 0, 0.5), "12 Нецензурная лексика": (1, 0, 1, 1.0)}
    by_stars = {r.label: (r.approved, r.rejected, r.pending) for r in funnel.by_stars}
    assert by_stars == {"1★": (1, 1, 0), "2★": (1, 0, 1)}
    by_product = {r.label: (r.approved, r.rejected, r.pending) for r in funnel.by_product}
    assert by_product == {"Кружка": (1, 1, 1), "Плед": (1, 0, 0)}

    impact = await stats.impact(store)
    # Чайник 5,3,1: avg 3.00; without 1 and 3 -> 5.00. Плед 5,5,4,1,2 (the excluded 1 does
    # not count): 3.40; without the open 1 (the 2 has a complaint) -> 4.00. Кружка: none open.
    assert [(i.name, round(i.before, 2), round(i.after, 2), i.review_ids) for i in impact] == [
        ("Чайник", 3.0, 5.0, [ids["b1"], ids["b3"]]),
        ("Плед", 3.4, 4.0, [ids["a1"]]),
    ]

    times = await stats.times(store)
    assert times.draft_to_file_hours == pytest.approx(5.0)  # 2, 4, 6, 8
    assert times.file_to_decision_hours == pytest.approx(24.0)  # 24, 48, 12
    assert (times.reviews, times.answered, times.negatives, times.negatives_answered) == (
        13,
        2,
        9,
        1,
    )


@pytest.mark.parametrize("chart", list(Chart))
async def test_each_chart_renders_for_empty_and_small_store(
    pool: asyncpg.Pool, chart: Chart
) -> None:
    store, _ = await seed(pool)
    owner = await pool.fetchval("SELECT owner_id FROM stores WHERE id = $1", store)
    empty = await make_store(pool, owner, "tok2", name="Пустой")
    stats = StatsService(pool, clock=lambda: NOW)
    for sid in (empty, store):
        png = await stats.chart(sid, chart)
        width, height = _png_size(png)
        assert width == 1080
        assert 300 <= height <= 2400
        assert 5_000 < len(png) < 1_500_000


async def test_drawing_runs_off_the_event_loop_with_no_connection_held(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from services import charts

    store, _ = await seed(pool)
    loop_thread = threading.get_ident()
    seen: list[tuple[int, int]] = []
    real = charts.rating_chart

    def spy(*args: object) -> bytes:
        # The pool's connections are all idle while the PNG is drawn.
        seen.append((threading.get_ident(), pool.get_size() - pool.get_idle_size()))
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(charts, "rating_chart", spy)
    await StatsService(pool, clock=lambda: NOW).chart(store, Chart.RATING)
    assert len(seen) == 1
    thread, busy = seen[0]
    assert thread != loop_thread
    assert busy == 0


async def test_approval_by_product_keeps_two_products_of_one_name_apart(
    pool: asyncpg.Pool,
) -> None:
    """Approval by product groups by the product (its WB article), not by its name."""
    owner = await make_user(pool)
    store = await make_store(pool, owner, "tok")
    red = await make_product(pool, store, nm_id="111")
    blue = await make_product(pool, store, nm_id="222")  # the same name, 'Плед флисовый'
    for pid, status in ((red, "approved"), (red, "approved"), (blue, "rejected")):
        review = await make_review(pool, pid, rating=1, date=W2)
        await _complaint(pool, review, status, 11, W2, 1, 1)
    funnel = await StatsService(pool, clock=lambda: NOW).funnel(store)
    rows = sorted((r.label, r.approved, r.rejected) for r in funnel.by_product)
    assert rows == [("Плед флисовый · 111", 2, 0), ("Плед флисовый · 222", 0, 1)]


async def test_approval_rate_counts_complaints_filed_in_the_period(pool: asyncpg.Pool) -> None:
    """Approval rate is over complaints filed in the period (domain-rules.md, "Stats"): one
    drafted before the 90 days but filed within them counts; one filed before them does not,
    though its outcome came later."""
    owner = await make_user(pool)
    store = await make_store(pool, owner, "tok")
    pid = await make_product(pool, store)
    inside = await make_review(pool, pid, rating=1, date=NOW - timedelta(days=120))
    await _complaint(pool, inside, "approved", 11, NOW - timedelta(days=100), 24 * 20, 24)
    before = await make_review(pool, pid, rating=1, date=NOW - timedelta(days=120))
    await _complaint(pool, before, "rejected", 11, NOW - timedelta(days=100), 24 * 5, 24 * 20)
    funnel = await StatsService(pool, clock=lambda: NOW).funnel(store)
    assert (funnel.drafted, funnel.filed, funnel.approved, funnel.rejected) == (0, 1, 1, 0)
