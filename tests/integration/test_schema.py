"""The schema: migrations apply once, and 0001 is exactly what schema.md describes.

The seed document is the contract with the web version's data, so instead of restating it
here the test parses its ```sql blocks and compares them with the live catalog of a database
that has 0001 only. Only the one deviation decided in domain-rules.md
(idx_reviews_store_answer_date) is allowed, and it is asserted on its own. Later migrations
may add to the seed tables but never change what 0001 created: checked against the fully
migrated database, which the behaviour tests use too.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from db.migrate import MIGRATIONS_DIR, apply_migrations, migration_files

REPO = Path(__file__).resolve().parents[2]
# schema.md is not in the repository (it lives in the workspace's shared folder);
# WBREP_SCHEMA_DOC names another copy.
SCHEMA_DOC_CANDIDATES = [
    Path(p)
    for p in (
        os.environ.get("WBREP_SCHEMA_DOC"),
        REPO / "docs" / "schema.md",
        "/work/shared/schema.md",
    )
    if p
]

# The documented deviation (domain-rules.md, "Schema changes").
DEVIATION_INDEX = "idx_reviews_store_answer_date"
DEVIATION_INDEXDEF = (
    "CREATE INDEX idx_reviews_store_answer_date ON public.reviews USING btree "
    "(store_id, date DESC) WHERE (answer IS NOT NULL)"
)
# Every FK in the seed points at one of these; each such FK cascades unless the document
# says otherwise (review_complaints.sent_by_user_id: SET NULL).
CASCADE_PARENTS = {"users", "stores", "products", "reviews", "chats"}
SEED_INDEX_COUNT = 74


# --------------------------------------------------------------------------------------
# A small parser for schema.md's ```sql blocks. It understands just what the document
# uses: CREATE TYPE ... AS ENUM, CREATE TABLE with inline column constraints,
# CREATE [UNIQUE] INDEX name ON table(cols) [WHERE ...], the two plpgsql functions and
# CREATE TRIGGER. Types and defaults are rewritten into PostgreSQL's catalog spelling.
# --------------------------------------------------------------------------------------


@dataclass
class DocColumn:
    name: str
    type: str  # as format_type/information_schema spell it: "character varying(20)"
    not_null: bool
    default: str | None  # as pg_get_expr spells it: "'active'::character varying"
    primary_key: bool = False
    unique: bool = False
    references: str | None = None  # parent table
    on_delete: str | None = None  # as written; None when the document says nothing
    check: str | None = None  # the CHECK expression as written


@dataclass
class DocIndex:
    name: str
    table: str
    unique: bool
    columns: list[str]  # "store_id", "date DESC"
    where: str | None


@dataclass
class DocSchema:
    enums: dict[str, list[str]] = field(default_factory=dict)
    tables: dict[str, list[DocColumn]] = field(default_factory=dict)
    indexes: dict[str, DocIndex] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)  # name -> plpgsql body
    triggers: dict[str, str] = field(default_factory=dict)  # name -> one-line statement


_TYPES = {
    "TEXT": "text",
    "BOOLEAN": "boolean",
    "INTEGER": "integer",
    "INT": "integer",
    "JSONB": "jsonb",
    "UUID": "uuid",
    "TIMESTAMPTZ": "timestamp with time zone",
    "TIMESTAMP WITHOUT TIME ZONE": "timestamp without time zone",
}


def normalize_type(raw: str) -> str:
    raw = " ".join(raw.split())
    if m := re.fullmatch(r"VARCHAR\((\d+)\)", raw, re.I):
        return f"character varying({m[1]})"
    if m := re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", raw, re.I):
        return f"numeric({m[1]},{m[2]})"
    return _TYPES.get(raw.upper(), raw.lower())  # anything else is an enum's name


def normalize_default(raw: str, pg_type: str) -> str:
    if raw.upper() in ("TRUE", "FALSE"):
        return raw.lower()
    if m := re.fullmatch(r"(\w+)\(\)::(\w+)", raw):  # gen_random_uuid()::text
        return f"({m[1].lower()}())::{m[2]}"
    if re.fullmatch(r"\w+\(\)", raw):  # NOW(), gen_random_uuid()
        return raw.lower()
    if raw.startswith("'") and "::" not in raw:  # PG adds the column type's cast
        return f"{raw}::{pg_type.split('(')[0]}"
    return raw  # numbers and literals already cast ('[]'::jsonb)


_COLUMN = re.compile(r"(\w+)\s+(TIMESTAMP WITHOUT TIME ZONE|\w+(?:\s*\([\d,\s]+\))?)(.*)", re.S)
_DEFAULT = re.compile(r"\bDEFAULT\s+('[^']*'(?:::\w+)?|\w+\(\)(?:::\w+)?|\w+)")
_REFERENCES = re.compile(r"\bREFERENCES\s+(\w+)\s*\(\w+\)(?:\s+ON DELETE (CASCADE|SET NULL))?")


def parse_column(definition: str) -> DocColumn:
    m = _COLUMN.fullmatch(definition)
    assert m, f"cannot parse column: {definition!r}"
    name, pg_type, rest = m[1], normalize_type(m[2]), m[3]
    column = DocColumn(
        name=name,
        type=pg_type,
        primary_key="PRIMARY KEY" in rest,
        not_null="NOT NULL" in rest or "PRIMARY KEY" in rest,
        default=None,
        unique=re.search(r"\bUNIQUE\b", rest) is not None,
    )
    if d := _DEFAULT.search(rest):
        column.default = normalize_default(d[1], pg_type)
    if r := _REFERENCES.search(rest):
        column.references, column.on_delete = r[1], r[2]
    if c := re.search(r"\bCHECK\s*\((.*)\)\s*$", rest, re.S):  # CHECK is last in its line
        column.check = c[1]
    return column


def split_top_level(body: str) -> list[str]:
    """Split a table body on commas outside parentheses (DECIMAL(10, 6), CHECK (... IN (...)))."""
    parts, depth, current = [], 0, ""
    for ch in body:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [" ".join(p.split()) for p in parts if p.strip()]


def parse_schema_doc(markdown: str) -> DocSchema:
    blocks = re.findall(r"```sql\n(.*?)```", markdown, re.S)
    sql = re.sub(r"--[^\n]*", "", "\n".join(blocks))  # comments carry no schema
    doc = DocSchema()
    for m in re.finditer(r"CREATE TYPE (\w+) AS ENUM \((.*?)\);", sql, re.S):
        doc.enums[m[1]] = re.findall(r"'([^']*)'", m[2])
    for m in re.finditer(r"CREATE TABLE (\w+) \((.*?)\n\);", sql, re.S):
        doc.tables[m[1]] = [parse_column(c) for c in split_top_level(m[2])]
    index_re = r"CREATE (UNIQUE )?INDEX (\w+) ON (\w+)\s*\((.*?)\)\s*(?:WHERE (.*?))?;"
    for m in re.finditer(index_re, sql, re.S):
        if m[3] not in doc.tables:  # "Indexes Strategy" shows templates ON table(column)
            continue
        columns = [" ".join(c.split()) for c in m[4].split(",")]
        where = " ".join(m[5].split()) if m[5] else None
        doc.indexes[m[2]] = DocIndex(m[2], m[3], bool(m[1]), columns, where)
    function_re = r"CREATE OR REPLACE FUNCTION (\w+)\(\)\s*RETURNS TRIGGER AS \$\$(.*?)\$\$"
    for m in re.finditer(function_re, sql, re.S):
        doc.functions[m[1]] = m[2]
    for m in re.finditer(r"(CREATE TRIGGER (\w+)\s.*?);", sql, re.S):
        doc.triggers[m[2]] = " ".join(m[1].split())  # the document shows one twice
    return doc


@cache
def schema_doc() -> DocSchema:
    for path in SCHEMA_DOC_CANDIDATES:
        if path.is_file():
            return parse_schema_doc(path.read_text(encoding="utf-8"))
    pytest.skip("schema.md not found (set WBREP_SCHEMA_DOC)")


def test_parser_reads_the_whole_document() -> None:
    """Guards the parser itself: the document's counts, so a regex slip cannot hide a table."""
    doc = schema_doc()
    assert len(doc.enums) == 6
    assert len(doc.tables) == 12
    assert sum(len(cols) for cols in doc.tables.values()) == 234
    assert len(doc.indexes) == 59
    assert set(doc.functions) == {"update_updated_at_column", "update_review_complaint_flags"}
    assert set(doc.triggers) == {"update_reviews_updated_at", "update_reviews_complaint_flags"}


