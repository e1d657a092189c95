"""Questions from WB: sync upserts; the list, card and publish claims people work with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from db.pool import Conn
from db.repos.publish_claims import PublishClaims


@dataclass(frozen=True, slots=True)
class QuestionUpsert:
    id: str
    text: str
    created_date: datetime
    state: str
    was_viewed: bool
    is_answered: bool
    answer: Any
    product_nm_id: int
    product_name: str
    product_supplier_article: str | None
    product_brand_name: str | None


async def upsert_questions(
    conn: Conn, store_id: str, owner_id: str, items: Sequence[QuestionUpsert]
) -> tuple[int, int]:
    """(inserted, updated); the AI draft thread is the bot's and is kept."""
    if not items:
        return 0, 0
    rows = await conn.fetch(
        """
        INSERT INTO questions AS q (id, store_id, owner_id, text, created_date, state, was_viewed,
               is_answered, answer, product_nm_id, product_name, product_supplier_article,
               product_brand_name)
        SELECT x.id, $1, $2, x.text, x.created, x.state, x.viewed, x.answered, x.answer, x.nm,
               x.pname, x.article, x.brand
          FROM unnest($3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::bool[],
                      $8::bool[], $9::jsonb[], $10::int[], $11::text[], $12::text[], $13::text[])
               AS x(id, text, created, state, viewed, answered, answer, nm, pname, article, brand)
        ON CONFLICT (id) DO UPDATE
           SET text = EXCLUDED.text, created_date = EXCLUDED.created_date,
               state = EXCLUDED.state, was_viewed = EXCLUDED.was_viewed,
               is_answered = EXCLUDED.is_answered, answer = EXCLUDED.answer,
               product_nm_id = EXCLUDED.product_nm_id, product_name = EXCLUDED.product_name,
               product_supplier_article = EXCLUDED.product_supplier_article,
               product_brand_name = EXCLUDED.product_brand_name
         WHERE q.store_id = EXCLUDED.store_id
           AND (q.text, q.created_date, q.state, q.was_viewed, q.is_answered, q.answer,
                q.product_nm_id, q.product_name, q.product_supplier_article,
                q.product_brand_name)
               IS DISTINCT FROM
               (EXCLUDED.text, EXCLUDED.created_date, EXCLUDED.state, EXCLUDED.was_viewed,
                EXCLUDED.is_answered, EXCLUDED.answer, EXCLUDED.product_nm_id,
                EXCLUDED.product_name, EXCLUDED.product_supplier_article,
                EXCLUDED.product_brand_name)
        RETURNING (q.xmax = 0) AS inserted
        """,
        store_id,
        owner_id,
        [i.id for i in items],
        [i.text for i in items],
        [i.created_date for i in items],
        [i.state for i in items],
        [i.was_viewed for i in items],
        [i.is_answered for i in items],
        [i.answer for i in items],
        [i.product_nm_id for i in items],
        [i.product_name for i in items],
        [i.product_supplier_article for i in items],
        [i.product_brand_name for i in items],
    )
    inserted = sum(1 for r in rows if r["inserted"])
    return inserted, len(rows) - inserted


# --------------------------------------------------------------------------- people's screens

QUESTION_COLUMNS = """
q.id, q.store_id, q.text, q.created_date, q.state, q.was_viewed, q.is_answered, q.answer,
q.product_nm_id, q.product_name, q.product_supplier_article, q.product_brand_name,
q.draft_reply
"""


async def page(
    conn: Conn,
    store_id: str,
    *,
    after: tuple[bool, datetime, str] | None,
    limit: int,
) -> list[Any]:
    """Unanswered first, then newest first; keyset on (answered, created_date, id)."""
    answered, created, qid = after if after else (False, None, None)
    return list(
        await conn.fetch(
            f"""
            SELECT {QUESTION_COLUMNS}, (q.is_answered IS TRUE) AS answered
              FROM questions q
             WHERE q.store_id = $1
               AND ($3::timestamptz IS NULL
                    OR (q.is_answered IS TRUE) > $2
                    OR ((q.is_answered IS TRUE) = $2
                        AND (q.created_date, q.id) < ($3::timestamptz, $4::text)))
             ORDER BY (q.is_answered IS TRUE), q.created_date DESC, q.id DESC
             LIMIT $5
            """,
            store_id,
            answered,
            created,
            qid,
            limit,
        )
    )


async def count_unanswered(conn: Conn, store_id: str) -> int:
    n = await conn.fetchval(
        "SELECT count(*) FROM questions WHERE store_id = $1 AND is_answered IS NOT TRUE",
        store_id,
    )
    return int(n or 0)


async def card(conn: Conn, question_id: str) -> Any:
    """The question, the product's row as the sync holds it (by nmId) and any publish claim."""
    return await conn.fetchrow(
        f"""
        SELECT {QUESTION_COLUMNS}, p.id AS product_id, p.name AS p_name,
               p.vendor_code AS p_vendor_code, p.wb_api_data AS p_wb_api_data,
               qp.state AS publish_state, qp.started_at AS publish_started_at
          FROM questions q
          LEFT JOIN products p
                 ON p.store_id = q.store_id AND p.wb_product_id = q.product_nm_id::text
          LEFT JOIN question_publishes qp ON qp.question_id = q.id
         WHERE q.id = $1
        """,
        question_id,
    )


async def store_of(conn: Conn, question_id: str) -> str | None:
    sid: str | None = await conn.fetchval(
        "SELECT store_id FROM questions WHERE id = $1", question_id
    )
    return sid


