"""Tokens at rest: WB tokens and LLM keys sealed in the database, plaintext rows sealed at
start-up, key rotation, a lost key said clearly, one-time tokens kept as hashes only."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from db.migrate import apply_migrations_on, migration_files
from db.pool import create_pool
from db.repos import stores as stores_repo
from db.repos.sealed import SEALED_COLUMNS, prepare_secrets, seal_stored_secrets
from db.repos.user_settings import get_user_settings, update_user_settings
from db.secrets import PREFIX, Key, Keyring, configure, key_id_of, token_hash, unseal
from services import access
from services.members import accept_invite, create_invite
from services.reminders import ReminderService
from services.sync.service import SyncService
from services.wb.client import RetryPolicy, WBUrls
from services.wb.factory import TOKEN_UNREADABLE, WBClientFactory, store_tokens
from services.wb.limits import MemoryRateLimiter
from tests.fakes.wb.app import WBEmulator
from tests.fakes.wb.generator import generate_shop
from tests.support.stores import make_store, make_user, sealed_with_another_key

NEW_KEY = "the-new-secret-key-after-rotation-000000003"


@pytest.fixture
async def wb() -> AsyncIterator[WBEmulator]:
    async with WBEmulator(generate_shop(5, reviews=30, products=3, questions=5, chats=2)) as emu:
        yield emu


@pytest.fixture
async def factory(wb: WBEmulator) -> AsyncIterator[WBClientFactory]:
    http = httpx.AsyncClient(timeout=httpx.Timeout(5.0))
    retry = RetryPolicy(max_attempts=3, base_backoff=0.01, max_backoff=0.05, jitter=False)
    yield WBClientFactory(WBUrls.from_mapping(wb.urls), http, MemoryRateLimiter(), retry)
    await http.aclose()


@pytest.fixture
def restore_keyring(test_keyring: Keyring) -> Iterator[None]:
    yield None
    configure(test_keyring)


async def stored(pool: asyncpg.Pool, table: str, column: str, row_id: str) -> str:
    return str(await pool.fetchval(f"SELECT {column} FROM {table} WHERE id = $1", row_id))


async def all_secret_values(pool: asyncpg.Pool) -> list[str]:
    values: list[str] = []
    for table, column in SEALED_COLUMNS:
        rows = await pool.fetch(f"SELECT {column} AS v FROM {table} WHERE {column} IS NOT NULL")
        values += [r["v"] for r in rows]
    return values


async def test_a_store_token_is_sealed_in_the_database_and_read_back_in_plain(
    pool: asyncpg.Pool, wb: WBEmulator
) -> None:
    owner = await make_user(pool)
    token, fresh = wb.token(), wb.token(sid="other")
    store = await stores_repo.create_store(pool, "s1", owner_id=owner, name="S", api_token=token)
    raw = await stored(pool, "stores", "api_token", store.id)
    assert raw.startswith(PREFIX) and token not in raw and token[-30:] not in raw
    assert store_tokens(store).api_token == token
    assert await stores_repo.set_api_token(pool, store.id, fresh)
    raw = await stored(pool, "stores", "api_token", store.id)
    assert fresh not in raw and unseal(raw) == fresh
    again = await stores_repo.get_store(pool, store.id)
    assert again is not None and store_tokens(again).api_token == fresh


async def test_an_llm_key_is_sealed_in_the_database(pool: asyncpg.Pool) -> None:
    user = await make_user(pool)
    row = await update_user_settings(pool, user, deepseek_api_key="sk-owner-secret-key")
    assert row.deepseek_api_key == "sk-owner-secret-key" and not row.unreadable_keys
    raw = await stored(pool, "user_settings", "deepseek_api_key", user)
    assert raw.startswith(PREFIX) and "sk-owner" not in raw
    # A key sealed with a key this process lacks reads as unreadable, never as garbage.
    await pool.execute(
        "UPDATE user_settings SET deepseek_api_key = $2 WHERE id = $1",
        user,
        sealed_with_another_key("sk-owner-secret-key"),
    )
    lost = await get_user_settings(pool, user)
    assert lost is not None and lost.deepseek_api_key is None
    assert lost.unreadable_keys == ("deepseek_api_key",) and not lost.has_deepseek_key


async def plaintext_rows(pool: asyncpg.Pool) -> tuple[list[str], str, dict[str, str]]:
    """Rows as the code before sealing wrote them (and as the web product may still)."""
    owner = await make_user(pool)
    stores = [await make_store(pool, owner, f"plain-token-{i}") for i in range(3)]
    await pool.execute(
        "UPDATE stores SET chat_api_token = 'plain-chat', content_api_token = '' WHERE id = $1",
        stores[0],
    )
    await pool.execute(
        "INSERT INTO user_settings (id, deepseek_api_key, openai_api_key, api_key)"
        " VALUES ($1, 'sk-plain', NULL, 'web-product-key')",
        owner,
    )
    expected = {
        **{f"plain-token-{i}": stores[i] for i in range(3)},
        "plain-chat": stores[0],
        "sk-plain": owner,
    }
    return stores, owner, expected


async def test_start_up_seals_plaintext_rows_once_even_with_two_instances(
    pool: asyncpg.Pool, test_keyring: Keyring
) -> None:
    stores, owner, expected = await plaintext_rows(pool)
    first, second = await asyncio.gather(
        prepare_secrets(pool, test_keyring), seal_stored_secrets(pool, test_keyring)
    )
    assert first.sealed + second.sealed == len(expected)  # each value sealed by one instance
    assert first.unreadable == second.unreadable == 0
    values = await all_secret_values(pool)
    assert values and all(v == "" or v.startswith(PREFIX) for v in values)
    assert sorted(test_keyring.open(v) for v in values if v) == sorted(expected)
    store = await stores_repo.get_store(pool, stores[0])
    assert store is not None
    tokens = store_tokens(store)
    assert (tokens.api_token, tokens.chat, tokens.content) == ("plain-token-0", "plain-chat", "")
    settings = await get_user_settings(pool, owner)
    assert settings is not None and settings.deepseek_api_key == "sk-plain"
    # The web product's own key is looked up by value: left as it is.
    assert await stored(pool, "user_settings", "api_key", owner) == "web-product-key"
    # Idempotent: nothing left to do.
    assert (await seal_stored_secrets(pool, test_keyring)).sealed == 0


async def test_rotation_reseals_every_row_and_the_old_key_is_then_not_needed(
    pool: asyncpg.Pool, test_keyring: Keyring, restore_keyring: None
) -> None:
    _, _, expected = await plaintext_rows(pool)
    await seal_stored_secrets(pool, test_keyring)
    lost_store = await make_store(pool, await make_user(pool), sealed_with_another_key("t"))
    new = Key.from_secret(NEW_KEY)
    report = await seal_stored_secrets(pool, Keyring(new, [test_keyring.current]))
    assert report.resealed == len(expected) and report.sealed == 0
    assert report.unreadable == 1  # sealed with a key neither knows: left, and counted
    only_new = Keyring(new)
    values = [v for v in await all_secret_values(pool) if v]
    readable = [v for v in values if v != await stored(pool, "stores", "api_token", lost_store)]
    assert {key_id_of(v) for v in readable} == {new.id}
    assert sorted(only_new.open(v) for v in readable) == sorted(expected)
    configure(only_new)
    settings = [await get_user_settings(pool, o) for o in {*expected.values()}]
    assert "sk-plain" in {s.deepseek_api_key for s in settings if s is not None}


async def test_sync_with_an_unreadable_token_records_a_clear_error_and_goes_on(
    pool: asyncpg.Pool, wb: WBEmulator, factory: WBClientFactory
) -> None:
    owner = await make_user(pool)
    lost = await make_store(pool, owner, sealed_with_another_key(wb.token()), name="Lost")
    fine = await make_store(pool, owner, wb.token(), name="Fine")
    service = SyncService(pool, factory)
    result = await service.sync(lost, "products")
    assert result.error == TOKEN_UNREADABLE and not wb.stats.requests  # WB never asked
    row = await pool.fetchrow(
        "SELECT last_product_update_status AS s, last_product_update_error AS e"
        " FROM stores WHERE id = $1",
        lost,
    )
    assert row is not None and (row["s"], row["e"]) == ("error", TOKEN_UNREADABLE)
    # Every kind says the same, and another store's sync is not disturbed.
    results = await service.sync_all(lost)
    assert [r.error for r in results] == [TOKEN_UNREADABLE] * 4
    assert (await service.sync(fine, "products")).ok
    # Token reminders skip the store instead of failing the whole run.
    report = await ReminderService(pool, notifier=None).token_expiry(  # type: ignore[arg-type]
        now=datetime.now(UTC) + timedelta(days=3650)
    )
    assert report.sent == 0


async def test_link_and_invite_rows_hold_only_a_hash(pool: asyncpg.Pool) -> None:
    owner = await make_user(pool, "owner@example.com")
    store = await make_store(pool, owner, "tok")
    invite = await create_invite(pool, store, owner)
    link = await access.issue_link_token(pool, "owner@example.com")
    dump = str(
        [
            *(await pool.fetch("SELECT * FROM store_invites")),
            *(await pool.fetch("SELECT * FROM user_link_tokens")),
        ]
    )
    assert invite not in dump and link.token not in dump
    assert token_hash(invite) in dump and token_hash(link.token) in dump
    # The hash itself is not a usable invite.
    manager = await make_user(pool)
    with pytest.raises(Exception, match="unknown"):
        await accept_invite(pool, token_hash(invite), manager)
    assert (await accept_invite(pool, invite, manager)).first
    # Nothing but a SHA-256 can be written there.
    with pytest.raises(asyncpg.CheckViolationError):
        await pool.execute(
            "INSERT INTO store_invites (token_hash, store_id, created_by, expires_at)"
            " VALUES ('raw-token', $1, $2, now())",
            store,
            owner,
        )


async def test_migration_0012_hashes_existing_link_and_invite_tokens(
    empty_db_url: str, tmp_path: Path
) -> None:
    before = tmp_path / "before"
    before.mkdir()
    for path in migration_files():
        if path.name < "0012":
            shutil.copy(path, before / path.name)
    conn = await asyncpg.connect(empty_db_url)
    try:
        await apply_migrations_on(conn, before)
        await conn.execute(
            """
            INSERT INTO users (id, email, is_approved) VALUES ('o', 'o@example.com', TRUE),
                   ('p', 'p@example.com', FALSE), ('m', 'm@example.com', TRUE);
            INSERT INTO stores (id, name, owner_id, api_token) VALUES ('s', 'S', 'o', 't');
            INSERT INTO store_invites (token, store_id, created_by, expires_at)
                 VALUES ('inv-Токен_1', 's', 'o', now() + interval '1 day');
            INSERT INTO user_link_tokens (token, user_id, expires_at)
                 VALUES ('link-token-2', 'p', now() + interval '1 day');
            INSERT INTO pending_invites (user_id, token) VALUES ('p', 'inv-Токен_1');
            """
        )
        await apply_migrations_on(conn)
        assert await conn.fetchval("SELECT token_hash FROM store_invites") == token_hash(
            "inv-Токен_1"
        )
        assert await conn.fetchval("SELECT token_hash FROM user_link_tokens") == token_hash(
            "link-token-2"
        )
        assert await conn.fetchval("SELECT token_hash FROM pending_invites") == token_hash(
            "inv-Токен_1"
        )
    finally:
        await conn.close()
    # The links still work with the tokens people hold.
    pool = await create_pool(empty_db_url, max_size=3)
    try:
        linked = await access.link_by_token(
            pool, "link-token-2", telegram_id=9, username=None, first_name=None, language_code=None
        )
        assert linked.first and linked.status.telegram_id == 9
        assert (await accept_invite(pool, "inv-Токен_1", "m")).store_id == "s"
    finally:
        await pool.close()