# --------------------------------------------------------------------------------------
# Catalog helpers
# --------------------------------------------------------------------------------------


@pytest.fixture
async def seed_db(empty_db_url: str, tmp_path: Path) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a database with 0001 only: the seed schema, before the bot's own."""
    shutil.copy(MIGRATIONS_DIR / "0001_schema.sql", tmp_path)
    assert await apply_migrations(empty_db_url, tmp_path) == ["0001_schema.sql"]
    connection = await asyncpg.connect(empty_db_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a database with every migration applied."""
    connection = await asyncpg.connect(db_url)
    try:
        yield connection
    finally:
        await connection.close()


# The catalog of the public schema, as comparable rows: what "the schema" means when two
# databases are said to have the same one.
SNAPSHOT_QUERIES = {
    "columns": """
        SELECT table_name::text, column_name::text, data_type::text, udt_name::text,
               character_maximum_length, numeric_precision, numeric_scale,
               is_nullable::text, column_default::text
        FROM information_schema.columns WHERE table_schema = 'public'
        ORDER BY table_name, ordinal_position""",
    "indexes": """
        SELECT tablename::text, indexname::text, indexdef FROM pg_indexes
        WHERE schemaname = 'public' ORDER BY 1, 2""",
    "constraints": """
        SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2""",
    "triggers": """
        SELECT tgrelid::regclass::text, tgname::text, pg_get_triggerdef(oid) FROM pg_trigger
        WHERE NOT tgisinternal ORDER BY 1, 2""",
    "enums": """
        SELECT t.typname::text, e.enumsortorder, e.enumlabel::text FROM pg_enum e
        JOIN pg_type t ON t.oid = e.enumtypid ORDER BY 1, 2""",
    "functions": """
        SELECT proname::text, pg_get_functiondef(oid) FROM pg_proc
        WHERE pronamespace = 'public'::regnamespace ORDER BY 1""",
}
Snapshot = dict[str, list[tuple[Any, ...]]]


async def catalog_snapshot(connection: asyncpg.Connection) -> Snapshot:
    return {
        key: [tuple(r) for r in await connection.fetch(query)]
        for key, query in SNAPSHOT_QUERIES.items()
    }


async def snapshot_of(dsn: str) -> Snapshot:
    connection = await asyncpg.connect(dsn)
    try:
        return await catalog_snapshot(connection)
    finally:
        await connection.close()


def catalog_type(row: asyncpg.Record) -> str:
    """information_schema.columns' type in the spelling normalize_type produces."""
    if row["data_type"] == "USER-DEFINED":
        return str(row["udt_name"])
    if row["data_type"] == "character varying":
        return f"character varying({row['character_maximum_length']})"
    if row["data_type"] == "numeric":
        return f"numeric({row['numeric_precision']},{row['numeric_scale']})"
    return str(row["data_type"])


async def canonical_expr(connection: asyncpg.Connection, table: str, expr: str) -> str:
    """PostgreSQL's own spelling of a boolean expression over `table`.

    The document writes `complaint_status IN ('draft', 'sent')`; the catalog says
    `(complaint_status = ANY (ARRAY['draft'::complaint_status, ...]))`. Rather than
    re-implement the deparser, attach the expression as a throwaway CHECK and read it back.
    """
    tr = connection.transaction()
    await tr.start()
    try:
        await connection.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT doc_expr CHECK ({expr}) NOT VALID"
        )
        spelled: str = await connection.fetchval(
            "SELECT pg_get_expr(conbin, conrelid) FROM pg_constraint "
            "WHERE conname = 'doc_expr' AND conrelid = $1::regclass",
            table,
        )
        return spelled
    finally:
        await tr.rollback()


