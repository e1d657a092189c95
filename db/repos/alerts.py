"""New-review queue, alert claims, token reminders and sync slots (migration 0007).

Every function that hands out work claims it in one statement or transaction (a conditional
INSERT/UPDATE ... RETURNING, or FOR UPDATE SKIP LOCKED), so any number of processes may call
it at once and each row of work goes to one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg

from db.pool import Conn

# --- the queue of new reviews -------------------------------------------------------------


async def enqueue_new_reviews(
    conn: Conn, store_id: str, review_ids: Sequence[str], *, now: datetime
) -> int:
    if not review_ids:
        return 0
    status = await conn.execute(
        """
        INSERT INTO new_reviews (review_id, store_id, found_at)
        SELECT r.id, r.store_id, $3 FROM reviews r
         WHERE r.id = ANY($2::text[]) AND r.store_id = $1
        ON CONFLICT (review_id) DO NOTHING
        """,
        store_id,
        list(review_ids),
        now,
    )
    return int(status.split()[-1])


NEW_FOR = timedelta(hours=48)
"""Domain-rules "What counts as new": a queue row older than this (found, or the review
dated, that long ago; a store paused and resumed) is closed without drafting or alerting."""

_OLD = "({n}.found_at < $2::timestamptz - {age} OR r.date < $2::timestamptz - {age})"


async def claim_drafting(
    conn: Conn,
    store_id: str,
    *,
    now: datetime,
    limit: int,
    stale: timedelta,
    max_age: timedelta = NEW_FOR,
) -> list[str]:
    """Queued reviews of a store whose auto-drafting is not decided yet, oldest first.
    Rows past `max_age` are closed (decided: nothing to draft) and not returned."""
    await conn.execute(
        f"""
        UPDATE new_reviews n SET draft_done_at = $2
         WHERE n.review_id IN (
               SELECT q.review_id FROM new_reviews q JOIN reviews r ON r.id = q.review_id
                WHERE q.store_id = $1 AND q.draft_done_at IS NULL
                  AND {_OLD.format(n="q", age="$3::interval")}
                  FOR UPDATE OF q SKIP LOCKED)
        """,
        store_id,
        now,
        max_age,
    )
    rows = await conn.fetch(
        """
        UPDATE new_reviews n SET draft_claimed_at = $2, draft_attempts = n.draft_attempts + 1
         WHERE n.review_id IN (
               SELECT q.review_id FROM new_reviews q
                WHERE q.store_id = $1 AND q.draft_done_at IS NULL
                  AND (q.draft_claimed_at IS NULL OR q.draft_claimed_at < $2::timestamptz - $4::interval)
                ORDER BY q.found_at, q.review_id
                LIMIT $3
                  FOR UPDATE SKIP LOCKED)
        RETURNING n.review_id, n.found_at
        """,
        store_id,
        now,
        limit,
        stale,
    )
    return [r["review_id"] for r in sorted(rows, key=lambda r: (r["found_at"], r["review_id"]))]


async def finish_drafting(conn: Conn, review_id: str, *, now: datetime) -> None:
    await conn.execute(
        "UPDATE new_reviews SET draft_done_at = $2 WHERE review_id = $1", review_id, now
    )


async def put_back_drafting(conn: Conn, review_id: str) -> None:
    """Not an attempt after all (a person was drafting it): a later run tries it afresh."""
    await conn.execute(
        """
        UPDATE new_reviews SET draft_claimed_at = NULL,
               draft_attempts = GREATEST(draft_attempts - 1, 0)
         WHERE review_id = $1 AND draft_done_at IS NULL
        """,
        review_id,
    )


async def release_drafting(conn: Conn, review_id: str, *, now: datetime, max_attempts: int) -> None:
    """A failed attempt: retried by a later run, or given up after `max_attempts`."""
    await conn.execute(
        """
        UPDATE new_reviews SET draft_claimed_at = NULL,
               draft_done_at = CASE WHEN draft_attempts >= $3 THEN $2::timestamptz END
         WHERE review_id = $1
        """,
        review_id,
        now,
        max_attempts,
    )


# --- alert claims ---------------------------------------------------------------------------

_QUIET = """COALESCE((SELECT in_quiet_hours(p.quiet_start, p.quiet_end, {hour})
                        FROM user_preferences p WHERE p.user_id = a.user_id), FALSE)"""


async def fan_out(
    pool: asyncpg.Pool,
    *,
    now: datetime,
    hour: int,
    draft_wait: timedelta,
    store_id: str | None = None,
    limit: int = 200,
    max_age: timedelta = NEW_FOR,
) -> tuple[int, list[asyncpg.Record]]:
    """Write the alert rows of queued reviews; returns how many queue rows this call
    finished and the alert rows it claimed to send (none when everyone is in quiet hours or
    above their threshold, though more queue rows may wait: drain by the count).

    A review waits for its auto-drafting to be decided (so the alert carries the draft), but
    no longer than `draft_wait`. Rows for people in quiet hours are written 'held'. Queue
    rows past `max_age` are closed without alerts.
    """
    async with pool.acquire() as conn, conn.transaction():
        picked = await conn.fetch(
            f"""
            SELECT n.review_id, {_OLD.format(n="n", age="$5::interval")} AS old
              FROM new_reviews n JOIN stores s ON s.id = n.store_id
              JOIN reviews r ON r.id = n.review_id
             WHERE n.alerts_done_at IS NULL AND s.status = 'active'
               AND ($1::text IS NULL OR n.store_id = $1)
               AND (n.draft_done_at IS NOT NULL OR n.found_at < $2::timestamptz - $3::interval
                    OR {_OLD.format(n="n", age="$5::interval")})
             ORDER BY n.found_at
             LIMIT $4
               FOR UPDATE OF n SKIP LOCKED
            """,
            store_id,
            now,
            draft_wait,
            limit,
            max_age,
        )
        if not picked:
            return 0, []
        await conn.execute(
            "UPDATE new_reviews SET alerts_done_at = $2 WHERE review_id = ANY($1::text[])",
            [r["review_id"] for r in picked],
            now,
        )
        ids = [r["review_id"] for r in picked if not r["old"]]
        if not ids:
            return len(picked), []
        rows = await conn.fetch(
            """
            WITH people AS (
                SELECT s.id AS store_id, s.owner_id AS user_id FROM stores s
                 WHERE s.id IN (SELECT store_id FROM reviews WHERE id = ANY($1::text[]))
                UNION
                SELECT m.store_id, m.user_id FROM store_members m
                 WHERE m.alerts_enabled
                   AND m.store_id IN (SELECT store_id FROM reviews WHERE id = ANY($1::text[]))
            )
            INSERT INTO review_alerts AS a
                   (review_id, user_id, store_id, status, attempts, claimed_at)
            SELECT r.id, pe.user_id, r.store_id,
                   CASE WHEN in_quiet_hours(p.quiet_start, p.quiet_end, $3)
                        THEN 'held' ELSE 'claimed' END,
                   CASE WHEN in_quiet_hours(p.quiet_start, p.quiet_end, $3) THEN 0 ELSE 1 END,
                   $2
              FROM reviews r
              JOIN people pe ON pe.store_id = r.store_id
              JOIN users u ON u.id = pe.user_id AND u.is_approved
              JOIN telegram_accounts t ON t.user_id = u.id AND NOT t.is_blocked
              LEFT JOIN user_preferences p ON p.user_id = u.id
             WHERE r.id = ANY($1::text[]) AND r.rating <= COALESCE(p.alert_threshold, 3)
            ON CONFLICT (review_id, user_id) DO NOTHING
            RETURNING a.review_id, a.user_id, a.store_id, a.status, a.claimed_at
            """,
            ids,
            now,
            hour,
        )
    return len(picked), [r for r in rows if r["status"] == "claimed"]


async def reclaim_stale(
    conn: Conn,
    *,
    now: datetime,
    hour: int,
    stale: timedelta,
    max_attempts: int,
    limit: int = 200,
    store_id: str | None = None,
) -> list[asyncpg.Record]:
    """Claims older than `stale` without a send (or released by a stopping instance): give
    up, hold, or claim again for us; of one store when `store_id` is given.

    A stale digest claim goes back to 'held' (the next digest carries it). Returns the
    single alerts this call claimed to send again.
    """
    rows = await conn.fetch(
        f"""
        UPDATE review_alerts a
           SET status = CASE WHEN a.attempts >= $4 THEN 'failed'
                             WHEN a.digest OR {_QUIET.format(hour="$2")} THEN 'held'
                             ELSE 'claimed' END,
               error = CASE WHEN a.attempts >= $4 THEN 'gave up' ELSE a.error END,
               digest = FALSE,
               attempts = CASE WHEN a.digest OR {_QUIET.format(hour="$2")}
                               THEN a.attempts ELSE a.attempts + 1 END,
               claimed_at = $1
         WHERE (a.review_id, a.user_id) IN (
               SELECT q.review_id, q.user_id FROM review_alerts q
                WHERE q.status = 'claimed' AND q.claimed_at < $1::timestamptz - $3::interval
                  AND ($6::text IS NULL OR q.store_id = $6)
                ORDER BY q.claimed_at LIMIT $5
                  FOR UPDATE SKIP LOCKED)
        RETURNING a.review_id, a.user_id, a.store_id, a.status, a.claimed_at
        """,
        now,
        hour,
        stale,
        max_attempts,
        limit,
        store_id,
    )
    return [r for r in rows if r["status"] == "claimed"]


async def claim_digests(conn: Conn, *, now: datetime, hour: int) -> list[asyncpg.Record]:
    """Held alerts of people whose quiet hours are over, claimed for one digest each."""
    return await conn.fetch(
        f"""
        UPDATE review_alerts a
           SET status = 'claimed', digest = TRUE, claimed_at = $1, attempts = a.attempts + 1
         WHERE (a.review_id, a.user_id) IN (
               SELECT q.review_id, q.user_id FROM review_alerts q
                WHERE q.status = 'held' FOR UPDATE SKIP LOCKED)
           AND a.status = 'held' AND NOT {_QUIET.format(hour="$2")}
        RETURNING a.review_id, a.user_id, a.store_id, a.status, a.claimed_at
        """,
        now,
        hour,
    )


async def mark_sent(
    conn: Conn, pairs: Sequence[tuple[str, str]], *, claimed_at: datetime, now: datetime
) -> int:
    """Our claim was sent; a claim someone else took over meanwhile is left alone."""
    status = await conn.execute(
        """
        UPDATE review_alerts a SET status = 'sent', sent_at = $4, error = NULL
          FROM unnest($1::text[], $2::text[]) AS x(review_id, user_id)
         WHERE a.review_id = x.review_id AND a.user_id = x.user_id
           AND a.status = 'claimed' AND a.claimed_at = $3
        """,
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        claimed_at,
        now,
    )
    return int(status.split()[-1])


async def release_claims(
    conn: Conn, pairs: Sequence[tuple[str, str]], *, claimed_at: datetime
) -> int:
    """Claims this process will not send (it is stopping): dated back to the epoch, so the
    next sweep of any instance takes them at once instead of after the stale window; the
    attempt is not counted."""
    status = await conn.execute(
        """
        UPDATE review_alerts a
           SET claimed_at = 'epoch', attempts = GREATEST(a.attempts - 1, 0)
          FROM unnest($1::text[], $2::text[]) AS x(review_id, user_id)
         WHERE a.review_id = x.review_id AND a.user_id = x.user_id
           AND a.status = 'claimed' AND a.claimed_at = $3
        """,
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        claimed_at,
    )
    return int(status.split()[-1])


async def mark_failed(
    conn: Conn,
    pairs: Sequence[tuple[str, str]],
    *,
    claimed_at: datetime,
    error: str,
    final: bool,
) -> None:
    """A send that failed: final ('failed'), or left claimed for the stale retry."""
    await conn.execute(
        """
        UPDATE review_alerts a
           SET status = CASE WHEN $5 THEN 'failed' ELSE a.status END, error = $4
          FROM unnest($1::text[], $2::text[]) AS x(review_id, user_id)
         WHERE a.review_id = x.review_id AND a.user_id = x.user_id
           AND a.status = 'claimed' AND a.claimed_at = $3
        """,
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        claimed_at,
        error[:300],
        final,
    )


# --- what alerts show, and to whom ----------------------------------------------------------


async def review_cards(conn: Conn, review_ids: Sequence[str]) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT r.id AS review_id, r.store_id, s.name AS store_name, p.id AS product_id,
               p.name AS product_name, p.vendor_code, p.wb_product_id AS nm_id, r.rating,
               r.text, COALESCE(r.pros, '') AS pros, COALESCE(r.cons, '') AS cons, r.author,
               r.date, c.id AS complaint_id, c.status AS complaint_status,
               c.complaint_text, c.reason_name
          FROM reviews r
          JOIN products p ON p.id = r.product_id
          JOIN stores s ON s.id = r.store_id
          LEFT JOIN review_complaints c ON c.review_id = r.id
         WHERE r.id = ANY($1::text[])
         ORDER BY r.date, r.id
        """,
        list(review_ids),
    )


