"""`user_settings` and `ai_logs` repositories against a migrated database."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import pytest

from db.repos.ai_logs import MAX_ERROR_CHARS, insert_ai_log, list_ai_logs
from db.repos.user_settings import (
    ensure_user_settings,
    get_user_settings,
    update_user_settings,
)
from tests.support.stores import make_store, make_user


async def test_settings_missing_then_ensured_with_defaults(pool: asyncpg.Pool) -> None:
    user = await make_user(pool)
    assert await get_user_settings(pool, user) is None
    row = await ensure_user_settings(pool, user)
    assert row.id == user and row.ai_concurrency == 5 and row.effective_concurrency == 5
    assert row.deepseek_api_key is None and row.prompt_chat_reply is None
    assert row.no_reply_messages == [] and row.no_reply_messages2 == []
    assert await ensure_user_settings(pool, user) == row  # idempotent


async def test_update_creates_and_changes_fields(pool: asyncpg.Pool) -> None:
    user = await make_user(pool)
    row = await update_user_settings(
        pool,
        user,
        deepseek_api_key="sk-owner-secret",
        ai_concurrency=3,
        prompt_review_complaint="Моя жалоба",
        no_reply_messages=["День 1", "День 2 — «ёлочки»"],
        no_reply_trigger_phrase="жду ответа",
    )
    assert row.has_deepseek_key and row.deepseek_api_key == "sk-owner-secret"
    assert row.ai_concurrency == 3 and row.prompt_review_complaint == "Моя жалоба"
    assert row.no_reply_messages == ["День 1", "День 2 — «ёлочки»"]
    assert "sk-owner-secret" not in repr(row)
    again = await update_user_settings(pool, user, prompt_review_complaint="", ai_concurrency=7)
    assert again.prompt_review_complaint is None  # empty clears -> default prompt again
    assert again.ai_concurrency == 7 and again.deepseek_api_key == "sk-owner-secret"
    assert again.no_reply_messages == ["День 1", "День 2 — «ёлочки»"]
    stored = await pool.fetchval(
        "SELECT no_reply_messages::text FROM user_settings WHERE id=$1", user
    )
    assert stored.startswith("[") and "ёлочки" in stored


@pytest.mark.parametrize(
    "fields",
    [
        {"id": "other"},
        {"assistant_chat_reply": "x"},
        {"ai_concurrency": 0},
        {"ai_concurrency": 51},
        {"ai_concurrency": "5"},
        {"no_reply_messages": "текст"},
        {"prompt_chat_reply": 5},
    ],
)
async def test_update_refuses_bad_fields(pool: asyncpg.Pool, fields: dict[str, object]) -> None:
    user = await make_user(pool)
    with pytest.raises(ValueError):
        await update_user_settings(pool, user, **fields)


async def test_settings_read_tolerates_object_items_in_json_lists(pool: asyncpg.Pool) -> None:
    user = await make_user(pool)
    await pool.execute(
        """INSERT INTO user_settings (id, no_reply_messages, ai_concurrency)
           VALUES ($1, '[{"day": 1, "text": "Привет"}, "Второе", 3]'::jsonb, NULL)""",
        user,
    )
    row = await get_user_settings(pool, user)
    assert row is not None and row.no_reply_messages == ["Привет", "Второе"]
    assert row.ai_concurrency == 5


async def test_ai_log_round_trip(pool: asyncpg.Pool) -> None:
    user = await make_user(pool)
    store = await make_store(pool, user, "t")
    log_id = await insert_ai_log(
        pool,
        store_id=store,
        owner_id=user,
        entity_type="review",
        entity_id="fb-1",
        action="generate_complaint",
        model="deepseek-chat",
        prompt="[system]\nп",
        response="{}",
        tokens_used=120,
        cost=Decimal("0.000123"),
        error=None,
        metadata={"task": "review_complaint", "attempt": 1, "duration_ms": 15},
    )
    await insert_ai_log(
        pool,
        store_id=store,
        owner_id=user,
        entity_type="chat",
        entity_id="1:c",
        action="classify_chat",
        model="deepseek-chat",
        error="x" * 5000,
    )
    rows = await list_ai_logs(pool, store_id=store)
    assert [r.action for r in rows] == ["generate_complaint", "classify_chat"]
    first, second = rows
    assert first.id == log_id and first.cost == Decimal("0.000123") and first.tokens_used == 120
    assert first.metadata == {"task": "review_complaint", "attempt": 1, "duration_ms": 15}
    assert second.metadata == {} and second.error is not None
    assert len(second.error) == MAX_ERROR_CHARS
    only_chat = await list_ai_logs(pool, entity_type="chat", entity_id="1:c")
    assert [r.id for r in only_chat] == [second.id]
    assert await list_ai_logs(pool, action="generate_review_reply") == []


async def test_ai_log_works_on_a_plain_connection(db_url: str) -> None:
    # No JSON codec on this connection: metadata still goes in as JSONB and comes back a dict.
    conn = await asyncpg.connect(db_url)
    try:
        user = "u-plain"
        await conn.execute("INSERT INTO users (id, email) VALUES ($1, 'p@example.com')", user)
        await conn.execute(
            "INSERT INTO stores (id, name, owner_id, api_token) VALUES ('s-plain', 'S', $1, 't')",
            user,
        )
        await insert_ai_log(
            conn,
            store_id="s-plain",
            owner_id=user,
            entity_type="review",
            entity_id="r",
            action="generate_complaint",
            model="m",
            metadata={"a": [1, "б"]},
        )
        [row] = await list_ai_logs(conn, store_id="s-plain")
        assert row.metadata == {"a": [1, "б"]}
        assert await conn.fetchval("SELECT jsonb_typeof(metadata) FROM ai_logs") == "object"
        settings = await update_user_settings(conn, user, no_reply_messages=["а"])
        assert settings.no_reply_messages == ["а"]
    finally:
        await conn.close()
