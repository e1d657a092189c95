"""Start-up checks of a bot process against the real PostgreSQL: the server's
`max_connections` against every running bot process's pool."""

from __future__ import annotations

import logging

import pytest

from bot.app import warn_pool_sizing
from db.pool import BOT_APP_PREFIX, connection_capacity, create_pool
from services.health import pool_sizing


def test_pool_sizing_names_the_numbers_and_the_fix() -> None:
    assert pool_sizing(100, 3, 1, 50) is None
    assert pool_sizing(100, 3, 2, 47) is None  # 2 x (47 + 1 listening) = 96
    assert pool_sizing(100, 3, 2, 48) is not None  # 98: the listening connections count
    assert pool_sizing(100, 3, 3, 50) == (
        "PostgreSQL max_connections=100 (97 usable) cannot hold 3 bot processes x "
        "(DB_POOL_MAX=50 + 1 listening) = 153 connections: set DB_POOL_MAX=31 or lower, "
        "or raise max_connections"
    )


async def test_start_up_counts_the_other_bot_processes(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    names = [f"{BOT_APP_PREFIX}-host-{i}" for i in range(3)]
    pools = [await create_pool(db_url, max_size=2, application_name=n) for n in names]
    cli = await create_pool(db_url, max_size=1, application_name="wbrep-cli")
    try:
        max_connections, reserved, others = await connection_capacity(pools[0], names[0])
        assert others == 2, "the two other bot processes; the CLI is not one"
        assert max_connections > 0 and reserved >= 0
        per_replica = (max_connections - reserved) // 3 - 1  # and one listening each
        with caplog.at_level(logging.WARNING, logger="bot.app"):
            await warn_pool_sizing(pools[0], names[0], per_replica)
            assert caplog.records == []
            await warn_pool_sizing(pools[0], names[0], per_replica + 1)
        [record] = caplog.records
        assert f"cannot hold 3 bot processes x (DB_POOL_MAX={per_replica + 1}" in record.message
    finally:
        for p in [*pools, cli]:
            await p.close()
