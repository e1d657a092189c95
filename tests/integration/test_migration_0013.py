"""Migration 0013 on data written before it: emails in the normal form where SQL can (never
merging two people), link-only users, rejected owners' stores paused."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from db.migrate import apply_migrations, migration_files

MIGRATION = "0013_"


async def _fill_link_token(conn: asyncpg.Connection, user_id: str) -> None:
    """A personal link row in whatever shape the earlier migrations gave the table."""
    cols = await conn.fetch(
        """SELECT column_name, data_type FROM information_schema.columns
            WHERE table_name = 'user_link_tokens' AND is_nullable = 'NO'
              AND column_default IS NULL"""
    )
    values: dict[str, object] = {}
    for col in cols:
        name, kind = col["column_name"], col["data_type"]
        if name == "user_id":
            values[name] = user_id
        elif kind.startswith("timestamp"):
            values[name] = datetime.now(UTC) + timedelta(days=7)
        elif kind == "bytea":
            values[name] = uuid.uuid4().bytes
        elif kind in ("bigint", "integer", "smallint"):
            values[name] = 1
        else:  # a raw token before 0012, its SHA-256 in hex after it: this fits both
            values[name] = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    names = ", ".join(values)
    marks = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    await conn.execute(f"INSERT INTO user_link_tokens ({names}) VALUES ({marks})", *values.values())


async def test_existing_rows_are_brought_to_the_new_rules(
    empty_db_url: str, tmp_path: Path
) -> None:
    before = tmp_path / "before"
    before.mkdir()
    for path in migration_files():
        if path.name < MIGRATION:
            shutil.copy(path, before / path.name)
    await apply_migrations(empty_db_url, before)
    conn = await asyncpg.connect(empty_db_url)
    try:
        users = {
            "plain": "ivan@example.com",
            "twin": "iv\u200ban@example.com",  # would become the plain one: two people, kept
            "upper": "  Maria@Example.COM",
            "hidden": "pe\u200bt\u00ador@example.com",
            "wide": "ｏｌｇａ@example.com",
            "linked": "linked@example.com",
            "rejected": "gone@example.com",
        }
        for uid, email in users.items():
            await conn.execute("INSERT INTO users (id, email) VALUES ($1, $2)", uid, email)
        await conn.execute("UPDATE users SET rejected_at = NOW() WHERE id = 'rejected'")
        await _fill_link_token(conn, "linked")
        for sid, owner in (("s1", "rejected"), ("s2", "plain")):
            await conn.execute(
                """INSERT INTO stores (id, name, owner_id, api_token, status)
                   VALUES ($1, 'shop', $2, 'tok', 'active')""",
                sid,
                owner,
            )
    finally:
        await conn.close()

    applied = await apply_migrations(empty_db_url)
    assert any(name.startswith(MIGRATION) for name in applied)
    conn = await asyncpg.connect(empty_db_url)
    try:
        rows = await conn.fetch("SELECT id, email, link_only FROM users")
        emails = {r["id"]: r["email"] for r in rows}
        assert emails == {
            "plain": "ivan@example.com",
            "twin": "iv\u200ban@example.com",
            "upper": "maria@example.com",
            "hidden": "petor@example.com",
            "wide": "olga@example.com",
            "linked": "linked@example.com",
            "rejected": "gone@example.com",
        }
        assert {r["id"] for r in rows if r["link_only"]} == {"linked"}
        rows = await conn.fetch("SELECT id, status::text AS status FROM stores")
        status = {r["id"]: r["status"] for r in rows}
        assert status == {"s1": "inactive", "s2": "active"}
    finally:
        await conn.close()
