"""Follow-up sequences (`chat_auto_sequences`): start, stop, and claim due steps safely.

At most one active sequence per chat (unique partial index, migration 0004). Due steps are
claimed with `FOR UPDATE SKIP LOCKED` inside the caller's transaction, so several processes
running the same job never take the same step.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from db.pool import Conn, Connection
from db.repos.chat_reviews import LINKED_REVIEW

FIRST_SET_TYPE = "no_reply_followup"
SECOND_SET_TYPE = "no_reply_followup2"


async def start_sequence(
    conn: Conn,
    chat_id: str,
    *,
    messages: list[dict[str, Any]],
    sequence_type: str,
    next_send_at: datetime,
    max_steps: int = 14,
    stop_message: str | None = None,
    started_at: datetime | None = None,
) -> str | None:
    """Start a sequence for a chat of its store; None if one is already running.
    The chat goes to `awaiting_reply` in the same statement."""
    sequence_id = await conn.fetchval(
        """
        WITH s AS (
            INSERT INTO chat_auto_sequences (chat_id, store_id, owner_id, sequence_type,
                                             messages, max_steps, next_send_at, stop_message,
                                             started_at)
            SELECT c.id, c.store_id, c.owner_id, $2, $3::text::jsonb, $4, $5, $6,
                   COALESCE($7, now())
              FROM chats c WHERE c.id = $1
            ON CONFLICT (chat_id) WHERE status = 'active' DO NOTHING
            RETURNING id, chat_id
        ), moved AS (
            UPDATE chats SET status = 'awaiting_reply', completion_reason = NULL
              FROM s WHERE chats.id = s.chat_id
        )
        SELECT id FROM s
        """,
        chat_id,
        sequence_type,
        json.dumps(messages, ensure_ascii=False),
        max_steps,
        next_send_at,
        stop_message,
        started_at,
    )
    return None if sequence_id is None else str(sequence_id)


async def stop_sequence(conn: Conn, chat_id: str, reason: str) -> bool:
    status = await conn.execute(
        """
        UPDATE chat_auto_sequences SET status = 'stopped', stop_reason = $2, updated_at = now()
         WHERE chat_id = $1 AND status = 'active'
        """,
        chat_id,
        reason,
    )
    return status != "UPDATE 0"


async def active_for_chat(conn: Conn, chat_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM chat_auto_sequences WHERE chat_id = $1 AND status = 'active'", chat_id
    )


async def claim_work(
    conn: Connection, now: datetime, lease_before: datetime, limit: int
) -> list[asyncpg.Record]:
    """Lock due sequences for this transaction, with what the sender needs to decide.

    A sequence whose attempt is younger than the lease is in flight in another process and is
    left alone; an older attempt has lost its result and must be resolved first (also when
    the sequence stopped meanwhile, so the chat's sent list stays true).
    `seller_last` is the chat's latest seller message the sync has stored. A paused store
    (`inactive`) or an owner not approved sends nothing and resolves nothing: its sequences
    wait, untouched, and go on when the store is active again (docs/decisions.md).
    `review_resolved`: the chat's linked review is resolved now, whoever marked it so."""
    return await conn.fetch(
        f"""
        SELECT s.*, c.reply_sign,
               (SELECT max(m.timestamp) FROM chat_messages m
                 WHERE m.chat_id = s.chat_id AND m.sender = 'seller') AS seller_last,
               COALESCE(rv.resolved, FALSE) AS review_resolved
          FROM chat_auto_sequences s JOIN chats c ON c.id = s.chat_id
          JOIN stores st ON st.id = s.store_id AND st.status = 'active'
          JOIN users o ON o.id = st.owner_id AND o.is_approved
          LEFT JOIN LATERAL ({LINKED_REVIEW}) rv ON true
         WHERE ((s.status = 'active' AND s.next_send_at <= $1
                 AND (s.attempt_id IS NULL OR s.attempt_at < $2))
                -- stopped while a send was in flight: its result is still to be found
                OR (s.status <> 'active' AND s.attempt_id IS NOT NULL AND s.attempt_at < $2))
         ORDER BY s.next_send_at
         LIMIT $3
           FOR UPDATE OF s SKIP LOCKED
        """,
        now,
        lease_before,
        limit,
    )


async def postpone(conn: Conn, sequence_id: str, next_send_at: datetime) -> None:
    await conn.execute(
        "UPDATE chat_auto_sequences SET next_send_at = $2, updated_at = now() WHERE id = $1",
        sequence_id,
        next_send_at,
    )


async def record_attempt(
    conn: Conn, sequence_id: str, attempt_id: str, step: int, text: str, at: datetime
) -> None:
    """Committed before the WB call: whoever finds it later knows a send may have happened."""
    await conn.execute(
        """
        UPDATE chat_auto_sequences
           SET attempt_id = $2, attempt_step = $3, attempt_text = $4, attempt_at = $5,
               updated_at = now()
         WHERE id = $1
        """,
        sequence_id,
        attempt_id,
        step,
        text,
        at,
    )


async def touch_attempt(conn: Conn, sequence_id: str, attempt_id: str, at: datetime) -> None:
    """Take over an unresolved attempt for resolution (a new lease, same attempt)."""
    await conn.execute(
        "UPDATE chat_auto_sequences SET attempt_at = $3 WHERE id = $1 AND attempt_id = $2",
        sequence_id,
        attempt_id,
        at,
    )


async def record_sent(
    conn: Connection,
    sequence_id: str,
    attempt_id: str,
    *,
    sent_at: datetime,
    next_send_at: datetime,
    finished_reason: str | None,
) -> bool:
    """The attempt's step was accepted by WB: advance the step, append the text to the chat's
    sent list of its set, finish when it was the last one. Only the attempt's own holder can
    record it (`attempt_id`), so a result is recorded once."""
    row = await conn.fetchrow(
        """
        WITH old AS (
            SELECT id, chat_id, sequence_type, attempt_text, attempt_step
              FROM chat_auto_sequences WHERE id = $1 AND attempt_id = $2 FOR UPDATE
        ), upd AS (
            UPDATE chat_auto_sequences s
               SET current_step = old.attempt_step + 1, last_sent_at = $3, next_send_at = $4,
                   status = CASE WHEN $5::text IS NOT NULL AND s.status = 'active'
                                 THEN 'completed' ELSE s.status END,
                   stop_reason = CASE WHEN $5::text IS NOT NULL AND s.status = 'active'
                                      THEN $5 ELSE s.stop_reason END,
                   attempt_id = NULL, attempt_step = NULL, attempt_at = NULL,
                   attempt_text = NULL, last_error = NULL, failures = 0, updated_at = now()
              FROM old WHERE s.id = old.id
            RETURNING s.id
        ), chat AS (
            UPDATE chats c
               SET sent_no_reply_messages = CASE WHEN old.sequence_type = $6
                       THEN c.sent_no_reply_messages
                       ELSE COALESCE(c.sent_no_reply_messages, '[]'::jsonb)
                            || jsonb_build_array(old.attempt_text) END,
                   sent_no_reply_messages2 = CASE WHEN old.sequence_type = $6
                       THEN COALESCE(c.sent_no_reply_messages2, '[]'::jsonb)
                            || jsonb_build_array(old.attempt_text)
                       ELSE c.sent_no_reply_messages2 END,
                   updated_at = now()
              FROM old WHERE c.id = old.chat_id
        )
        SELECT id FROM upd
        """,
        sequence_id,
        attempt_id,
        sent_at,
        next_send_at,
        finished_reason,
        SECOND_SET_TYPE,
    )
    return row is not None


async def record_failure(
    conn: Conn, sequence_id: str, attempt_id: str, *, error: str, retry_at: datetime
) -> None:
    """WB refused for now (not accepted): clear the attempt, same step later."""
    await conn.execute(
        """
        UPDATE chat_auto_sequences
           SET attempt_id = NULL, attempt_step = NULL, attempt_at = NULL, attempt_text = NULL,
               last_error = $3, failures = failures + 1, next_send_at = $4, updated_at = now()
         WHERE id = $1 AND attempt_id = $2
        """,
        sequence_id,
        attempt_id,
        error[:500],
        retry_at,
    )


async def keep_unresolved(
    conn: Conn,
    sequence_id: str,
    attempt_id: str,
    *,
    error: str,
    retry_at: datetime,
    resolvable_from: datetime,
) -> None:
    """WB may have accepted the send: keep the attempt (marked old enough to be resolved from
    events at `retry_at`), never send it blindly."""
    await conn.execute(
        """
        UPDATE chat_auto_sequences
           SET last_error = $3, failures = failures + 1, next_send_at = $4, attempt_at = $5,
               updated_at = now()
         WHERE id = $1 AND attempt_id = $2
        """,
        sequence_id,
        attempt_id,
        error[:500],
        retry_at,
        resolvable_from,
    )


async def record_refused(conn: Conn, sequence_id: str, attempt_id: str | None, detail: str) -> bool:
    """WB refuses for good: the sequence stops with the reason."""
    status = await conn.execute(
        """
        UPDATE chat_auto_sequences
           SET status = 'stopped', stop_reason = 'wb_refused', stop_detail = $3,
               attempt_id = NULL, attempt_step = NULL, attempt_at = NULL, attempt_text = NULL,
               updated_at = now()
         WHERE id = $1 AND status = 'active' AND attempt_id IS NOT DISTINCT FROM $2
        """,
        sequence_id,
        attempt_id,
        detail[:500],
    )
    return status != "UPDATE 0"


async def finish(conn: Conn, sequence_id: str, reason: str) -> None:
    await conn.execute(
        """
        UPDATE chat_auto_sequences SET status = 'completed', stop_reason = $2, updated_at = now()
         WHERE id = $1 AND status = 'active'
        """,
        sequence_id,
        reason,
    )


async def claim_owner_notices(
    conn: Conn, *, at: datetime, stale: timedelta, max_attempts: int, limit: int = 100
) -> list[asyncpg.Record]:
    """Refused sequences whose owner was not told yet: unclaimed (new, or given back by a
    stopping process) or a claim gone stale. `claimed_at` is this claim's time."""
    return list(
        await conn.fetch(
            """
            UPDATE chat_auto_sequences s
               SET owner_notice_claimed_at = $1, owner_notice_attempts = s.owner_notice_attempts + 1
              FROM chats c, stores st
             WHERE s.id IN (
                   SELECT x.id FROM chat_auto_sequences x
                    WHERE x.stop_reason = 'wb_refused' AND x.owner_told_at IS NULL
                      AND x.owner_notice_attempts < $3
                      AND (x.owner_notice_claimed_at IS NULL
                           OR x.owner_notice_claimed_at < $1::timestamptz - $2::interval)
                    ORDER BY x.id LIMIT $4 FOR UPDATE SKIP LOCKED)
               AND c.id = s.chat_id AND st.id = s.store_id
            RETURNING s.id, s.owner_id, s.stop_detail, c.client_name, st.name AS store_name,
                      s.owner_notice_claimed_at AS claimed_at
            """,
            at,
            stale,
            max_attempts,
            limit,
        )
    )


async def owner_told(conn: Conn, sequence_id: str, *, claimed_at: datetime, at: datetime) -> None:
    """The notice went (or never can: no chat, blocked), if this claim still stands."""
    await conn.execute(
        """UPDATE chat_auto_sequences SET owner_told_at = $3
            WHERE id = $1 AND owner_notice_claimed_at = $2 AND owner_told_at IS NULL""",
        sequence_id,
        claimed_at,
        at,
    )


async def release_owner_notice(conn: Conn, sequence_id: str, *, claimed_at: datetime) -> None:
    """A stopping process gives the claim back: the next run of any instance takes it; the
    attempt is not counted."""
    await conn.execute(
        """UPDATE chat_auto_sequences
              SET owner_notice_claimed_at = NULL,
                  owner_notice_attempts = GREATEST(owner_notice_attempts - 1, 0)
            WHERE id = $1 AND owner_notice_claimed_at = $2 AND owner_told_at IS NULL""",
        sequence_id,
        claimed_at,
    )


async def start_on_trigger(
    conn: Conn,
    store_id: str,
    messages: Sequence[tuple[str, str, datetime]],
) -> list[tuple[str, int]]:
    """Chats whose new seller message contains the owner's trigger phrase of a set, when the
    store has auto-start on, with the set it matched (1 or 2): `[chat_id, ...]` with sets in
    the records. Messages the sequences themselves sent never trigger."""
    if not messages:
        return []
    rows = await conn.fetch(
        f"""
        SELECT DISTINCT ON (x.chat_id) x.chat_id,
               CASE WHEN us.no_reply_trigger_phrase IS NOT NULL
                         AND btrim(us.no_reply_trigger_phrase) <> ''
                         AND strpos(lower(x.text), lower(btrim(us.no_reply_trigger_phrase))) > 0
                    THEN 1 ELSE 2 END AS set_no
          FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS x(chat_id, text, ts)
          JOIN stores st ON st.id = $1 AND st.is_auto_no_reply_enabled IS TRUE
                        AND st.status = 'active'
          JOIN user_settings us ON us.id = st.owner_id
          JOIN chats c ON c.id = x.chat_id AND c.store_id = $1
          LEFT JOIN LATERAL ({LINKED_REVIEW}) rv ON true
         WHERE ((us.no_reply_trigger_phrase IS NOT NULL AND btrim(us.no_reply_trigger_phrase) <> ''
                 AND strpos(lower(x.text), lower(btrim(us.no_reply_trigger_phrase))) > 0)
             OR (us.no_reply_trigger_phrase2 IS NOT NULL
                 AND btrim(us.no_reply_trigger_phrase2) <> ''
                 AND strpos(lower(x.text), lower(btrim(us.no_reply_trigger_phrase2))) > 0))
           AND NOT (COALESCE(c.sent_no_reply_messages, '[]'::jsonb)
                    || COALESCE(c.sent_no_reply_messages2, '[]'::jsonb))
                   @> jsonb_build_array(x.text)
           AND NOT EXISTS (SELECT 1 FROM chat_auto_sequences s
                            WHERE s.chat_id = x.chat_id AND s.started_at >= x.ts)
           -- 5 star reviews are never worked; a resolved review's chat work is over
           AND rv.rating IS DISTINCT FROM 5 AND NOT COALESCE(rv.resolved, FALSE)
         ORDER BY x.chat_id, x.ts DESC
        """,
        store_id,
        [m[0] for m in messages],
        [m[1] for m in messages],
        [m[2] for m in messages],
    )
    return [(str(r["chat_id"]), int(r["set_no"])) for r in rows]


async def claim_due(conn: Connection, now: datetime, limit: int = 50) -> list[asyncpg.Record]:
    """Lock due active sequences for this transaction; others skip them."""
    return await conn.fetch(
        """
        SELECT * FROM chat_auto_sequences
         WHERE status = 'active' AND next_send_at <= $1
         ORDER BY next_send_at
         LIMIT $2
           FOR UPDATE SKIP LOCKED
        """,
        now,
        limit,
    )


async def active_sequence(conn: Conn, chat_id: str) -> asyncpg.Record | None:
    """The chat's running sequence (the chat card's "sequence state" line), if any."""
    return await conn.fetchrow(
        """SELECT id, sequence_type, current_step, max_steps, next_send_at, last_sent_at
             FROM chat_auto_sequences WHERE chat_id = $1 AND status = 'active'""",
        chat_id,
    )


async def last_sequence(conn: Conn, chat_id: str) -> asyncpg.Record | None:
    """The chat's latest sequence, running or not (the card says how the last one ended)."""
    return await conn.fetchrow(
        """SELECT id, status, stop_reason, current_step, max_steps, updated_at
             FROM chat_auto_sequences WHERE chat_id = $1
            ORDER BY (status = 'active') DESC, started_at DESC, id DESC LIMIT 1""",
        chat_id,
    )


async def chat_for_start(conn: Conn, chat_id: str) -> asyncpg.Record | None:
    """The chat, with its linked review's stars and whether that review is resolved."""
    return await conn.fetchrow(
        f"""SELECT c.id, c.store_id, c.owner_id, c.status, c.reply_sign,
                   rv.rating AS review_rating, COALESCE(rv.resolved, FALSE) AS review_resolved
              FROM chats c LEFT JOIN LATERAL ({LINKED_REVIEW}) rv ON true
             WHERE c.id = $1""",
        chat_id,
    )


async def set_auto_start(conn: Conn, store_id: str, enabled: bool) -> bool:
    """`stores.is_auto_no_reply_enabled`: the trigger phrase starts sequences in this store."""
    status = await conn.execute(
        "UPDATE stores SET is_auto_no_reply_enabled = $2, updated_at = now() WHERE id = $1",
        store_id,
        enabled,
    )
    return status != "UPDATE 0"
