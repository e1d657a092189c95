"""APScheduler wiring: the jobs of services/jobs.py on their intervals, inside the bot process.

Every job gets the current time from `clock` and is safe on several instances at once (the
work is claimed in PostgreSQL), so two or three bot processes may each run a scheduler.
`SCHEDULER_ENABLED=false` leaves it off (webhook-only replicas).

Sync ticks run every minute at most and sync the stores that are due: each store's interval
(SYNC_*_SECONDS) is kept in `sync_schedule`, not in the tick, so instances share it.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.announcer import TelegramAnnouncer, TelegramQuestionAlerts
from bot.context import AppServices
from bot.i18n import create_core
from bot.lifecycle import Lifecycle
from bot.notifier import Pacer, TelegramNotifier
from services.alerts import AlertService
from services.autoreplies import AutoReplyJob
from services.chats.alerts import ChatAlertService
from services.digest import DigestService
from services.jobs import JobConfig, Jobs
from services.questions import QuestionAlerts
from services.reminders import ReminderService
from services.sequences import SequenceService
from services.settings import Settings
from services.sync.base import KINDS
from services.wb.limits import LimitsConfig, RedisRateLimiter

log = logging.getLogger(__name__)

TICK_SECONDS = 60
ALERTS_SECONDS = 30
AUTO_DRAFT_SECONDS = 120
REMINDERS_SECONDS = 3600
FOLLOWUPS_SECONDS = 60
DIGEST_SECONDS = 600
MISFIRE_GRACE_SECONDS = 120

Clock = Callable[[], datetime]


def create_pacer(services: AppServices, bot: Bot) -> Pacer:
    """Telegram's budgets are per bot: with Redis every replica's pacer shares them."""
    if services.redis is None:
        return Pacer()
    limiter = RedisRateLimiter(services.redis, LimitsConfig(max_wait=None), prefix="wbrep:tg")
    return Pacer(limiter=limiter, key=f"bot{bot.id}")


AUTOREPLY_SECONDS = 60


def telegram_notifier(services: AppServices, bot: Bot) -> TelegramNotifier:
    """A job's messenger: its own texts, the budgets every sender of this bot shares."""
    return TelegramNotifier(bot, services.access, create_core(), pacer=create_pacer(services, bot))


def autoreply_job(
    services: AppServices, bot: Bot, lifecycle: Lifecycle | None = None
) -> AutoReplyJob:
    """Automatic replies: claims in PostgreSQL make any number of replicas safe."""
    notifier = telegram_notifier(services, bot)
    return AutoReplyJob(
        services.pool,
        services.ai,
        services.wb,
        holder=f"{socket.gethostname()}:{os.getpid()}",
        announcer=TelegramAnnouncer(notifier),
        stopping=lifecycle.stopping if lifecycle is not None else None,
    )


def question_alerts(
    services: AppServices, bot: Bot, lifecycle: Lifecycle | None = None
) -> QuestionAlerts:
    notifier = telegram_notifier(services, bot)
    return QuestionAlerts(
        services.pool,
        TelegramQuestionAlerts(notifier),
        stopping=lifecycle.stopping if lifecycle is not None else None,
    )


def build_jobs(services: AppServices, bot: Bot, lifecycle: Lifecycle | None = None) -> Jobs:
    notifier = telegram_notifier(services, bot)
    stopping = lifecycle.stopping if lifecycle is not None else None
    jobs = Jobs(
        services.pool,
        services.sync,
        services.complaints,
        AlertService(services.pool, notifier, stopping=stopping),
        ReminderService(services.pool, notifier),
        JobConfig.from_settings(services.settings),
        sequences=SequenceService(services.pool, services.wb, notifier, stopping=stopping),
    )
    jobs.chat_tagger = services.chat_tagger
    jobs.chat_alerts = ChatAlertService(services.pool, notifier, stopping=stopping)
    return jobs


def _runner(
    name: str,
    job: Callable[..., Awaitable[Any]],
    clock: Clock,
    lifecycle: Lifecycle | None = None,
    **kwargs: Any,
) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        if lifecycle is not None:
            lifecycle.track()  # a stop waits for the job (bounded by the grace time)
        try:
            await job(now=clock(), **kwargs)
        except Exception:
            log.exception("job %s failed", name)

    run.__name__ = name
    return run


