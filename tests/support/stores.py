"""Test helpers that put a user and a store straight into the database."""

from __future__ import annotations

import uuid

import asyncpg


async def make_user(pool: asyncpg.Pool, email: str | None = None, *, approved: bool = True) -> str:
    user_id = str(uuid.uuid4())
    await pool.execute(
        "INSERT INTO users (id, email, is_approved) VALUES ($1, $2, $3)",
        user_id,
        email or f"{user_id[:8]}@example.com",
        approved,
    )
    return user_id


async def make_store(
    pool: asyncpg.Pool, owner_id: str, token: str, *, name: str = "Тестовый магазин"
) -> str:
    store_id = str(uuid.uuid4())
    await pool.execute(
        "INSERT INTO stores (id, name, owner_id, api_token, status) VALUES ($1, $2, $3, $4, 'active')",
        store_id,
        name,
        owner_id,
        token,
    )
    return store_id