# --------------------------------------------------------------------------------------
# (a) Migrations apply once
# --------------------------------------------------------------------------------------


async def test_migrations_apply_once_and_second_run_changes_nothing(empty_db_url: str) -> None:
    first = await apply_migrations(empty_db_url)
    assert first == [p.name for p in migration_files()]
    assert first[:2] == ["0001_schema.sql", "0002_telegram_accounts.sql"]
    before = await snapshot_of(empty_db_url)

    assert await apply_migrations(empty_db_url) == []
    assert await snapshot_of(empty_db_url) == before


# --------------------------------------------------------------------------------------
# (b) The live schema is the document's
# --------------------------------------------------------------------------------------


async def test_enums_and_labels_in_order(seed_db: asyncpg.Connection) -> None:
    rows = await seed_db.fetch(
        """SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
           FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
           WHERE t.typnamespace = 'public'::regnamespace GROUP BY t.typname"""
    )
    assert {r["typname"]: list(r["labels"]) for r in rows} == schema_doc().enums


async def test_tables_columns_types_nullability_defaults(seed_db: asyncpg.Connection) -> None:
    doc = schema_doc()
    rows = await seed_db.fetch(
        """SELECT * FROM information_schema.columns
           WHERE table_schema = 'public' AND table_name = ANY($1::text[])
           ORDER BY table_name, ordinal_position""",
        list(doc.tables),
    )
    live: dict[str, list[tuple[str, str, bool, str | None]]] = {}
    for r in rows:
        live.setdefault(r["table_name"], []).append(
            (r["column_name"], catalog_type(r), r["is_nullable"] == "NO", r["column_default"])
        )
    expected = {
        table: [(c.name, c.type, c.not_null, c.default) for c in columns]
        for table, columns in doc.tables.items()
    }
    assert set(live) == set(expected)
    for table in expected:  # per table, so a failure names it
        assert live[table] == expected[table], table