async def access(conn: Conn, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
    """Checked at delivery time, per (store_id, user_id): None if the person may still get
    the store's alerts (the owner, or a member with alerts on; approved; the store active),
    else why not ('store paused' or 'no access'). A held digest or a stale claim may be
    delivered long after its row was written."""
    rows = await conn.fetch(
        """
        SELECT x.store_id, x.user_id,
               CASE WHEN s.id IS NULL OR s.status <> 'active' THEN 'store paused'
                    WHEN NOT EXISTS (SELECT 1 FROM users o
                                      WHERE o.id = s.owner_id AND o.is_approved)
                         THEN 'store paused'
                    WHEN u.id IS NULL OR NOT u.is_approved THEN 'no access'
                    WHEN s.owner_id = x.user_id THEN NULL
                    WHEN EXISTS (SELECT 1 FROM store_members m
                                  WHERE m.store_id = x.store_id AND m.user_id = x.user_id
                                    AND m.alerts_enabled) THEN NULL
                    ELSE 'no access' END AS refused
          FROM unnest($1::text[], $2::text[]) AS x(store_id, user_id)
          LEFT JOIN stores s ON s.id = x.store_id
          LEFT JOIN users u ON u.id = x.user_id
        """,
        [p[0] for p in pairs],
        [p[1] for p in pairs],
    )
    return {(r["store_id"], r["user_id"]): r["refused"] for r in rows}


async def recipients(conn: Conn, user_ids: Sequence[str]) -> list[asyncpg.Record]:
    """Telegram chat and language of each person (the same choice as the bot's i18n)."""
    return await conn.fetch(
        """
        SELECT t.user_id, t.telegram_id, t.is_blocked,
               COALESCE(p.language,
                        CASE WHEN t.language_code LIKE 'en%' THEN 'en' ELSE 'ru' END) AS language
          FROM telegram_accounts t
          LEFT JOIN user_preferences p ON p.user_id = t.user_id
         WHERE t.user_id = ANY($1::text[])
        """,
        list(user_ids),
    )


# --- token reminders ------------------------------------------------------------------------


async def claim_token_reminder(
    conn: Conn,
    store_id: str,
    token_hash: str,
    days: int,
    *,
    expires_at: datetime,
    now: datetime,
    stale: timedelta,
    delivered: bool = False,
) -> bool:
    """Claim a reminder before its send (`delivered` once it went out, `confirm_token_reminder`);
    an undelivered claim older than `stale` lost its process and is claimed again.
    `delivered=True` records one that needs no send (a nearer reminder stands for it)."""
    row = await conn.fetchval(
        """
        INSERT INTO token_reminders AS t (store_id, token_hash, days, expires_at, sent_at,
                                          delivered)
        VALUES ($1, $2, $3, $4, $5, $7)
        ON CONFLICT (store_id, token_hash, days) DO UPDATE SET sent_at = EXCLUDED.sent_at
         WHERE NOT t.delivered AND t.sent_at < EXCLUDED.sent_at - $6::interval
        RETURNING 1
        """,
        store_id,
        token_hash,
        days,
        expires_at,
        now,
        stale,
        delivered,
    )
    return row is not None


async def confirm_token_reminder(conn: Conn, store_id: str, token_hash: str, days: int) -> None:
    await conn.execute(
        "UPDATE token_reminders SET delivered = TRUE"
        " WHERE store_id = $1 AND token_hash = $2 AND days = $3",
        store_id,
        token_hash,
        days,
    )


async def release_token_reminder(conn: Conn, store_id: str, token_hash: str, days: int) -> None:
    await conn.execute(
        "DELETE FROM token_reminders WHERE store_id = $1 AND token_hash = $2 AND days = $3",
        store_id,
        token_hash,
        days,
    )


# --- sync slots -----------------------------------------------------------------------------


async def due_stores(
    conn: Conn, slot: str, *, now: datetime, tolerance: timedelta = timedelta(0)
) -> list[str]:
    """Active stores of approved owners whose `slot` is due within `tolerance` (or never ran): the candidates
    `claim_slot` decides."""
    rows = await conn.fetch(
        """
        SELECT s.id FROM stores s
          JOIN users o ON o.id = s.owner_id AND o.is_approved
          LEFT JOIN sync_schedule c ON c.store_id = s.id AND c.slot = $1
         WHERE s.status = 'active'
           AND (c.next_run_at IS NULL OR c.next_run_at <= $2::timestamptz + $3::interval)
        """,
        slot,
        now,
        tolerance,
    )
    return [r["id"] for r in rows]


async def claim_slot(
    conn: Conn,
    store_id: str,
    slot: str,
    *,
    now: datetime,
    interval: timedelta,
    tolerance: timedelta = timedelta(0),
) -> bool:
    """Take a store's slot if it is due within `tolerance`; False if it is not due.

    The next slot is this slot plus `interval`, not the claim time plus it: a tick that
    fires a little early or late does not move the schedule, so the interval holds whichever
    instance claims. A slot missed by more than an interval (every instance down) starts
    afresh from now."""
    row = await conn.fetchval(
        """
        INSERT INTO sync_schedule AS s (store_id, slot, next_run_at, last_claimed_at)
        VALUES ($1, $2, $3::timestamptz + $4::interval, $3)
        ON CONFLICT (store_id, slot) DO UPDATE
           SET next_run_at = CASE WHEN s.next_run_at + $4::interval > $3::timestamptz
                                  THEN s.next_run_at + $4::interval
                                  ELSE $3::timestamptz + $4::interval END,
               last_claimed_at = EXCLUDED.last_claimed_at
         WHERE s.next_run_at <= $3::timestamptz + $5::interval
        RETURNING 1
        """,
        store_id,
        slot,
        now,
        interval,
        tolerance,
    )
    return row is not None


async def claim_auth_notice(conn: Conn, store_id: str, *, stale: timedelta) -> list[asyncpg.Record]:
    """Mark a store's unannounced auth failures as announced, returning them with
    `told_before`: the owner already heard (or is being told) about the same token (another
    kind refused it). A claim older than `stale` that was never confirmed (`confirm_auth_notice`)
    belongs to a process that died before the send: it is claimed again."""
    return await conn.fetch(
        """
        WITH before AS (
            SELECT auth_error_token FROM sync_state
             WHERE store_id = $1 AND auth_error IS NOT NULL AND auth_error_notified
               AND (auth_notice_claimed_at IS NULL
                    OR auth_notice_claimed_at >= clock_timestamp() - $2::interval)
        ), claimed AS (
            UPDATE sync_state
               SET auth_error_notified = TRUE, auth_notice_claimed_at = clock_timestamp()
             WHERE store_id = $1 AND auth_error IS NOT NULL
               AND (NOT auth_error_notified
                    OR auth_notice_claimed_at < clock_timestamp() - $2::interval)
            RETURNING kind, auth_error, auth_error_token
        )
        SELECT c.kind, c.auth_error, c.auth_error_token,
               c.auth_error_token IN (SELECT auth_error_token FROM before) AS told_before
          FROM claimed c
        """,
        store_id,
        stale,
    )


async def confirm_auth_notice(
    conn: Conn, store_id: str, kinds: Sequence[str], *, told: bool
) -> None:
    """The send's outcome is known: told (the claim stands for good) or not (claim again)."""
    await conn.execute(
        """
        UPDATE sync_state SET auth_notice_claimed_at = NULL, auth_error_notified = $3
         WHERE store_id = $1 AND kind = ANY($2::text[])
        """,
        store_id,
        list(kinds),
        told,
    )


async def stores_with_queued_drafts(conn: Conn) -> list[str]:
    """Active stores of approved owners with reviews still queued for auto-drafting."""
    rows = await conn.fetch(
        """SELECT DISTINCT n.store_id FROM new_reviews n JOIN stores s ON s.id = n.store_id
             JOIN users o ON o.id = s.owner_id AND o.is_approved
            WHERE n.draft_done_at IS NULL AND s.status = 'active'"""
    )
    return [r["store_id"] for r in rows]
