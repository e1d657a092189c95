"""Benchmark (issue 17): what a button press costs, the product beside a minimal aiogram bot.

The bot runs as its own process (`wbrep run`, polling the in-repo fake Telegram Bot API on
loopback) against PostgreSQL; PEOPLE simulated people press through the reviews list (open
the list, next page, open a card, back to the list, back to the menu) for SECONDS. The same
people then press the same labels on `press_minimal_bot.py`, whose handler only edits the
message. Printed per run: presses a second, latency p50/p99, CPU per press of the bot process
(psutil), its memory at idle, database statements per press (pg_stat_database transactions:
every autocommit statement and the pool's reset query is one), and the ratios.

Stores: one of 20,000 reviews and one of 1,000,000 (`generate_series`), seeded once into a
database named by a hash of the migrations and kept between runs (`wbrep_bench_press_*`; drop
them to reseed). The 1M store's "open list" p50 is compared with the 20k store's under the
same load, and measured for one person alone.

Run with `make bench`, or
`pytest -s -o python_files='bench_*.py' -o addopts='' tests/bench/bench_press.py`.
A minimal bot that also answers each press (`answerCallbackQuery`, as the product and every
bot must) runs once more for scale; the ratio stays against the issue's reference, the bot
that only edits. The minimal bot and the product on the 20k store run in turns, BENCH_PRESS_ROUNDS times (3):
the machine's speed drifts between runs (the minimal bot alone has measured 530 to 950
presses a second on one machine within an hour), so each round's ratio compares two runs
minutes apart, and the summary gives the median round.
BENCH_PRESS_PEOPLE / BENCH_PRESS_SECONDS change the load; BENCH_PRESS_BEFORE=<dir> also runs
the bot exported from an earlier commit into <dir> (`git archive <commit> | tar -x -C <dir>`)
on the same stores, for before/after figures. BENCH_PRESS_PROFILE=<file> runs the bot under
cProfile and writes its profile there (the last run's; read it with `python -m pstats`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import psutil  # type: ignore[import-untyped]
import pytest

from db.migrate import MIGRATIONS_DIR, apply_migrations
from db.pool import create_pool
from services.access import add_user
from tests.fakes.telegram import FakeTelegram, FakeUser
from tests.support.keys import TEST_SECRET_KEY
from tests.support.stores import make_products, make_store

PEOPLE = min(int(os.environ.get("BENCH_PRESS_PEOPLE", "50")), 50)
SECONDS = float(os.environ.get("BENCH_PRESS_SECONDS", "20"))
ROUNDS = max(1, int(os.environ.get("BENCH_PRESS_ROUNDS", "3")))
WARMUP_SECONDS = 4.0
PRODUCTS = 200
SEED_PEOPLE = 50  # accounts in the seeded store; PEOPLE of them press
SEED_VERSION = "1"
FIRST_TG_ID = 7000
STEPS = ("open", "next", "card", "list", "menu")
ROOT = Path(__file__).resolve().parents[2]


def _db_name(reviews: int) -> str:
    digest = hashlib.sha256(SEED_VERSION.encode())
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        digest.update(path.name.encode() + path.read_bytes())
    return f"wbrep_bench_press_{reviews}_{digest.hexdigest()[:10]}"


async def _seed(url: str, reviews: int) -> None:
    await apply_migrations(url)
    pool = await create_pool(url, max_size=2)
    try:
        regs = [
            await add_user(pool, f"p{i}@bench.test", telegram_id=FIRST_TG_ID + i, approve=True)
            for i in range(SEED_PEOPLE)
        ]
        owner = regs[0].user.id
        store = await make_store(pool, owner, "tok", name="Бенч")
        await pool.executemany(
            "INSERT INTO store_members (store_id, user_id, invited_by) VALUES ($1, $2, $3)",
            [(store, r.user.id, owner) for r in regs[1:]],
        )
        await make_products(pool, store, owner, PRODUCTS)
        await pool.execute(
            """INSERT INTO reviews (id, product_id, store_id, owner_id, rating, text, author,
                                    date, has_answer)
               SELECT 'r' || g, 'p' || (1 + (g::bigint * 7919) % $4), $1, $2,
                      CASE WHEN g % 100 < 5 THEN 1 WHEN g % 100 < 8 THEN 2
                           WHEN g % 100 < 13 THEN 3 WHEN g % 100 < 30 THEN 4 ELSE 5 END,
                      'Отзыв № ' || g || ': пришло не то, упаковка мятая', 'Покупатель',
                      now() - (g % 730) * interval '1 day' - (g % 1440) * interval '1 minute',
                      g % 3 = 0
                 FROM generate_series(1, $3) g""",
            store,
            owner,
            reviews,
            PRODUCTS,
            timeout=1800,
        )
        await pool.execute("VACUUM ANALYZE reviews", timeout=1800)
    finally:
        await pool.close()


async def seeded_db(admin_dsn: str, reviews: int) -> str:
    """The seeded database's URL, made on first use and reused while migrations stay."""
    name = _db_name(reviews)
    admin = await asyncpg.connect(admin_dsn)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}_new"')
            await admin.execute(f'CREATE DATABASE "{name}_new"')
    finally:
        await admin.close()
    base = admin_dsn.rsplit("/", 1)[0]
    if not exists:
        started = time.perf_counter()
        await _seed(f"{base}/{name}_new", reviews)
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'ALTER DATABASE "{name}_new" RENAME TO "{name}"')
        finally:
            await admin.close()
        print(f"\nseeded {reviews:,} reviews in {time.perf_counter() - started:.0f} s")
    return f"{base}/{name}"