async def test_primary_keys_unique_and_check_constraints(seed_db: asyncpg.Connection) -> None:
    doc = schema_doc()
    rows = await seed_db.fetch(
        """SELECT c.conrelid::regclass::text AS tbl, c.contype::text,
                  array_agg(a.attname ORDER BY a.attnum) AS cols,
                  pg_get_expr(c.conbin, c.conrelid) AS expr
           FROM pg_constraint c
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
           WHERE c.contype IN ('p', 'u', 'c') AND c.conrelid::regclass::text = ANY($1::text[])
           GROUP BY c.oid, c.conrelid, c.contype, c.conbin""",
        list(doc.tables),
    )
    live = {(r["tbl"], r["contype"], tuple(r["cols"])) for r in rows}
    expected = set()
    for table, columns in doc.tables.items():
        for c in columns:
            if c.primary_key:
                expected.add((table, "p", (c.name,)))
            if c.unique:
                expected.add((table, "u", (c.name,)))
            if c.check:
                expected.add((table, "c", (c.name,)))
    assert live == expected

    for r in rows:
        if r["contype"] == "c":
            (column,) = (c for c in doc.tables[r["tbl"]] if c.name == r["cols"][0])
            assert column.check is not None
            assert r["expr"] == await canonical_expr(seed_db, r["tbl"], column.check)


