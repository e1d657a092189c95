"""Sealing stored secrets after the SQL migrations, and re-sealing them under a new key.

SQL cannot encrypt without the key, so rows written before sealing (plaintext) are sealed by
this step at start-up (`wbrep migrate`, `wbrep run`, every CLI command that opens the
database), and `wbrep secrets rotate` runs the same step with the new key current and the
old one able to open. Each row is rewritten with a conditional UPDATE (only if it still holds
what was read), so several instances may run it at once and it is a no-op the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg

from db.secrets import PREFIX, Keyring, SecretUnreadable, configure

log = logging.getLogger(__name__)

SEALED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("stores", "api_token"),
    ("stores", "feedbacks_api_token"),
    ("stores", "chat_api_token"),
    ("stores", "content_api_token"),
    ("user_settings", "deepseek_api_key"),
    ("user_settings", "openai_api_key"),
)
"""Every column that holds a sealed secret (table, column); both tables key rows by `id`."""

_BATCH = 500


@dataclass
class SealReport:
    sealed: int = 0
    """Plaintext values sealed now."""
    resealed: int = 0
    """Values sealed with an older key, sealed again with the current one."""
    unreadable: int = 0
    """Values no configured key opens (left as they are; the store card says so)."""


async def seal_stored_secrets(pool: asyncpg.Pool, keyring: Keyring) -> SealReport:
    """Seal every plaintext value and re-seal every value under a non-current key."""
    report = SealReport()
    current = f"{PREFIX}{keyring.current.id}:"
    for table, column in SEALED_COLUMNS:
        after = ""
        while True:
            rows = await pool.fetch(
                f"""
                SELECT id, {column} AS value FROM {table}
                 WHERE id > $1 AND {column} IS NOT NULL AND {column} <> ''
                   AND left({column}, $2) <> $3
                 ORDER BY id LIMIT $4
                """,
                after,
                len(current),
                current,
                _BATCH,
            )
            if not rows:
                break
            after = rows[-1]["id"]
            for row in rows:
                value: str = row["value"]
                try:
                    plain = keyring.open(value)
                except SecretUnreadable:
                    report.unreadable += 1
                    continue
                status = await pool.execute(
                    f"UPDATE {table} SET {column} = $3 WHERE id = $1 AND {column} = $2",
                    row["id"],
                    value,
                    keyring.seal(plain),
                )
                if status == "UPDATE 1":
                    if value.startswith(PREFIX):
                        report.resealed += 1
                    else:
                        report.sealed += 1
    return report


async def prepare_secrets(pool: asyncpg.Pool, keyring: Keyring) -> SealReport:
    """At start-up, after the SQL migrations: make `keyring` the process' keyring and seal
    what is not sealed with its current key; one log line when anything was done or is off."""
    configure(keyring)
    report = await seal_stored_secrets(pool, keyring)
    if report.sealed or report.resealed:
        log.info(
            "secrets at rest: sealed %d plaintext and re-sealed %d older value(s) with key %s",
            report.sealed,
            report.resealed,
            keyring.current.id,
        )
    if report.unreadable:
        log.warning(
            "secrets at rest: %d stored value(s) cannot be read with the current SECRET_KEY"
            " (key %s); restore the old key as SECRET_KEY_OLD or replace those tokens",
            report.unreadable,
            keyring.current.id,
        )
    return report
