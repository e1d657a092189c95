"""Automatic replies to 4-5 star reviews: settings, and the `autoreplies` rows that make each
review's automatic reply happen at most once (services/autoreplies.py).

Every claim is one conditional statement (or a short transaction under a per-store advisory
lock for the daily cap), so any number of instances can run the job; the clock is the caller's
(`now`), so tests drive time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from db.pool import Conn, Connection
from db.repos.reviews import RESOLVED

# --------------------------------------------------------------------------- settings


async def modes(conn: Conn, store_id: str) -> dict[int, str]:
    rows = await conn.fetch(
        "SELECT rating, mode FROM autoreply_modes WHERE store_id = $1", store_id
    )
    return {int(r["rating"]): r["mode"] for r in rows}


async def set_mode(conn: Conn, store_id: str, rating: int, mode: str) -> None:
    await conn.execute(
        "INSERT INTO autoreply_modes (store_id, rating, mode) VALUES ($1, $2, $3)"
        " ON CONFLICT (store_id, rating) DO UPDATE SET mode = EXCLUDED.mode",
        store_id,
        rating,
        mode,
    )


async def limits(conn: Conn, store_id: str) -> tuple[int, int] | None:
    """(daily_cap, cancel_minutes), None when the store keeps the defaults."""
    row = await conn.fetchrow(
        "SELECT daily_cap, cancel_minutes FROM autoreply_settings WHERE store_id = $1", store_id
    )
    return None if row is None else (int(row["daily_cap"]), int(row["cancel_minutes"]))


async def set_limits(conn: Conn, store_id: str, *, daily_cap: int, cancel_minutes: int) -> None:
    await conn.execute(
        "INSERT INTO autoreply_settings (store_id, daily_cap, cancel_minutes) VALUES ($1, $2, $3)"
        " ON CONFLICT (store_id) DO UPDATE"
        " SET daily_cap = EXCLUDED.daily_cap, cancel_minutes = EXCLUDED.cancel_minutes",
        store_id,
        daily_cap,
        cancel_minutes,
    )


async def excluded(conn: Conn, store_id: str) -> list[Any]:
    return list(
        await conn.fetch(
            "SELECT p.id, p.name, p.vendor_code FROM autoreply_excluded e"
            " JOIN products p ON p.id = e.product_id WHERE e.store_id = $1 ORDER BY p.name, p.id",
            store_id,
        )
    )


async def set_excluded(conn: Conn, store_id: str, product_id: str, excluded_: bool) -> None:
    if excluded_:
        await conn.execute(
            "INSERT INTO autoreply_excluded (store_id, product_id)"
            " SELECT store_id, id FROM products WHERE id = $2 AND store_id = $1"
            " ON CONFLICT DO NOTHING",
            store_id,
            product_id,
        )
    else:
        await conn.execute(
            "DELETE FROM autoreply_excluded WHERE store_id = $1 AND product_id = $2",
            store_id,
            product_id,
        )


# --------------------------------------------------------------------------- the job

_INTAKE_COLUMNS = """
r.id, r.store_id, r.product_id, r.rating, r.text, r.pros, r.cons, r.author, r.date,
COALESCE(m.mode, 'off') AS mode, (e.product_id IS NOT NULL) AS excluded
"""


async def claim_intake(
    conn: Conn, *, now: datetime, holder: str, since: datetime, stale: timedelta, limit: int
) -> list[Any]:
    """New 4-5 star reviews of stores whose mode for that rating is not 'off', not resolved
    (WB still shows them: `reviews.RESOLVED`), and drafts a lost process left behind, claimed
    as 'drafting' by `holder`: the primary key decides."""
    return list(
        await conn.fetch(
            f"""
            WITH fresh AS (
                INSERT INTO autoreplies (review_id, store_id, product_id, rating, state,
                                         claimed_at, claimed_by, created_at)
                SELECT r.id, r.store_id, r.product_id, r.rating, 'drafting', $1, $2, $1
                  FROM reviews r
                  JOIN autoreply_modes m
                    ON m.store_id = r.store_id AND m.rating = r.rating AND m.mode <> 'off'
                 WHERE r.has_answer IS NOT TRUE AND r.rating IN (4, 5) AND r.date >= $3
                   AND NOT {RESOLVED}
                   AND NOT EXISTS (SELECT 1 FROM autoreplies a WHERE a.review_id = r.id)
                 ORDER BY r.date, r.id
                 LIMIT $5
                ON CONFLICT (review_id) DO NOTHING
                RETURNING review_id
            ), lost AS (
                UPDATE autoreplies a SET claimed_at = $1, claimed_by = $2
                 WHERE a.review_id IN (
                       SELECT review_id FROM autoreplies
                        WHERE state = 'drafting' AND claimed_at < $1::timestamptz - $4::interval
                        ORDER BY claimed_at LIMIT $5 FOR UPDATE SKIP LOCKED)
                RETURNING a.review_id
            )
            SELECT {_INTAKE_COLUMNS}
              FROM reviews r
              LEFT JOIN autoreply_modes m ON m.store_id = r.store_id AND m.rating = r.rating
              LEFT JOIN autoreply_excluded e
                     ON e.store_id = r.store_id AND e.product_id = r.product_id
             WHERE r.id IN (SELECT review_id FROM fresh UNION SELECT review_id FROM lost)
             ORDER BY r.date, r.id
            """,
            now,
            holder,
            since,
            stale,
            limit,
        )
    )


async def product_record(conn: Conn, product_id: str) -> Any:
    """The product's row as the AI's product block reads it (`ProductInfo.from_record`)."""
    return await conn.fetchrow(
        "SELECT id, name, vendor_code, wb_product_id, wb_api_data FROM products WHERE id = $1",
        product_id,
    )


async def lock_product(conn: Conn, product_id: str) -> None:
    """Held to the end of the caller's transaction: one instance at a time records a reply
    about this product, after comparing it with the day's others."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('autoreply-product:' || $1))", product_id
    )