async def test_foreign_keys_cascade_except_sent_by_user_id(seed_db: asyncpg.Connection) -> None:
    doc = schema_doc()
    actions = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL"}
    rows = await seed_db.fetch(
        """SELECT c.conrelid::regclass::text AS tbl, a.attname AS col,
                  c.confrelid::regclass::text AS parent, c.confdeltype::text AS action
           FROM pg_constraint c
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
           WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY($1::text[])""",
        list(doc.tables),
    )
    live = {(r["tbl"], r["col"]): (r["parent"], actions[r["action"]]) for r in rows}
    expected = {
        (table, c.name): (c.references, c.on_delete or "CASCADE")
        for table, columns in doc.tables.items()
        for c in columns
        if c.references
    }
    assert {parent for parent, _ in expected.values()} <= CASCADE_PARENTS
    # chat_auto_sequences.store_id/owner_id have no FK in the document and get none.
    assert ("chat_auto_sequences", "store_id") not in expected
    assert live == expected
    assert live[("review_complaints", "sent_by_user_id")] == ("users", "SET NULL")


async def test_indexes_match_document(seed_db: asyncpg.Connection) -> None:
    doc = schema_doc()
    rows = await seed_db.fetch(
        """SELECT i.indexrelid::regclass::text AS name, i.indrelid::regclass::text AS tbl,
                  i.indisunique, pg_get_indexdef(i.indexrelid) AS indexdef,
                  pg_get_expr(i.indpred, i.indrelid) AS predicate
           FROM pg_index i WHERE i.indexrelid::regclass::text = ANY($1::text[])""",
        list(doc.indexes),
    )
    live = {r["name"]: r for r in rows}
    assert set(live) == set(doc.indexes)
    for name, index in doc.indexes.items():
        if name == DEVIATION_INDEX:
            continue  # test_deviation_index
        r = live[name]
        # indexdef: "... USING btree (store_id, "timestamp" DESC) WHERE (...)"
        m = re.search(r"USING btree \((.*?)\)(?: WHERE |$)", r["indexdef"])
        assert m, r["indexdef"]
        columns = [c.strip().replace('"', "") for c in m[1].split(",")]
        assert (r["tbl"], r["indisunique"], columns) == (index.table, index.unique, index.columns)
        expected_predicate = index.where and await canonical_expr(seed_db, index.table, index.where)
        assert r["predicate"] == expected_predicate, name


async def test_deviation_index(seed_db: asyncpg.Connection) -> None:
    """The one deviation: the document indexes JSONB `answer`; 0001 does not (see test (c))."""
    documented = schema_doc().indexes[DEVIATION_INDEX]
    assert (documented.columns, documented.where) == (
        ["store_id", "answer", "date DESC"],
        "answer IS NOT NULL",
    )
    live = await seed_db.fetchval("SELECT pg_get_indexdef($1::regclass)", DEVIATION_INDEX)
    assert live == DEVIATION_INDEXDEF


async def test_seed_tables_have_74_indexes(seed_db: asyncpg.Connection) -> None:
    """59 named indexes + 12 primary keys + 3 UNIQUE constraints, and nothing else."""
    doc = schema_doc()
    implicit = {f"{t}_pkey" for t in doc.tables} | {
        f"{t}_{c.name}_key" for t, cols in doc.tables.items() for c in cols if c.unique
    }
    assert len(doc.indexes) + len(implicit) == SEED_INDEX_COUNT
    names = await seed_db.fetch(
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' "
        "AND tablename = ANY($1::text[])",
        list(doc.tables),
    )
    assert len(names) == SEED_INDEX_COUNT
    assert {r["indexname"] for r in names} == set(doc.indexes) | implicit