@dataclass
class Run:
    label: str
    presses: int = 0
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    cpu_seconds: float = 0.0
    harness_cpu_seconds: float = 0.0
    """This process's CPU in the window: the fake Telegram and the simulated people, who
    share the machine's two cores with the bot and PostgreSQL."""
    idle_rss: int = 0
    statements: int | None = None

    @property
    def all_latencies(self) -> list[float]:
        return sorted(x for v in self.latencies.values() for x in v)

    def pct(self, q: float, step: str | None = None) -> float:
        xs = sorted(self.latencies[step]) if step else self.all_latencies
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")

    @property
    def rate(self) -> float:
        return self.presses / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds / max(self.presses, 1) * 1000

    def line(self) -> str:
        per = f"{self.statements / max(self.presses, 1):.2f}" if self.statements else "-"
        return (
            f"{self.label:<24} {self.rate:7.1f}/s  p50 {self.pct(0.5):6.1f} ms  "
            f"p99 {self.pct(0.99):6.1f} ms  open p50 {self.pct(0.5, 'open'):6.1f} ms  "
            f"CPU {self.cpu_ms:5.2f} ms/press (harness "
            f"{self.harness_cpu_seconds / max(self.presses, 1) * 1000:4.2f})  idle RSS {self.idle_rss / 2**20:5.0f} MiB  "
            f"DB statements/press {per}"
        )


async def _statements(admin_dsn: str, url: str) -> int:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        value: int = await conn.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", name
        )
        return value
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def bot_process(
    tg: FakeTelegram,
    argv: list[str],
    db_url: str | None,
    cwd: Path = ROOT,
    extra_env: dict[str, str] | None = None,
) -> AsyncIterator[psutil.Process]:
    env = {
        **os.environ,
        "BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE": tg.base_url,
        "SECRET_KEY": TEST_SECRET_KEY,
        "SCHEDULER_ENABLED": "false",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
        "DEEPSEEK_API_KEY": "sk-bench",
        "DEEPSEEK_BASE_URL": "http://127.0.0.1:9",
        "DB_POOL_MAX": "20",
    }
    if db_url:
        env["DATABASE_URL"] = db_url
    env.update(extra_env or {})
    child = subprocess.Popen(argv, env=env, cwd=cwd)  # noqa: S603, ASYNC220 - started once
    try:
        deadline = time.monotonic() + 60
        while not any(c.method.lower() == "getupdates" for c in tg.calls):
            assert child.poll() is None, f"bot exited with {child.returncode}"
            assert time.monotonic() < deadline, "bot did not start polling in 60 s"
            await asyncio.sleep(0.1)
        yield psutil.Process(child.pid)
    finally:
        child.terminate()
        try:
            await asyncio.to_thread(child.wait, 30)
        except subprocess.TimeoutExpired:
            child.kill()


def _label(user: FakeUser, step: str) -> str:
    labels = list(user.last_message.labels)
    if step == "open":
        return "Отзывы"
    if step == "next":
        return "Далее »"
    if step == "card":
        return next(label for label in labels if label.isdigit())
    if step == "list":
        return "« К списку"
    return labels[-1]  # the list's way back to the menu


async def _person(user: FakeUser, run: Run, measure_from: float, stop_at: float) -> None:
    await user.send("/menu")
    await user.wait_message("WB", timeout=60)
    while time.perf_counter() < stop_at:
        for step in STEPS:
            user._cursor = len(user._events)  # only this press's answer counts
            label = _label(user, step)
            started = time.perf_counter()
            await user.press(label)
            await user.wait_message(None, timeout=60)
            if started >= measure_from and time.perf_counter() <= stop_at:
                run.latencies[step].append(time.perf_counter() - started)
                run.presses += 1