async def set_draft(conn: Conn, question_id: str, text: str | None) -> bool:
    """False when the question was answered meanwhile (the draft is not kept then)."""
    done = await conn.fetchval(
        "UPDATE questions SET draft_reply = $2, updated_at = now()"
        " WHERE id = $1 AND is_answered IS NOT TRUE RETURNING true",
        question_id,
        text,
    )
    return bool(done)


CLAIMS: Final = PublishClaims("question_publishes", "question_id", ("action", "text"))
"""The question's publish claim (`db/repos/publish_claims.py`)."""


async def lock_for_publish(conn: Conn, question_id: str) -> Any:
    return await conn.fetchrow(
        "SELECT is_answered, draft_reply, state FROM questions WHERE id = $1 FOR UPDATE",
        question_id,
    )


async def record_answer(conn: Conn, question_id: str, text: str, state: str) -> None:
    """WB took the answer (state 'wbRu') or the rejection ('none')."""
    await conn.execute(
        """
        UPDATE questions
           SET answer = jsonb_build_object('text', $2::text, 'editable', FALSE),
               is_answered = TRUE, state = $3, was_viewed = TRUE, draft_reply = NULL,
               updated_at = now()
         WHERE id = $1
        """,
        question_id,
        text,
        state,
    )
    await CLAIMS.release(conn, question_id)


async def record_viewed(conn: Conn, question_id: str) -> None:
    await conn.execute(
        "UPDATE questions SET was_viewed = TRUE, updated_at = now() WHERE id = $1", question_id
    )


# --------------------------------------------------------------------------- alerts


async def enqueue_alerts(conn: Conn, *, now: datetime, since: datetime) -> int:
    """New unanswered questions (asked since `since`, not yet alerted) become one pending row
    per person who works the store: the owner and managers with alerts on."""
    n = await conn.fetchval(
        """
        WITH fresh AS (
            UPDATE questions SET alerted_at = $1
             WHERE alerted_at IS NULL AND is_answered IS NOT TRUE AND created_date >= $2
            RETURNING id, store_id
        ), people AS (
            SELECT f.id, f.store_id, s.owner_id AS user_id
              FROM fresh f JOIN stores s ON s.id = f.store_id
            UNION
            SELECT f.id, f.store_id, m.user_id
              FROM fresh f JOIN store_members m ON m.store_id = f.store_id AND m.alerts_enabled
        ), ins AS (
            INSERT INTO question_alerts (question_id, user_id, store_id)
            SELECT id, user_id, store_id FROM people
            ON CONFLICT DO NOTHING
            RETURNING 1
        )
        SELECT count(*) FROM ins
        """,
        now,
        since,
    )
    return int(n or 0)


async def claim_alerts(
    conn: Conn, *, now: datetime, hour: int, stale: timedelta, limit: int
) -> list[Any]:
    """Pending rows (and 'sending' rows a lost process left) of people not in quiet hours,
    claimed by one statement; answered questions are dropped on the way."""
    await conn.execute(
        "UPDATE question_alerts a SET status = 'dropped' FROM questions q"
        " WHERE q.id = a.question_id AND a.status IN ('pending', 'sending')"
        " AND q.is_answered IS TRUE"
    )
    return list(
        await conn.fetch(
            """
            UPDATE question_alerts a SET status = 'sending', claimed_at = $1
              FROM questions q, stores s
             WHERE a.question_id = q.id AND s.id = a.store_id
               AND (a.question_id, a.user_id) IN (
                   SELECT x.question_id, x.user_id FROM question_alerts x
                     LEFT JOIN user_preferences p ON p.user_id = x.user_id
                    WHERE (x.status = 'pending'
                           OR (x.status = 'sending' AND x.claimed_at < $1::timestamptz - $3::interval))
                      AND NOT COALESCE(in_quiet_hours(p.quiet_start, p.quiet_end, $2), FALSE)
                    ORDER BY x.user_id LIMIT $4 FOR UPDATE OF x SKIP LOCKED)
            RETURNING a.question_id, a.user_id, a.store_id, s.name AS store_name,
                      q.text, q.product_name, q.created_date
            """,
            now,
            hour,
            stale,
            limit,
        )
    )


async def finish_alerts(
    conn: Conn,
    pairs: Sequence[tuple[str, str]],
    *,
    sent: bool,
    now: datetime,
    claimed_at: datetime | None = None,
) -> int:
    """Sent, or back to pending for the next run (a failed send, or a claim released by a
    stopping process); only this process's claim (by `claimed_at`, when given)."""
    status = await conn.execute(
        """
        UPDATE question_alerts a
           SET status = CASE WHEN $3 THEN 'sent' ELSE 'pending' END,
               sent_at = CASE WHEN $3 THEN $4::timestamptz END, claimed_at = NULL
          FROM unnest($1::text[], $2::text[]) AS x(qid, uid)
         WHERE a.question_id = x.qid AND a.user_id = x.uid AND a.status = 'sending'
           AND ($5::timestamptz IS NULL OR a.claimed_at = $5)
        """,
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        sent,
        now,
        claimed_at,
    )
    return int(status.split()[-1])


async def recipients(conn: Conn, user_ids: Sequence[str]) -> list[Any]:
    return list(
        await conn.fetch(
            """
            SELECT t.user_id, t.telegram_id,
                   COALESCE(p.language,
                            CASE WHEN t.language_code LIKE 'en%' THEN 'en' ELSE 'ru' END)
                     AS language
              FROM telegram_accounts t
              LEFT JOIN user_preferences p ON p.user_id = t.user_id
             WHERE t.user_id = ANY($1::text[]) AND t.is_blocked IS NOT TRUE
            """,
            list(user_ids),
        )
    )