async def test_functions_and_complaint_trigger_as_written(seed_db: asyncpg.Connection) -> None:
    doc = schema_doc()
    rows = await seed_db.fetch(
        """SELECT proname, prosrc FROM pg_proc
           WHERE pronamespace = 'public'::regnamespace
             AND prorettype = 'trigger'::regtype
             AND prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')"""
    )
    live = {r["proname"]: " ".join(r["prosrc"].split()) for r in rows}
    assert live == {name: " ".join(body.split()) for name, body in doc.functions.items()}

    trigger = await seed_db.fetchval(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = $1",
        "update_reviews_complaint_flags",
    )
    assert trigger.replace("public.", "") == doc.triggers["update_reviews_complaint_flags"]


async def test_updated_at_trigger_on_every_table_with_updated_at(
    conn: asyncpg.Connection,
) -> None:
    with_updated_at = {
        r["table_name"]
        for r in await conn.fetch(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'updated_at'"
        )
    }
    assert set(schema_doc().tables) - with_updated_at == {"chat_messages", "ai_logs"}
    assert "telegram_accounts" in with_updated_at
    rows = await conn.fetch(
        """SELECT tgrelid::regclass::text AS tbl, pg_get_triggerdef(oid) AS def
           FROM pg_trigger WHERE NOT tgisinternal
             AND tgfoid = 'update_updated_at_column'::regproc"""
    )
    assert {r["tbl"]: r["def"] for r in rows} == {
        t: f"CREATE TRIGGER update_{t}_updated_at BEFORE UPDATE ON public.{t} "
        "FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()"
        for t in with_updated_at
    }
    # The document's example trigger is one of them, spelled the same way.
    example = schema_doc().triggers["update_reviews_updated_at"]
    assert {r["def"].replace("public.", "") for r in rows} >= {example}


async def test_later_migrations_keep_the_seed_schema(
    seed_db: asyncpg.Connection, conn: asyncpg.Connection
) -> None:
    """Later migrations add tables, columns and indexes; they never drop or redefine seed ones.

    Every column (type, nullability, default), index, constraint, trigger and enum label of
    the 0001-only database is still there, unchanged, once every migration has run. (Trigger
    functions may be redefined; their behaviour is tested below on the full database.)
    """
    seed, full = await catalog_snapshot(seed_db), await catalog_snapshot(conn)
    for key in ["columns", "indexes", "constraints", "triggers", "enums"]:
        lost = [row for row in seed[key] if row not in full[key]]
        assert lost == [], key


# --------------------------------------------------------------------------------------
# Behaviour
# --------------------------------------------------------------------------------------

DAY = datetime(2025, 11, 1, tzinfo=UTC)


async def seed_store(connection: asyncpg.Connection, owner: str, store: str) -> None:
    """One store with a row in every table that hangs off it."""
    p, r, ch = f"{store}-p", f"{store}-r", f"{store}-ch"
    await connection.execute(
        "INSERT INTO stores (id, name, owner_id, api_token) VALUES ($1, $1, $2, 'tok')",
        store,
        owner,
    )
    await connection.execute(
        """INSERT INTO products (id, store_id, owner_id, name, wb_product_id, vendor_code)
           VALUES ($1, $2, $3, 'Товар', '123', 'A-1')""",
        p,
        store,
        owner,
    )
    await connection.execute(
        "INSERT INTO product_rules (product_id, store_id) VALUES ($1, $2)", p, store
    )
    await connection.execute(
        """INSERT INTO reviews (id, product_id, store_id, owner_id, rating, text, author, date)
           VALUES ($1, $2, $3, $4, 1, 'Плохо', 'Анна', $5)""",
        r,
        p,
        store,
        owner,
        DAY,
    )
    await connection.execute(
        """INSERT INTO review_complaints (review_id, store_id, owner_id, product_id,
               complaint_text, reason_id, reason_name, review_rating, review_text, review_date,
               sent_by_user_id)
           VALUES ($1, $2, $3, $4, 'Текст', 20, 'Другое', 1, 'Плохо', $5, $3)""",
        r,
        store,
        owner,
        p,
        DAY,
    )
    await connection.execute(
        """INSERT INTO chats (id, store_id, owner_id, client_name, reply_sign)
           VALUES ($1, $2, $3, 'Анна', 'sign')""",
        ch,
        store,
        owner,
    )
    await connection.execute(
        """INSERT INTO chat_messages (id, chat_id, store_id, owner_id, sender, timestamp)
           VALUES ($1, $2, $3, $4, 'client', $5)""",
        f"{store}-m",
        ch,
        store,
        owner,
        DAY,
    )
    await connection.execute(
        "INSERT INTO chat_auto_sequences (chat_id, store_id, owner_id) VALUES ($1, $2, $3)",
        ch,
        store,
        owner,
    )
    await connection.execute(
        """INSERT INTO questions (id, store_id, owner_id, text, created_date, state,
               product_nm_id, product_name)
           VALUES ($1, $2, $3, 'Размер?', $4, 'none', 123, 'Товар')""",
        f"{store}-q",
        store,
        owner,
        DAY,
    )
    await connection.execute(
        """INSERT INTO ai_logs (store_id, owner_id, entity_type, entity_id, action)
           VALUES ($1, $2, 'review', $3, 'generate_complaint')""",
        store,
        owner,
        r,
    )


