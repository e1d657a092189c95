"""Log lines: JSON when asked, the update and user ids on every line of an update, secrets
scrubbed in both formats."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest

from bot.logs import JsonFormatter, Scrub, _TextFormatter, bind_update

WB_TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzaWQiOiJhYmMifQ.c2lnbmF0dXJl"
BOT_TOKEN = "123456789:AAFakeTelegramTokenForTests_0123456789"
DB_PASSWORD = "postgresql://u:very-secret-pw@db/wbrep"


def capture(formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(Scrub([DB_PASSWORD]))
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"test.logs.{id(out)}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, out


@pytest.mark.parametrize("fmt", ["json", "text"])
async def test_update_ids_on_every_line_and_secrets_scrubbed(fmt: str) -> None:
    formatter = JsonFormatter() if fmt == "json" else _TextFormatter("%(message)s")
    logger, out = capture(formatter)

    async def handle_update() -> None:
        bind_update(77, 4242)
        logger.info("token %s reached %s", WB_TOKEN, f"https://x/bot{BOT_TOKEN}/getMe")
        try:
            raise RuntimeError(f"cannot connect to {DB_PASSWORD}")
        except RuntimeError:
            logger.exception("failed")

    await asyncio.create_task(handle_update())
    logger.info("outside any update")
    text = out.getvalue()
    for secret in (WB_TOKEN, BOT_TOKEN, DB_PASSWORD):
        assert secret not in text
    if fmt == "json":
        lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        assert [(x["update_id"], x["user_id"]) for x in lines] == [
            (77, 4242),
            (77, 4242),
            (None, None),
        ]
        assert lines[0]["message"] == "token *** reached https://x/bot***/getMe"
        assert "RuntimeError: cannot connect to ***" in lines[1]["exception"]
    else:
        assert "token *** reached https://x/bot***/getMe [update 77 user 4242]" in text
        assert text.splitlines()[-1] == "outside any update"


def test_llm_keys_are_scrubbed() -> None:
    from bot.logs import Scrub

    key = "sk-0123456789abcdef0123456789abcdef"
    assert Scrub().clean(f"set key {key} for user") == "set key *** for user"