def create_scheduler(
    jobs: Jobs,
    settings: Settings,
    *,
    clock: Clock = lambda: datetime.now(UTC),
    lifecycle: Lifecycle | None = None,
    digest: DigestService | None = None,
) -> AsyncIOScheduler:
    tz = settings.tz
    scheduler = AsyncIOScheduler(
        timezone=tz,
        job_defaults={
            "coalesce": True,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            "max_instances": 1,
        },
    )
    soon = datetime.now(tz) + timedelta(seconds=5)
    intervals = jobs.config.intervals
    for kind in KINDS:
        scheduler.add_job(
            _runner(f"sync-{kind}", jobs.sync_due, clock, lifecycle, kind=kind),
            IntervalTrigger(seconds=min(intervals[kind], TICK_SECONDS), timezone=tz),
            id=f"sync-{kind}",
            next_run_time=soon,
            replace_existing=True,
        )
    scheduler.add_job(
        _runner("full-sync", jobs.full_sync, clock, lifecycle),
        CronTrigger(hour=settings.full_sync_hour, minute=0, timezone=tz),
        id="full-sync",
        replace_existing=True,
    )
    scheduler.add_job(
        _runner("alerts", jobs.deliver_alerts, clock, lifecycle),
        IntervalTrigger(seconds=ALERTS_SECONDS, timezone=tz),
        id="alerts",
        next_run_time=soon,
        replace_existing=True,
    )
    scheduler.add_job(
        _runner("auto-draft", jobs.auto_draft_all, clock, lifecycle),
        IntervalTrigger(seconds=AUTO_DRAFT_SECONDS, timezone=tz),
        id="auto-draft",
        replace_existing=True,
    )
    scheduler.add_job(
        _runner("followups", jobs.send_followups, clock, lifecycle),
        IntervalTrigger(seconds=FOLLOWUPS_SECONDS, timezone=tz),
        id="followups",
        next_run_time=soon + timedelta(seconds=15),
        replace_existing=True,
    )
    scheduler.add_job(
        _runner("token-reminders", jobs.token_reminders, clock, lifecycle),
        IntervalTrigger(seconds=REMINDERS_SECONDS, timezone=tz),
        id="token-reminders",
        next_run_time=soon + timedelta(seconds=30),
        replace_existing=True,
    )
    if digest is not None:  # due Mondays from 10:00 MSK; claimed per store and week
        scheduler.add_job(
            _runner("weekly-digest", digest.run, clock, lifecycle),
            IntervalTrigger(seconds=DIGEST_SECONDS, timezone=tz),
            id="weekly-digest",
            next_run_time=soon + timedelta(seconds=60),
            replace_existing=True,
        )
    return scheduler


def build_digest(services: AppServices, jobs: Jobs) -> DigestService:
    notifier = jobs.alerts.notifier
    assert isinstance(notifier, TelegramNotifier)
    return DigestService(
        services.pool, services.stats, notifier.weekly_digest, stopping=jobs.alerts.stopping
    )


def start_scheduler(
    services: AppServices, bot: Bot, lifecycle: Lifecycle | None = None
) -> AsyncIOScheduler:
    jobs = build_jobs(services, bot, lifecycle)
    scheduler = create_scheduler(
        jobs, services.settings, lifecycle=lifecycle, digest=build_digest(services, jobs)
    )
    scheduler.add_job(
        _runner(
            "autoreplies",
            autoreply_job(services, bot, lifecycle).tick,
            lambda: datetime.now(UTC),
            lifecycle,
        ),
        IntervalTrigger(seconds=AUTOREPLY_SECONDS, timezone=services.settings.tz),
        id="autoreplies",
        replace_existing=True,
    )
    scheduler.add_job(
        _runner(
            "question-alerts",
            question_alerts(services, bot, lifecycle).dispatch,
            lambda: datetime.now(UTC),
            lifecycle,
        ),
        IntervalTrigger(seconds=AUTOREPLY_SECONDS, timezone=services.settings.tz),
        id="question-alerts",
        replace_existing=True,
    )
    scheduler.start()
    log.info("scheduler started: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    return scheduler