STORE_TABLES = [
    "products",
    "product_rules",
    "reviews",
    "review_complaints",
    "chats",
    "chat_messages",
    "chat_auto_sequences",
    "questions",
    "ai_logs",
]


async def add_user(connection: asyncpg.Connection, user_id: str) -> None:
    await connection.execute(
        "INSERT INTO users (id, email) VALUES ($1, $2)", user_id, f"{user_id}@example.com"
    )


async def rows_per_table(connection: asyncpg.Connection, store: str) -> dict[str, int]:
    return {
        t: await connection.fetchval(f"SELECT count(*) FROM {t} WHERE store_id = $1", store)
        for t in STORE_TABLES
    }


async def test_deleting_a_store_removes_all_its_data(conn: asyncpg.Connection) -> None:
    await add_user(conn, "u1")
    await seed_store(conn, "u1", "s1")
    await seed_store(conn, "u1", "s2")
    assert set((await rows_per_table(conn, "s1")).values()) == {1}

    await conn.execute("DELETE FROM stores WHERE id = 's1'")

    # Every table with a store_id, the later migrations' tables included.
    with_store_id = [
        r["table_name"]
        for r in await conn.fetch(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'store_id'"
        )
    ]
    assert set(STORE_TABLES) <= set(with_store_id)
    for table in with_store_id:
        count = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE store_id = 's1'")
        assert count == 0, table
    assert await rows_per_table(conn, "s2") == dict.fromkeys(STORE_TABLES, 1)
    assert await conn.fetchval("SELECT count(*) FROM users") == 1


async def test_deleting_a_user_cascades_but_keeps_complaints_they_sent_elsewhere(
    conn: asyncpg.Connection,
) -> None:
    await add_user(conn, "owner")
    await add_user(conn, "manager")
    await conn.execute("INSERT INTO user_settings (id) VALUES ('manager')")
    await seed_store(conn, "owner", "s1")
    await conn.execute("UPDATE review_complaints SET sent_by_user_id = 'manager'")

    await conn.execute("DELETE FROM users WHERE id = 'manager'")

    assert await conn.fetchval("SELECT count(*) FROM user_settings") == 0
    assert await conn.fetchval("SELECT sent_by_user_id FROM review_complaints") is None

    await conn.execute("DELETE FROM users WHERE id = 'owner'")
    for table in ["stores", *STORE_TABLES]:
        assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table