async def earlier_texts(conn: Conn, product_id: str, *, since: datetime) -> list[str]:
    """Automatic and suggested reply texts about this product since `since` (the day's start)."""
    rows = await conn.fetch(
        "SELECT text FROM autoreplies WHERE product_id = $1 AND created_at >= $2"
        " AND text IS NOT NULL AND state IN ('shadow', 'suggested', 'scheduled', 'sending', 'sent')"
        " ORDER BY created_at",
        product_id,
        since,
    )
    return [r["text"] for r in rows]


async def finish_draft(
    conn: Conn,
    review_id: str,
    holder: str,
    *,
    state: str,
    text: str | None,
    reason: str | None,
    due_at: datetime | None,
) -> bool:
    """Record the drafting holder's outcome; False when the claim was lost meanwhile."""
    done = await conn.fetchval(
        "UPDATE autoreplies SET state = $3, text = $4, reason = $5, due_at = $6,"
        " claimed_at = NULL, claimed_by = NULL"
        " WHERE review_id = $1 AND state = 'drafting' AND claimed_by = $2 RETURNING true",
        review_id,
        holder,
        state,
        text,
        reason,
        due_at,
    )
    return bool(done)


async def stores_with_due(conn: Conn, *, now: datetime, stale: timedelta) -> list[str]:
    rows = await conn.fetch(
        "SELECT DISTINCT store_id FROM autoreplies"
        " WHERE (state = 'scheduled' AND due_at <= $1)"
        "    OR (state = 'sending' AND claimed_at < $1::timestamptz - $2::interval)",
        now,
        stale,
    )
    return [r["store_id"] for r in rows]