async def measure(
    label: str,
    argv: list[str],
    *,
    admin_dsn: str,
    db_url: str | None,
    people: int = PEOPLE,
    seconds: float = SECONDS,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
) -> Run:
    run = Run(label)
    async with (
        FakeTelegram(max_long_poll=5.0) as tg,
        bot_process(tg, argv, db_url, cwd, env) as proc,
    ):
        await asyncio.sleep(2.0)
        run.idle_rss = proc.memory_info().rss
        users = [tg.user(FIRST_TG_ID + i, first_name=f"P{i}") for i in range(people)]
        # a short warm-up (statement caches, connections), then the measured window
        measure_from = time.perf_counter() + WARMUP_SECONDS
        stop_at = measure_from + seconds
        tasks = [asyncio.create_task(_person(u, run, measure_from, stop_at)) for u in users]
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        cpu0 = sum(proc.cpu_times()[:2])
        harness0 = time.process_time()
        stmts0 = await _statements(admin_dsn, db_url) if db_url else None
        await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
        cpu1 = sum(proc.cpu_times()[:2])
        run.harness_cpu_seconds = time.process_time() - harness0
        await asyncio.gather(*tasks)
        run.seconds = seconds
        run.cpu_seconds = cpu1 - cpu0
        if db_url and stmts0 is not None:
            await asyncio.sleep(1.2)  # backends report their counters at most once a second
            run.statements = await _statements(admin_dsn, db_url) - stmts0
    print(run.line())
    return run


async def test_press_cost_beside_a_minimal_bot(pg_admin_dsn: str) -> None:
    small = await seeded_db(pg_admin_dsn, 20_000)
    large = await seeded_db(pg_admin_dsn, 1_000_000)
    product = [str(ROOT / ".venv/bin/wbrep"), "run"]
    profile = os.environ.get("BENCH_PRESS_PROFILE")
    if profile:  # cProfile of the bot process, written when it stops (SIGTERM stops it cleanly)
        product = [sys.executable, "-m", "cProfile", "-o", profile, "-m", "bot.cli", "run"]
    minimal = [sys.executable, "-m", "tests.bench.press_minimal_bot"]
    print(f"\n{PEOPLE} people, {SECONDS:.0f} s each run, loopback, bot in its own process")
    rounds: list[tuple[Run, Run]] = []
    for n in range(1, ROUNDS + 1):
        ref = await measure(
            f"minimal aiogram bot #{n}", minimal, admin_dsn=pg_admin_dsn, db_url=None
        )
        ours = await measure(
            f"this bot, 20k reviews #{n}", product, admin_dsn=pg_admin_dsn, db_url=small
        )
        rounds.append((ref, ours))
    rounds.sort(key=lambda pair: pair[1].rate / pair[0].rate)
    ref, on_small = rounds[len(rounds) // 2]  # the median round
    on_large = await measure("this bot, 1M reviews", product, admin_dsn=pg_admin_dsn, db_url=large)
    alone = await measure(
        "this bot, 1M, one person",
        product,
        admin_dsn=pg_admin_dsn,
        db_url=large,
        people=1,
        seconds=8,
    )
    answering = await measure(
        "minimal bot, answering",
        minimal,
        admin_dsn=pg_admin_dsn,
        db_url=None,
        env={"MINIMAL_ANSWERS": "1"},
    )
    ratios = ", ".join(f"{o.rate / r.rate:.2f}" for r, o in rounds)
    p99s = ", ".join(f"{o.pct(0.99) / r.pct(0.99):.2f}x" for r, o in rounds)
    print(
        f"rounds, presses/s ratio (20k / minimal): {ratios}; p99 ratio: {p99s}\n"
        f"median round ({ref.label} / {on_small.label}): ratio presses/s "
        f"{on_small.rate / ref.rate:.2f}; p99 {on_small.pct(0.99) / ref.pct(0.99):.2f}x the "
        f"minimal bot's; CPU/press {on_small.cpu_ms / ref.cpu_ms:.2f}x; idle RSS "
        f"{on_small.idle_rss / ref.idle_rss:.2f}x\n"
        f"open list p50 under load: 1M {on_large.pct(0.5, 'open'):.1f} ms = "
        f"{on_large.pct(0.5, 'open') / on_small.pct(0.5, 'open'):.2f}x 20k; "
        f"one person alone on 1M {alone.pct(0.5, 'open'):.1f} ms\n"
        f"for scale: a minimal bot that also answers each press (as every bot must) ran "
        f"{answering.rate:.1f}/s, {answering.cpu_ms:.2f} ms CPU a press "
        f"({answering.rate / ref.rate:.2f}x the median round's minimal bot)"
    )
    assert on_small.presses > 0 and ref.presses > 0
    before = os.environ.get("BENCH_PRESS_BEFORE")
    if before:  # an export of an earlier commit (`git archive`), run as `python -m bot.cli`
        old = [sys.executable, "-m", "bot.cli", "run"]
        for url, label in ((small, "before, 20k reviews"), (large, "before, 1M reviews")):
            await measure(label, old, admin_dsn=pg_admin_dsn, db_url=url, cwd=Path(before))


pytestmark = pytest.mark.timeout(3600)