async def test_complaint_flags_follow_complaint_status(conn: asyncpg.Connection) -> None:
    await add_user(conn, "u1")
    await seed_store(conn, "u1", "s1")

    async def flags(review_id: str) -> tuple[bool, bool]:
        row = await conn.fetchrow(
            "SELECT has_complaint_draft, has_complaint FROM reviews WHERE id = $1", review_id
        )
        assert row is not None
        return row["has_complaint_draft"], row["has_complaint"]

    assert await flags("s1-r") == (False, False)  # not_sent

    await conn.execute(
        """INSERT INTO reviews (id, product_id, store_id, owner_id, rating, text, author, date,
               complaint_status)
           VALUES ('r2', 's1-p', 's1', 'u1', 2, '', 'Олег', $1, 'draft')""",
        DAY,
    )
    assert await flags("r2") == (True, False)

    await conn.execute("UPDATE reviews SET complaint_status = 'sent' WHERE id = 'r2'")
    assert await flags("r2") == (False, True)


async def test_updated_at_moves_on_update(conn: asyncpg.Connection) -> None:
    await add_user(conn, "u1")
    await seed_store(conn, "u1", "s1")
    old = datetime(2000, 1, 1, tzinfo=UTC)
    # Backdate the row with the trigger off, then make an ordinary update.
    await conn.execute("ALTER TABLE reviews DISABLE TRIGGER update_reviews_updated_at")
    await conn.execute("UPDATE reviews SET updated_at = $1", old)
    await conn.execute("ALTER TABLE reviews ENABLE TRIGGER update_reviews_updated_at")
    assert await conn.fetchval("SELECT updated_at FROM reviews") == old

    await conn.execute("UPDATE reviews SET text = 'Ужасно'")

    assert await conn.fetchval("SELECT updated_at FROM reviews") > old


async def test_telegram_accounts(conn: asyncpg.Connection) -> None:
    await add_user(conn, "u1")
    await conn.execute("INSERT INTO telegram_accounts (telegram_id, user_id) VALUES (42, 'u1')")
    row = await conn.fetchrow("SELECT * FROM telegram_accounts")
    assert row is not None
    assert (row["is_blocked"], row["username"]) == (False, None)
    assert row["created_at"] == row["updated_at"]
    with pytest.raises(asyncpg.UniqueViolationError):  # one account per user
        await conn.execute("INSERT INTO telegram_accounts (telegram_id, user_id) VALUES (43, 'u1')")
    await conn.execute("DELETE FROM users WHERE id = 'u1'")
    assert await conn.fetchval("SELECT count(*) FROM telegram_accounts") == 0


# --------------------------------------------------------------------------------------
# (c) Why the deviation: a long Cyrillic answer fits
# --------------------------------------------------------------------------------------


def cyrillic_answer(length: int = 1500) -> str:
    """Varied Cyrillic text: unlike a repeated phrase it does not compress below the limit."""
    rnd = random.Random(length)
    letters = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
    text = "".join(rnd.choice(letters + "  ") for _ in range(length))
    return json.dumps({"text": text, "state": "wbRu", "editable": False}, ensure_ascii=False)


async def test_long_cyrillic_answer_can_be_stored(conn: asyncpg.Connection) -> None:
    await add_user(conn, "u1")
    await seed_store(conn, "u1", "s1")
    answer = cyrillic_answer()
    assert len(json.loads(answer)["text"]) == 1500

    await conn.execute("UPDATE reviews SET answer = $1::jsonb, has_answer = TRUE", answer)

    assert await conn.fetchval("SELECT answer->>'text' FROM reviews") == json.loads(answer)["text"]

    # The document's own definition would have refused the same row (btree row limit).
    tr = conn.transaction()
    await tr.start()
    try:
        await conn.execute(f"DROP INDEX {DEVIATION_INDEX}")
        documented = schema_doc().indexes[DEVIATION_INDEX]
        with pytest.raises(asyncpg.ProgramLimitExceededError):
            await conn.execute(
                f"CREATE INDEX {DEVIATION_INDEX} ON reviews({', '.join(documented.columns)}) "
                f"WHERE {documented.where}"
            )
    finally:
        await tr.rollback()
