"""Processes the tests start: the operator CLI (`wbrep`) and the subprocess children under
tests/support (a sync or a sender run that a test kills mid-way)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WBREP = [sys.executable, "-m", "bot.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_env(env: dict[str, str]) -> dict[str, str]:
    """`env` over this process's environment less its WB_, BOT_ and DATABASE settings: the
    CLI sees only the database and fakes the test names."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("WB_", "BOT_", "DATABASE"))}
    return {**base, **env}


async def wbrep(
    *args: str, env: dict[str, str], stdin: str | None = None, timeout: float = 120
) -> tuple[int, str, str]:
    """Run the CLI to its end with `cli_env(env)`; a run still going after `timeout` is
    killed and fails the test."""
    proc = await asyncio.create_subprocess_exec(
        *WBREP,
        *args,
        cwd=ROOT,
        env=cli_env(env),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(
            proc.communicate(stdin.encode() if stdin else None), timeout
        )
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc.returncode or 0, out.decode(), err.decode()


async def start_child(
    module: str, *args: str, stdout: int | None = None
) -> asyncio.subprocess.Process:
    """`python -m tests.support.<module> args` from the repository root, stderr dropped,
    stdout dropped unless piped (`asyncio.subprocess.PIPE`); the test kills it."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        f"tests.support.{module}",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL if stdout is None else stdout,
        stderr=asyncio.subprocess.DEVNULL,
    )
