"""Messages to a store's owner about its tokens: WB refused one, or one expires soon.

Both are told once: an auth failure once per refused token (`sync_state.auth_error_notified`,
reset when a sync succeeds again), each expiry reminder (14 and 3 days before) once per
token (`token_reminders`). The record is written before the send; a send that fails for a
reason other than a block is released so the next run tries again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from db.claims import STALE_CLAIM
from db.models import StoreRow
from db.repos import alerts as alerts_repo
from db.repos import stores as stores_repo
from db.secrets import SecretUnreadable
from services.msk import MSK
from services.notifier import Delivery, Notice, Notifier, Recipient
from services.sync.base import token_fingerprint
from services.wb.factory import store_tokens
from services.wb.tokens import TokenFormatError, inspect_token

"""The expiry date is shown as a Moscow date (a token expiring 01:00 MSK is 22:00 UTC the day
before)."""

log = logging.getLogger(__name__)

REMIND_DAYS: tuple[int, ...] = (14, 3)


@dataclass
class ReminderReport:
    sent: int = 0
    skipped: int = 0


def _tokens(store: StoreRow) -> list[str]:
    """The store's distinct tokens (a category token may repeat the main one); none when the
    current SECRET_KEY cannot open them (the store card and its sync say so)."""
    try:
        return list(dict.fromkeys(store_tokens(store).all()))
    except SecretUnreadable:
        log.warning("token reminders: store %s: its token cannot be read", store.id)
        return []


class ReminderService:
    def __init__(self, pool: asyncpg.Pool, notifier: Notifier) -> None:
        self.pool = pool
        self.notifier = notifier

    async def _owner(self, store: StoreRow) -> Recipient | None:
        rows = await alerts_repo.recipients(self.pool, [store.owner_id])
        if not rows or rows[0]["is_blocked"]:
            return None
        r = rows[0]
        return Recipient(r["user_id"], r["telegram_id"], r["language"])

    async def _tell(self, to: Recipient | None, notice: Notice) -> Delivery | None:
        if to is None:
            return None
        try:
            return await self.notifier.notice(to, notice)
        except Exception:
            log.exception("notice %s failed", notice.key)
            return "failed"

    async def auth_failures(self, store_id: str) -> int:
        """Tell the owner, once, that WB refused the store's token; returns messages sent."""
        claimed = await alerts_repo.claim_auth_notice(self.pool, store_id, stale=STALE_CLAIM)
        fresh = [r["kind"] for r in claimed if not r["told_before"]]
        told = [r["kind"] for r in claimed if r["told_before"]]
        if told:
            await alerts_repo.confirm_auth_notice(self.pool, store_id, told, told=True)
        if not fresh:
            return 0
        store = await stores_repo.get_store(self.pool, store_id)
        if store is None:
            return 0
        outcome = await self._tell(
            await self._owner(store),
            Notice("auth_failed", {"store": store.name, "kinds": ", ".join(sorted(set(fresh)))}),
        )
        # A failed send is tried again next run; a process that dies before this line leaves
        # a claim that is taken again after STALE_CLAIM.
        await alerts_repo.confirm_auth_notice(self.pool, store_id, fresh, told=outcome != "failed")
        return 1 if outcome == "sent" else 0

    async def token_expiry(self, *, now: datetime) -> ReminderReport:
        """Remind owners of active stores 14 and 3 days before a token expires."""
        report = ReminderReport()
        for store in await stores_repo.list_stores(self.pool, only_active=True):
            for token in _tokens(store):
                try:
                    expires = inspect_token(token).expires_at
                except TokenFormatError:
                    continue
                if expires is None or expires <= now:
                    continue  # expired tokens surface as auth failures
                left = expires - now
                due = [d for d in REMIND_DAYS if left.total_seconds() <= d * 86400]
                if not due:
                    continue
                days = min(due)
                fingerprint = token_fingerprint(token)
                # The nearest reminder stands for the earlier ones it passed.
                for passed in due:
                    if passed != days:
                        await alerts_repo.claim_token_reminder(
                            self.pool,
                            store.id,
                            fingerprint,
                            passed,
                            expires_at=expires,
                            now=now,
                            stale=STALE_CLAIM,
                            delivered=True,
                        )
                if not await alerts_repo.claim_token_reminder(
                    self.pool,
                    store.id,
                    fingerprint,
                    days,
                    expires_at=expires,
                    now=now,
                    stale=STALE_CLAIM,
                ):
                    report.skipped += 1
                    continue
                outcome = await self._tell(
                    await self._owner(store),
                    Notice(
                        "token_expiring",
                        {
                            "store": store.name,
                            "days": max(1, int(left.total_seconds() // 86400)),
                            "date": expires.astimezone(MSK).date().isoformat(),
                        },
                    ),
                )
                if outcome == "failed":
                    await alerts_repo.release_token_reminder(self.pool, store.id, fingerprint, days)
                    continue
                await alerts_repo.confirm_token_reminder(self.pool, store.id, fingerprint, days)
                if outcome == "sent":
                    report.sent += 1
        return report
