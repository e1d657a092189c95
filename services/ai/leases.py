"""One LLM job per object at a time, across processes, without holding a connection.

`ai_lease` claims the object's row in `ai_leases` (one short statement), runs the body with
no connection and no lock held, and deletes the row after. Two processes (or two presses)
drafting the same review: the second is refused at once and pays nothing. A process that
dies mid-call leaves a row that expires after `ttl`, and the next claim takes it over.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import asyncpg

from db.claims import STALE_CLAIM
from db.repos.leases import LeaseKind, claim_lease, release_lease
from services.ai.client import AIConfig

log = logging.getLogger(__name__)

AI_LEASE_TTL = STALE_CLAIM
"""The least a lease lasts: a live holder must not lose it to a second payer, and a dead one
blocks the object for about this long (the one claim window, `db/claims.py`); AI settings
that make a drafting job longer stretch it (`lease_ttl`)."""


def lease_ttl(config: AIConfig) -> timedelta:
    """How long a drafting job may take: two logical calls (an invalid or refused answer is
    asked once more), every attempt of each timing out with the longest backoff after it;
    never less than `AI_LEASE_TTL`, which leaves room for the wait for a free slot."""
    one_call = config.attempts * (config.timeout_seconds + config.backoff_max_seconds)
    return max(AI_LEASE_TTL, timedelta(seconds=2 * one_call))


@contextlib.asynccontextmanager
async def ai_lease(
    pool: asyncpg.Pool,
    kind: LeaseKind,
    object_id: str,
    *,
    busy: Callable[[], Exception],
    ttl: timedelta = AI_LEASE_TTL,
) -> AsyncIterator[None]:
    """Hold the lease of (`kind`, `object_id`) while the body runs; `busy()` is raised when
    someone else holds it."""
    holder = uuid.uuid4().hex
    if not await claim_lease(pool, kind, object_id, holder, ttl=ttl):
        raise busy()
    try:
        yield
    finally:
        try:
            await release_lease(pool, kind, object_id, holder)
        except Exception:  # the row expires on its own; the body's outcome matters more
            log.warning("could not release the %s lease of %s", kind, object_id, exc_info=True)
