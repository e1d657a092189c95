"""`wbrep`: the operator's command line, a second front end over the same services."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Annotated, TypeVar

import asyncpg
import typer
from rich.console import Console

from db.database import database_dsn
from db.migrate import apply_migrations
from db.pool import create_pool
from services import access
from services.settings import Settings, SettingsError, load_settings

T = TypeVar("T")

app = typer.Typer(
    name="wbrep",
    help="WB Reputation Manager: Telegram bot and operator commands.",
    no_args_is_help=True,
    add_completion=False,
)
user_app = typer.Typer(help="Manage who may use the bot.", no_args_is_help=True)
app.add_typer(user_app, name="user")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class CliError(Exception):
    """A failure to report as one line and exit 1."""


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # httpx logs every URL at INFO; URLs carry no secrets, but the noise helps nobody.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _settings() -> Settings:
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    _setup_logging(settings.log_level)
    return settings


def _run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine; known failures become one line on stderr and exit code 1."""
    try:
        return asyncio.run(_as_coro(coro_fn))
    except (CliError, SettingsError, access.AccessError) as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None
    except (OSError, asyncpg.PostgresError) as exc:
        err.print(f"error: {type(exc).__name__}: {exc}", markup=False)
        raise typer.Exit(1) from None


async def _as_coro(fn: Callable[[], Awaitable[T]]) -> T:
    return await fn()


@contextlib.asynccontextmanager
async def _pool(settings: Settings, *, migrate: bool = True) -> AsyncIterator[asyncpg.Pool]:
    url = settings.database_url.get_secret_value() if settings.database_url else None
    async with database_dsn(url, settings.data_dir) as dsn:
        if migrate:
            await apply_migrations(dsn)
        pool = await create_pool(dsn, max_size=min(settings.db_pool_max, 5))
        try:
            yield pool
        finally:
            await pool.close()


@app.command()
def migrate() -> None:
    """Apply pending database migrations (starts the embedded PostgreSQL if needed)."""
    settings = _settings()

    async def go() -> None:
        url = settings.database_url.get_secret_value() if settings.database_url else None
        async with database_dsn(url, settings.data_dir) as dsn:
            applied = await apply_migrations(dsn)
        if applied:
            out.print(f"applied {len(applied)} migration(s): {', '.join(applied)}")
        else:
            out.print("database is up to date")

    _run(go)


@app.command()
def run() -> None:
    """Run the bot: migrate, then poll Telegram (or serve the webhook)."""
    from bot.app import StartupError, run_bot

    settings = _settings()

    async def go() -> None:
        try:
            await run_bot(settings)
        except StartupError as exc:
            raise CliError(str(exc)) from None

    _run(go)


@app.command()
def check() -> None:
    """Check settings, database, Redis, Telegram and each WB host: one line each."""
    from services.health import run_checks

    try:
        settings = load_settings()
    except SettingsError as exc:
        out.print(f"settings   FAIL  {exc}", markup=False)
        raise typer.Exit(1) from None

    async def go() -> bool:
        ok = True
        async for result in run_checks(settings):
            mark = "ok  " if result.ok else "FAIL"
            ok = ok and result.ok
            out.print(f"{result.name:<12} {mark}  {result.detail}", markup=False)
        return ok

    if not _run(go):
        raise typer.Exit(1)


@user_app.command("add")
def user_add(
    email: str,
    telegram_id: Annotated[int | None, typer.Option(help="Link this Telegram user id")] = None,
    approve: Annotated[bool, typer.Option("--approve", help="Approve at once")] = False,
) -> None:
    """Add a user by email (idempotent)."""
    settings = _settings()

    async def go() -> None:
        async with _pool(settings) as pool:
            reg = await access.add_user(pool, email, telegram_id=telegram_id, approve=approve)
        state = "approved" if reg.user.is_approved else "waiting for approval"
        verb = "added" if reg.created else "exists"
        out.print(f"{verb}: {reg.user.email} ({reg.user.id}), {state}", markup=False)

    _run(go)


@user_app.command("approve")
def user_approve(email: str) -> None:
    """Approve a user by email or id."""
    settings = _settings()

    async def go() -> None:
        async with _pool(settings) as pool:
            user = await access.set_approval(pool, email, True)
        out.print(f"approved: {user.email}", markup=False)

    _run(go)


@user_app.command("list")
def user_list(
    pending: Annotated[bool, typer.Option("--pending", help="Only those waiting")] = False,
) -> None:
    """List users (email, id, approval)."""
    settings = _settings()

    async def go() -> None:
        async with _pool(settings) as pool:
            users = await access.list_users(pool, approved=False if pending else None)
        if not users:
            out.print("no users")
        for u in users:
            state = "approved" if u.is_approved else "pending"
            out.print(f"{u.email}\t{u.id}\t{state}", markup=False)

    _run(go)


def main(argv: Sequence[str] | None = None) -> None:
    app(args=list(argv) if argv is not None else None, prog_name="wbrep")


__all__ = ["app", "main"]
