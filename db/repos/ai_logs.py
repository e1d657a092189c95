"""`ai_logs`: one row per LLM call (tokens, cost, duration, error) for cost analysis and debugging.

`metadata` is passed as JSON text and cast in SQL, so it works with or without the pool's JSON
codec. Prompts and responses are stored as given; keys are never part of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

Executor = asyncpg.Pool | asyncpg.Connection

# `idx_ai_logs_error` is a btree on the text: a row over ~2700 bytes would fail the insert.
MAX_ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class AILogRow:
    id: str
    store_id: str
    owner_id: str
    entity_type: str
    entity_id: str
    action: str
    prompt: str | None
    response: str | None
    model: str | None
    tokens_used: int | None
    cost: Decimal | None
    error: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


_COLUMNS = (
    "id::text AS id, store_id, owner_id, entity_type, entity_id, action, prompt, response, "
    "model, tokens_used, cost, error, metadata::text AS metadata, created_at"
)


def _row(r: asyncpg.Record) -> AILogRow:
    meta = json.loads(r["metadata"]) if r["metadata"] is not None else {}
    return AILogRow(
        id=r["id"],
        store_id=r["store_id"],
        owner_id=r["owner_id"],
        entity_type=r["entity_type"],
        entity_id=r["entity_id"],
        action=r["action"],
        prompt=r["prompt"],
        response=r["response"],
        model=r["model"],
        tokens_used=r["tokens_used"],
        cost=r["cost"],
        error=r["error"],
        metadata=meta if isinstance(meta, dict) else {"value": meta},
        created_at=r["created_at"],
    )


async def insert_ai_log(
    db: Executor,
    *,
    store_id: str,
    owner_id: str,
    entity_type: str,
    entity_id: str,
    action: str,
    model: str,
    prompt: str | None = None,
    response: str | None = None,
    tokens_used: int | None = None,
    cost: Decimal | None = None,
    error: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> str:
    """Insert one row; returns its id (UUID as text). `error` is cut to 500 characters."""
    if error is not None and len(error) > MAX_ERROR_CHARS:
        error = error[: MAX_ERROR_CHARS - 1] + "…"
    meta = None if metadata is None else json.dumps(metadata, ensure_ascii=False, default=str)
    log_id = await db.fetchval(
        """
        INSERT INTO ai_logs (store_id, owner_id, entity_type, entity_id, action, prompt,
                             response, model, tokens_used, cost, error, metadata)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text::jsonb)
        RETURNING id::text
        """,
        store_id,
        owner_id,
        entity_type,
        entity_id,
        action,
        prompt,
        response,
        model,
        tokens_used,
        cost,
        error,
        meta,
    )
    return str(log_id)


async def list_ai_logs(
    db: Executor,
    *,
    store_id: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    limit: int = 100,
) -> list[AILogRow]:
    """Newest last (creation order), filtered by whichever arguments are given."""
    records = await db.fetch(
        f"""
        SELECT {_COLUMNS} FROM ai_logs
        WHERE ($1::text IS NULL OR store_id = $1)
          AND ($2::text IS NULL OR entity_type = $2)
          AND ($3::text IS NULL OR entity_id = $3)
          AND ($4::text IS NULL OR action = $4)
        ORDER BY created_at, id
        LIMIT $5
        """,
        store_id,
        entity_type,
        entity_id,
        action,
        limit,
    )
    return [_row(r) for r in records]
