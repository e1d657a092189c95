"""Prometheus metrics of the process (served at `/metrics`, bot/health.py).

One registry per process; the bot and the services record into it where the work happens:
updates by handler (bot/health.py middleware), Telegram sends and 429s (bot/notifier.py),
syncs by kind (services/jobs.py), alert delay from the review to its send (services/alerts.py),
LLM calls, cost and errors (services/ai/tasks.py), pool usage (read at scrape time).
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES = Counter(
    "wbrep_updates_total", "Telegram updates handled", ["handler", "result"], registry=REGISTRY
)
UPDATE_SECONDS = Histogram(
    "wbrep_update_seconds",
    "Time to handle one Telegram update",
    ["handler"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
SENDS = Counter(
    "wbrep_telegram_sends_total",
    "Messages the notifier sent, by outcome",
    ["outcome"],
    registry=REGISTRY,
)
FLOOD = Counter("wbrep_telegram_429_total", "Telegram's 429 answers to sends", registry=REGISTRY)
SYNC_RUNS = Counter(
    "wbrep_sync_runs_total", "Sync runs by kind and result", ["kind", "result"], registry=REGISTRY
)
SYNC_SECONDS = Histogram(
    "wbrep_sync_seconds",
    "Duration of a sync run",
    ["kind"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
    registry=REGISTRY,
)
SYNC_ROWS = Counter(
    "wbrep_sync_rows_total", "Rows a sync fetched from WB", ["kind"], registry=REGISTRY
)
ALERT_DELAY = Histogram(
    "wbrep_alert_delay_seconds",
    "From a review's WB date to Telegram accepting its alert",
    buckets=(5, 15, 30, 60, 120, 300, 600, 1200, 3600),
    registry=REGISTRY,
)
LLM_CALLS = Counter(
    "wbrep_llm_calls_total", "LLM calls by task and result", ["task", "result"], registry=REGISTRY
)
LLM_COST = Counter("wbrep_llm_cost_usd_total", "LLM cost in USD", ["task"], registry=REGISTRY)
POOL_SIZE = Gauge("wbrep_db_pool_size", "Connections open in the pool", registry=REGISTRY)
POOL_IN_USE = Gauge("wbrep_db_pool_in_use", "Pool connections in use", registry=REGISTRY)
POOL_MAX = Gauge("wbrep_db_pool_max", "The pool's maximum size", registry=REGISTRY)


def watch_pool(size: Callable[[], int], idle: Callable[[], int], max_size: int) -> None:
    """Pool gauges are read when scraped."""
    POOL_SIZE.set_function(lambda: float(size()))
    POOL_IN_USE.set_function(lambda: float(size() - idle()))
    POOL_MAX.set(max_size)


ACCESS_CACHE_LIVE = Gauge(
    "wbrep_access_cache_live",
    "1 while identities and roles are kept (their changes are heard), else 0",
    registry=REGISTRY,
)
ACCESS_CACHE_HITS = Gauge(
    "wbrep_access_cache_hits",
    "Identity and role reads served from memory since start",
    registry=REGISTRY,
)
ACCESS_CACHE_MISSES = Gauge(
    "wbrep_access_cache_misses",
    "Identity and role reads from the database since start",
    registry=REGISTRY,
)


def watch_access_cache(
    live: Callable[[], bool], hits: Callable[[], int], misses: Callable[[], int]
) -> None:
    """Access cache gauges are read when scraped (services/access_cache.py)."""
    ACCESS_CACHE_LIVE.set_function(lambda: float(live()))
    ACCESS_CACHE_HITS.set_function(lambda: float(hits()))
    ACCESS_CACHE_MISSES.set_function(lambda: float(misses()))
