"""The operator CLI, run as a real process against a real database."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg
import pytest

from db.migrate import migration_files
from db.secrets import token_hash
from services import access
from tests.fakes.telegram.server import FakeTelegram
from tests.support.processes import free_port, wbrep


async def test_migrate_on_empty_database_then_nothing(empty_db_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": empty_db_url, "DATA_DIR": str(tmp_path)}
    code, out, err = await wbrep("migrate", env=env)
    assert code == 0, err
    assert f"applied {len(migration_files())} migration(s)" in out
    code, out, _ = await wbrep("migrate", env=env)
    assert code == 0 and "up to date" in out
    conn = await asyncpg.connect(empty_db_url)
    try:
        names = [r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")]
    finally:
        await conn.close()
    assert names[0] == "0001_schema.sql"


async def test_user_add_approve_list(db_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path)}
    code, out, err = await wbrep(
        "user", "add", "Seller@Example.com", "--telegram-id", "42", env=env
    )
    assert code == 0, err
    assert "added: seller@example.com" in out and "waiting for approval" in out
    code, out, _ = await wbrep("user", "list", "--pending", env=env)
    assert "seller@example.com" in out and "pending" in out
    code, out, _ = await wbrep("user", "approve", "seller@example.com", env=env)
    assert code == 0 and "approved" in out
    code, out, _ = await wbrep("user", "list", "--pending", env=env)
    assert "no users" in out
    # The same Telegram id for another email is refused with one clear line.
    code, _, err = await wbrep("user", "add", "other@example.com", "--telegram-id", "42", env=env)
    assert code == 1
    assert "already linked" in err and len(err.strip().splitlines()) == 1


async def test_decisions_reach_the_person_in_telegram(
    db_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    async with FakeTelegram() as tg:
        person = tg.user(42)
        env = {"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path)}
        await wbrep("user", "add", "seller@example.com", "--telegram-id", "42", env=env)
        told = {**env, "BOT_TOKEN": tg.token, "TELEGRAM_API_BASE": tg.base_url}
        code, out, err = await wbrep("user", "approve", "seller@example.com", env=told)
        assert code == 0, err
        assert "approved: seller@example.com" in out and "told in Telegram (42)" in out
        assert "Ваша заявка одобрена" in person.last_message.text
        decided_by = await pool.fetchval(
            "SELECT decided_by_name FROM users WHERE email = 'seller@example.com'"
        )
        assert decided_by == "wbrep (operator)"
        # Deciding again changes nothing and tells nobody twice.
        code, out, _ = await wbrep("user", "approve", "seller@example.com", env=told)
        assert code == 0 and "already approved" in out
        assert len(tg.calls_to("sendMessage")) == 1
        # Without a bot token the decision stands and the operator hears who was not told.
        code, out, _ = await wbrep("user", "reject", "seller@example.com", env=env)
        assert code == 0 and "rejected: seller@example.com" in out and "not told" in out
        assert len(tg.calls_to("sendMessage")) == 1
        person.block_bot()
        code, out, _ = await wbrep("user", "approve", "seller@example.com", env=told)
        assert code == 0 and "blocked the bot or never opened it" in out


async def test_bad_input_gives_one_line_and_exit_1(db_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path)}
    code, _, err = await wbrep("user", "add", "not-an-email", env=env)
    assert code == 1 and "not a valid email" in err
    code, _, err = await wbrep("user", "approve", "ghost@example.com", env=env)
    assert code == 1 and "no such user" in err
    code, _, err = await wbrep("user", "list", env={**env, "DB_POOL_MAX": "x"})
    assert code == 1 and "DB_POOL_MAX" in err


async def test_check_explains_each_failing_part(db_url: str, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    env = {
        "DATABASE_URL": db_url,
        "DATA_DIR": str(tmp_path),
        "BOT_TOKEN": "1:x",
        "TELEGRAM_API_BASE": dead,
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        **{
            f"WB_{h}_URL": f"{dead}/{h.lower()}"
            for h in ("FEEDBACKS", "CHAT", "CONTENT", "COMMON", "PRICES")
        },
    }
    code, out, _ = await wbrep("check", env=env)
    assert code == 1
    lines = {line.split()[0]: line for line in out.strip().splitlines()}
    assert "ok" in lines["settings"]
    assert "ok" in lines["secret_key"] and "created on first start" in lines["secret_key"]
    assert not (tmp_path / "secret.key").exists()  # a check changes nothing
    assert (
        "ok" in lines["database"]
        and f"{len(migration_files())}/{len(migration_files())} migrations" in lines["database"]
    )
    assert "FAIL" in lines["redis"]
    assert "FAIL" in lines["telegram"] and "1:x" not in lines["telegram"]
    for host in ("feedbacks", "chat", "content", "common", "prices"):
        assert "FAIL" in lines[f"wb:{host}"]


@pytest.mark.slow
async def test_run_with_only_bot_token_uses_embedded_postgres(tmp_path: Path) -> None:
    """`BOT_TOKEN=1:x wbrep run`: embedded PostgreSQL starts, migrates, one line about Telegram."""
    env = {
        "BOT_TOKEN": "1:x",
        "DATA_DIR": str(tmp_path / "data"),
        "TELEGRAM_API_BASE": f"http://127.0.0.1:{free_port()}",
        "LOG_LEVEL": "WARNING",
    }
    code, _, err = await wbrep("run", env=env)
    assert code == 1
    assert err.strip().splitlines()[-1].startswith("error: Telegram cannot be reached")
    assert (tmp_path / "data" / "postgres" / "PG_VERSION").read_text().strip() == "18"
    # The server was stopped on exit: no postmaster.pid left behind.
    assert not (tmp_path / "data" / "postgres" / "postmaster.pid").exists()


async def test_user_link_prints_a_personal_link(
    db_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """`user add` without --telegram-id and `user link` print a one-time link; a new one
    makes the older one stop working; a linked user gets none."""
    env = {"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path)}
    code, out, err = await wbrep("user", "add", "seller@example.com", "--approve", env=env)
    assert code == 0, err
    assert "added: seller@example.com" in out and "BOT_TOKEN is not set" in out
    first = re.search(r"^/start link_([A-Za-z0-9_-]{32})$", out, re.M)
    assert first is not None
    async with FakeTelegram() as tg:
        told = {**env, "BOT_TOKEN": tg.token, "TELEGRAM_API_BASE": tg.base_url}
        code, out, err = await wbrep("user", "link", "Seller@Example.com", env=told)
        assert code == 0, err
        assert "personal link for seller@example.com (one use, valid until" in out
        second = re.search(
            r"^https://t\.me/wbrep_test_bot\?start=link_([A-Za-z0-9_-]{32})$", out, re.M
        )
        assert second is not None and second[1] != first[1]
        assert len(tg.calls_to("getMe")) == 1 and not tg.calls_to("sendMessage")
    rows = await pool.fetch("SELECT token_hash FROM user_link_tokens WHERE used_at IS NULL")
    assert [r["token_hash"] for r in rows] == [token_hash(second[1])]  # the first one stopped

    # Telegram down: the operator still gets a link to hand over, as a command.
    dead = {**env, "BOT_TOKEN": "1:x", "TELEGRAM_API_BASE": f"http://127.0.0.1:{free_port()}"}
    code, out, err = await wbrep("user", "link", "seller@example.com", env=dead)
    assert code == 0, err
    third = re.search(r"^/start link_([A-Za-z0-9_-]{32})$", out, re.M)
    assert third is not None and "getMe" in out and "1:x" not in out

    # Once linked, no more links: the user has a Telegram account.
    await access.link_by_token(
        pool, third[1], telegram_id=42, username=None, first_name=None, language_code=None
    )
    code, _, err = await wbrep("user", "link", "seller@example.com", env=env)
    assert code == 1 and "already linked to a Telegram account (42)" in err
    code, out, err = await wbrep("user", "add", "seller@example.com", env=env)
    assert code == 0 and "exists: seller@example.com" in out and "no personal link" in out
    assert "link_" not in out
    code, _, err = await wbrep("user", "link", "ghost@example.com", env=env)
    assert code == 1 and "no such user" in err


async def test_a_waiting_invite_is_applied_even_when_telegram_fails(
    db_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    from services import access
    from services.members import create_invite
    from tests.support.stores import make_store, make_user

    owner = await make_user(pool)
    store = await make_store(pool, owner, "t")
    token = await create_invite(pool, store, owner)
    person = await access.add_user(pool, "late@example.com", telegram_id=43)
    await access.remember_invite(pool, person.user.id, token)
    async with FakeTelegram() as tg:
        tg.user(43)
        tg.fail("sendMessage", error_code=500, description="Internal Server Error", times=5)
        env = {"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path), "BOT_TOKEN": tg.token}
        code, out, err = await wbrep(
            "user", "approve", "late@example.com", env={**env, "TELEGRAM_API_BASE": tg.base_url}
        )
    assert code == 0, err
    assert "approved: late@example.com" in out and "not told in Telegram" in out
    member = await pool.fetchval(
        "SELECT count(*) FROM store_members WHERE store_id = $1 AND user_id = $2",
        store,
        person.user.id,
    )
    assert member == 1, "the invite was applied although Telegram failed"


async def test_migrate_seals_plaintext_tokens_and_rotate_reseals_them(
    db_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    from db.secrets import Key, Keyring, key_id_of, load_key_file
    from tests.support.stores import make_store, make_user

    store = await make_store(pool, await make_user(pool), "plain-wb-token")
    env = {"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path), "SECRET_KEY": ""}
    code, out, err = await wbrep("migrate", env=env)
    assert code == 0, err
    assert "sealed 1 stored secret(s) that were plain text" in out
    key_file = tmp_path / "secret.key"
    assert "SECRET_KEY is not set: created" in err and str(key_file) in err
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.read_text().strip() not in out + err
    raw = await pool.fetchval("SELECT api_token FROM stores WHERE id = $1", store)
    assert "plain-wb-token" not in raw
    assert Keyring(load_key_file(tmp_path)).open(raw) == "plain-wb-token"
    code, out, err = await wbrep("migrate", env=env)  # nothing more to do, no new key
    assert code == 0 and "sealed" not in out and "created" not in err

    # Rotation with the key file: the file is replaced, the old key is no longer needed.
    new = "a-new-secret-key-typed-by-the-operator-0004"
    code, out, err = await wbrep("secrets", "rotate", "--new-key", "-", env=env, stdin=new + "\n")
    assert code == 0, err
    assert f"re-sealed 1, sealed 0 plain-text secret(s) with key {Key.from_secret(new).id}" in out
    assert new not in out + err
    raw = await pool.fetchval("SELECT api_token FROM stores WHERE id = $1", store)
    assert Keyring(Key.from_secret(new)).open(raw) == "plain-wb-token"
    assert load_key_file(tmp_path).id == Key.from_secret(new).id

    # Rotation through the environment: SECRET_KEY new, SECRET_KEY_OLD old.
    newer = "the-newest-secret-key-from-the-vault-00005"
    rotate_env = {**env, "SECRET_KEY": newer, "SECRET_KEY_OLD": new}
    code, out, err = await wbrep("secrets", "rotate", env=rotate_env)
    assert code == 0, err
    assert "re-sealed 1" in out and "SECRET_KEY_OLD is no longer needed" in out
    raw = await pool.fetchval("SELECT api_token FROM stores WHERE id = $1", store)
    assert key_id_of(raw) == Key.from_secret(newer).id
    assert Keyring(Key.from_secret(newer)).open(raw) == "plain-wb-token"

    # Without the old key the rows cannot be read: said in one line, exit 1.
    code, out, err = await wbrep("secrets", "rotate", "--new-key", "-", env=env, stdin=new + "1\n")
    assert code == 1 and "1 stored secret(s) cannot be read with the current SECRET_KEY" in err
    code, _, err = await wbrep("secrets", "rotate", env=env)
    assert code == 1 and "give --new-key" in err
    code, out, _ = await wbrep("secrets", "generate", env=env)
    assert code == 0 and len(out.strip()) >= 32


async def test_sync_all_reports_every_kind_when_one_fails(
    db_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """Issue 10, item 3: `wbrep sync --kind all` stopped at the first failing kind."""
    from tests.fakes.wb import WBEmulator
    from tests.fakes.wb.generator import generate_shop
    from tests.support.stores import make_store, make_user

    shop = generate_shop(3, reviews=40, products=4, questions=6, chats=3)
    async with WBEmulator(shop) as wb:
        store = await make_store(pool, await make_user(pool), wb.token())
        await pool.execute("ALTER TABLE questions RENAME TO questions_away")  # a database fault
        env = {
            "DATABASE_URL": db_url,
            "DATA_DIR": str(tmp_path),
            "WB_LIMITS_ENABLED": "false",
            **{f"WB_{host.upper()}_URL": url for host, url in wb.urls.items()},
        }
        code, out, err = await wbrep("sync", store, "--kind", "all", env=env)
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert code == 1, (out, err)
    assert "FAILED: internal error: UndefinedTableError" in lines["questions"]
    assert "fetched" in lines["products"] and "fetched" in lines["reviews"]
    assert "fetched" in lines["chats"], "the kind after the failed one ran"


async def test_webhook_run_without_redis_stops_with_one_line(tmp_path: Path) -> None:
    """A webhook replica would keep forms in its own memory: it does not start at all."""
    env = {
        "BOT_TOKEN": "1:x",
        "DATA_DIR": str(tmp_path / "data"),
        "WEBHOOK_URL": "https://bot.example.com",
        "WEBHOOK_SECRET": "a-long-enough_secret-0123456789",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    code, _, err = await wbrep("run", env=env)
    assert code == 1
    assert err.strip().splitlines() == [
        "error: REDIS_URL must be set with WEBHOOK_URL: webhook replicas keep conversation "
        "state in Redis (e.g. REDIS_URL=redis://127.0.0.1:6379/0)"
    ]
    assert not (tmp_path / "data").exists(), "nothing was started"