async def claim_sends(
    conn: Connection,
    store_id: str,
    *,
    now: datetime,
    day_start: datetime,
    holder: str,
    cap: int,
    stale: timedelta,
    limit: int,
) -> tuple[list[Any], int]:
    """Due replies of one store claimed as 'sending' by `holder`, within the day's cap.

    One transaction under the store's advisory lock, so two instances never both take the
    last place under the cap. Each claim also takes the review's `review_publishes` row (a
    person's publish then waits; a person's own claim makes us skip). A 'sending' row whose
    holder died is taken over: the sender checks WB before sending again. Returns the
    claimed rows and how many due replies were over the cap (left 'scheduled' for tomorrow)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('autoreply:' || $1))", store_id)
        used = await conn.fetchval(
            "SELECT count(*) FROM autoreplies WHERE store_id = $1"
            " AND ((state = 'sent' AND sent_at >= $2) OR state = 'sending')",
            store_id,
            day_start,
        )
        room = max(0, cap - int(used or 0))
        lost = await conn.fetch(
            "SELECT review_id FROM autoreplies WHERE store_id = $1 AND state = 'sending'"
            " AND claimed_at < $2::timestamptz - $3::interval",
            store_id,
            now,
            stale,
        )
        due = await conn.fetch(
            "SELECT a.review_id FROM autoreplies a WHERE a.store_id = $1"
            " AND a.state = 'scheduled' AND a.due_at <= $2 ORDER BY a.due_at, a.review_id",
            store_id,
            now,
        )
        take = [r["review_id"] for r in lost] + [r["review_id"] for r in due[: min(room, limit)]]
        over = max(0, len(due) - room)
        if not take:
            return [], over
        rows = await conn.fetch(
            f"""
            UPDATE autoreplies a SET state = 'sending', claimed_at = $2, claimed_by = $3
              FROM reviews r
             WHERE a.review_id = ANY($1::text[]) AND r.id = a.review_id
               AND a.state IN ('scheduled', 'sending')
            RETURNING a.review_id, a.store_id, a.product_id, a.rating, a.text,
                      r.has_answer, r.draft_reply, {RESOLVED} AS not_shown
            """,
            take,
            now,
            holder,
        )
        out = []
        for row in rows:
            if row["not_shown"]:  # WB excluded, unpublished or removed it meanwhile
                await conn.execute(
                    "UPDATE autoreplies SET state = 'skipped', reason = 'not_shown',"
                    " claimed_at = NULL, claimed_by = NULL WHERE review_id = $1",
                    row["review_id"],
                )
                continue
            got = await conn.fetchval(
                """
                INSERT INTO review_publishes AS p (review_id, state, text, started_at)
                VALUES ($1, 'publishing', $2, $3)
                ON CONFLICT (review_id) DO UPDATE SET started_at = EXCLUDED.started_at,
                                                      state = 'publishing'
                 WHERE p.text = EXCLUDED.text
                RETURNING true
                """,
                row["review_id"],
                row["text"],
                now,
            )
            if row["has_answer"] or not got:
                await conn.execute(
                    "UPDATE autoreplies SET state = 'skipped', reason = 'answered',"
                    " claimed_at = NULL, claimed_by = NULL WHERE review_id = $1",
                    row["review_id"],
                )
                continue
            out.append(row)
        return out, over


async def record_sent(
    conn: Connection, review_id: str, holder: str, text: str, *, now: datetime
) -> bool:
    """WB has our reply: the review is answered and the claims are done."""
    async with conn.transaction():
        done = await conn.fetchval(
            "UPDATE autoreplies SET state = 'sent', sent_at = $3, claimed_at = NULL,"
            " claimed_by = NULL WHERE review_id = $1 AND state = 'sending' AND claimed_by = $2"
            " RETURNING true",
            review_id,
            holder,
            now,
        )
        await conn.execute(
            """
            UPDATE reviews
               SET answer = jsonb_build_object('text', $2::text, 'state', 'wbRu', 'editable', TRUE),
                   has_answer = TRUE, draft_reply = NULL
             WHERE id = $1
            """,
            review_id,
            text,
        )
        await conn.execute(
            "DELETE FROM review_publishes WHERE review_id = $1 AND text = $2", review_id, text
        )
        return bool(done)


async def release_sends(conn: Connection, review_ids: Sequence[str], holder: str) -> int:
    """A stopping process gives back sends it claimed and did not start: scheduled again (any
    instance's next tick sends them, not after the stale window), the publish claim freed."""
    async with conn.transaction():
        released = await conn.fetch(
            "UPDATE autoreplies SET state = 'scheduled', claimed_at = NULL, claimed_by = NULL"
            " WHERE review_id = ANY($1::text[]) AND state = 'sending' AND claimed_by = $2"
            " RETURNING review_id, text",
            list(review_ids),
            holder,
        )
        await conn.execute(
            """DELETE FROM review_publishes p USING unnest($1::text[], $2::text[]) AS x(rid, t)
                WHERE p.review_id = x.rid AND p.text = x.t AND p.state = 'publishing'""",
            [r["review_id"] for r in released],
            [r["text"] for r in released],
        )
    return len(released)


async def record_skipped(
    conn: Connection, review_id: str, holder: str, reason: str, *, answered: bool
) -> None:
    """Not sent: answered elsewhere (`answered`), or WB surely refused."""
    async with conn.transaction():
        await conn.execute(
            "UPDATE autoreplies SET state = 'skipped', reason = $3, claimed_at = NULL,"
            " claimed_by = NULL WHERE review_id = $1 AND state = 'sending' AND claimed_by = $2",
            review_id,
            holder,
            reason,
        )
        await conn.execute(
            "DELETE FROM review_publishes WHERE review_id = $1"
            " AND text = (SELECT text FROM autoreplies WHERE review_id = $1)",
            review_id,
        )
        if answered:
            await conn.execute("UPDATE reviews SET has_answer = TRUE WHERE id = $1", review_id)


async def cancel(conn: Conn, review_id: str) -> str | None:
    """'cancelled' when it was still waiting; otherwise the state it is in (too late)."""
    done = await conn.fetchval(
        "UPDATE autoreplies SET state = 'cancelled' WHERE review_id = $1"
        " AND state IN ('scheduled', 'suggested') RETURNING state",
        review_id,
    )
    if done:
        return "cancelled"
    state: str | None = await conn.fetchval(
        "SELECT state FROM autoreplies WHERE review_id = $1", review_id
    )
    return state


async def get(conn: Conn, review_id: str) -> Any:
    return await conn.fetchrow(
        "SELECT a.*, p.name AS product_name, r.text AS review_text, r.author"
        " FROM autoreplies a JOIN reviews r ON r.id = a.review_id"
        " JOIN products p ON p.id = a.product_id WHERE a.review_id = $1",
        review_id,
    )


async def listing(
    conn: Conn, store_id: str, states: Sequence[str], *, since: datetime, limit: int, offset: int
) -> list[Any]:
    """Rows of a store in `states` since `since`, newest first (the shadow list, the queue)."""
    return list(
        await conn.fetch(
            "SELECT a.review_id, a.rating, a.state, a.reason, a.text, a.due_at, a.created_at,"
            " p.name AS product_name, r.text AS review_text"
            " FROM autoreplies a JOIN reviews r ON r.id = a.review_id"
            " JOIN products p ON p.id = a.product_id"
            " WHERE a.store_id = $1 AND a.state = ANY($2::text[]) AND a.created_at >= $3"
            " ORDER BY a.created_at DESC, a.review_id LIMIT $4 OFFSET $5",
            store_id,
            list(states),
            since,
            limit,
            offset,
        )
    )


async def mark_suggestion_sent(conn: Conn, review_id: str, *, now: datetime) -> None:
    await conn.execute(
        "UPDATE autoreplies SET state = 'sent', sent_at = $2 WHERE review_id = $1"
        " AND state = 'suggested'",
        review_id,
        now,
    )


async def put_suggestion_draft(conn: Conn, review_id: str) -> str | None:
    """The suggestion's text becomes the review's draft (the reviews publish sends it)."""
    text: str | None = await conn.fetchval(
        "UPDATE reviews r SET draft_reply = a.text FROM autoreplies a"
        " WHERE a.review_id = r.id AND r.id = $1 AND a.state = 'suggested'"
        " AND r.has_answer IS NOT TRUE RETURNING a.text",
        review_id,
    )
    return text


async def store_name(conn: Conn, store_id: str) -> str | None:
    name: str | None = await conn.fetchval("SELECT name FROM stores WHERE id = $1", store_id)
    return name


async def exclusion_page(conn: Conn, store_id: str, *, limit: int, offset: int) -> list[Any]:
    """The store's products, most reviewed first, with whether automatic replies skip them."""
    return list(
        await conn.fetch(
            "SELECT p.id, p.name, p.vendor_code, (e.product_id IS NOT NULL) AS excluded"
            " FROM products p LEFT JOIN autoreply_excluded e"
            "   ON e.store_id = p.store_id AND e.product_id = p.id"
            " WHERE p.store_id = $1"
            " ORDER BY p.review_count DESC NULLS LAST, p.name, p.id LIMIT $2 OFFSET $3",
            store_id,
            limit,
            offset,
        )
    )


async def product_store(conn: Conn, product_id: str) -> str | None:
    sid: str | None = await conn.fetchval("SELECT store_id FROM products WHERE id = $1", product_id)
    return sid


# --------------------------------------------------------------------------- announcements


async def enqueue_announcements(conn: Conn, review_id: str) -> None:
    """A reply just scheduled: one 'pending' announcement per person who works its store (the
    owner and managers with alerts on, approved, with a Telegram chat not blocked)."""
    await conn.execute(
        """
        WITH r AS (SELECT store_id FROM autoreplies WHERE review_id = $1),
        people AS (
            SELECT s.owner_id AS user_id, s.id AS store_id
              FROM r JOIN stores s ON s.id = r.store_id AND s.status = 'active'
            UNION
            SELECT m.user_id, m.store_id
              FROM r JOIN store_members m ON m.store_id = r.store_id AND m.alerts_enabled
        )
        INSERT INTO autoreply_announcements (review_id, user_id, store_id)
        SELECT $1, pe.user_id, pe.store_id
          FROM people pe
          JOIN users u ON u.id = pe.user_id AND u.is_approved
          JOIN telegram_accounts t ON t.user_id = u.id AND NOT t.is_blocked
        ON CONFLICT DO NOTHING
        """,
        review_id,
    )


async def claim_announcements(
    conn: Conn, *, now: datetime, hour: int, stale: timedelta, max_attempts: int, limit: int
) -> list[Any]:
    """Pending rows and stale claims of people not in quiet hours, with what the message
    shows (`state`: the reply's state now; 'scheduled' is still in its cancel window)."""
    return list(
        await conn.fetch(
            """
            UPDATE autoreply_announcements a
               SET status = 'claimed', claimed_at = $1, attempts = a.attempts + 1
              FROM autoreplies r, reviews v, stores s
             WHERE r.review_id = a.review_id AND v.id = a.review_id AND s.id = a.store_id
               AND (a.review_id, a.user_id) IN (
                   SELECT x.review_id, x.user_id FROM autoreply_announcements x
                     LEFT JOIN user_preferences p ON p.user_id = x.user_id
                    WHERE (x.status = 'pending'
                           OR (x.status = 'claimed'
                               AND x.claimed_at < $1::timestamptz - $3::interval
                               AND x.attempts < $4))
                      AND NOT COALESCE(in_quiet_hours(p.quiet_start, p.quiet_end, $2), FALSE)
                    ORDER BY x.user_id LIMIT $5 FOR UPDATE OF x SKIP LOCKED)
            RETURNING a.review_id, a.user_id, a.store_id, a.claimed_at, s.name AS store_name,
                      r.product_id, r.rating, v.text AS review_text, r.text, r.due_at, r.state
            """,
            now,
            hour,
            stale,
            max_attempts,
            limit,
        )
    )


async def finish_announcements(
    conn: Conn,
    pairs: Sequence[tuple[str, str]],
    *,
    claimed_at: datetime,
    status: str,
    now: datetime,
) -> None:
    """'sent', or 'failed' for good (blocked, no chat), if this claim still stands."""
    await conn.execute(
        """
        UPDATE autoreply_announcements a
           SET status = $4, sent_at = CASE WHEN $4 = 'sent' THEN $5::timestamptz END
          FROM unnest($1::text[], $2::text[]) AS x(rid, uid)
         WHERE a.review_id = x.rid AND a.user_id = x.uid
           AND a.status = 'claimed' AND a.claimed_at = $3
        """,
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        claimed_at,
        status,
        now,
    )


async def release_announcements(
    conn: Conn, pairs: Sequence[tuple[str, str]], *, claimed_at: datetime
) -> None:
    """A stopping process gives its claims back: pending again, the attempt not counted."""
    await conn.execute(
        """
        UPDATE autoreply_announcements a
           SET status = 'pending', claimed_at = NULL, attempts = GREATEST(a.attempts - 1, 0)
          FROM unnest($1::text[], $2::text[]) AS x(rid, uid)
         WHERE a.review_id = x.rid AND a.user_id = x.uid
           AND a.status = 'claimed' AND a.claimed_at = $3
        """,
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        claimed_at,
    )
