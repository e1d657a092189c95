"""`wbrep`: the operator's command line, a second front end over the same services."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Annotated, TypeVar, cast

import asyncpg
import typer
from rich.console import Console

from bot.logs import setup_logging
from services import access, secret_keys, stores
from services.database import Database, open_database
from services.emails import shown
from services.members import InviteError
from services.records import UserStatus
from services.secret_keys import SecretUnreadable
from services.settings import Settings, SettingsError, load_settings
from services.stores import StoreError, StoreTokenError
from services.sync.base import KINDS, SyncKind, SyncResult
from services.wb.factory import WBClientFactory

T = TypeVar("T")

app = typer.Typer(
    name="wbrep",
    help="WB Reputation Manager: Telegram bot and operator commands.",
    no_args_is_help=True,
    add_completion=False,
)
user_app = typer.Typer(help="Manage who may use the bot.", no_args_is_help=True)
app.add_typer(user_app, name="user")
store_app = typer.Typer(help="Manage WB stores (seller accounts).", no_args_is_help=True)
app.add_typer(store_app, name="store")
complaints_app = typer.Typer(help="Complaint drafts.", no_args_is_help=True)
app.add_typer(complaints_app, name="complaints")
secrets_app = typer.Typer(
    help="The key that seals WB tokens and LLM keys at rest.", no_args_is_help=True
)
app.add_typer(secrets_app, name="secrets")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class CliError(Exception):
    """A failure to report as one line and exit 1."""


def _settings() -> Settings:
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    setup_logging(settings.log_level, settings.log_format, settings.secret_values())
    return settings


def _run(
    coro_fn: Callable[[], Awaitable[T]],
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
) -> T:
    """Run a coroutine; known failures become one line on stderr and exit code 1."""
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            return runner.run(_as_coro(coro_fn))
    except (CliError, SettingsError, access.AccessError, StoreError, SecretUnreadable) as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None
    except (OSError, asyncpg.PostgresError) as exc:
        err.print(f"error: {type(exc).__name__}: {exc}", markup=False)
        raise typer.Exit(1) from None


def fast_loop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop for the bot where it is installed (aiogram's own advice): in the
    press benchmark (issue 17) the bot spent ~4% less CPU a press on it. The operator's
    one-shot commands keep asyncio's loop."""
    try:
        import uvloop
    except ImportError:  # Windows, or a slim install: asyncio's loop works the same
        return None
    return uvloop.new_event_loop


async def _as_coro(fn: Callable[[], Awaitable[T]]) -> T:
    return await fn()


def _open(settings: Settings, *, max_size: int) -> contextlib.AbstractAsyncContextManager[Database]:
    """The bot's own start-up steps on the database (`services.database.open_database`)."""
    return open_database(settings, max_size=max_size)


@contextlib.asynccontextmanager
async def _pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    """A small pool on the migrated database, with stored secrets sealed."""
    async with _open(settings, max_size=min(settings.db_pool_max, 5)) as db:
        yield db.pool


@app.command()
def migrate() -> None:
    """Apply pending database migrations, then seal stored secrets that are plain text."""
    settings = _settings()

    async def go() -> None:
        async with _open(settings, max_size=2) as db:
            applied, sealed = db.applied, db.sealed
        if applied:
            out.print(f"applied {len(applied)} migration(s): {', '.join(applied)}")
        else:
            out.print("database is up to date")
        if sealed.sealed:
            out.print(f"sealed {sealed.sealed} stored secret(s) that were plain text")
        if sealed.unreadable:
            err.print(_unreadable_line(sealed.unreadable), markup=False)

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

    _run(go, loop_factory=fast_loop())


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
    """Add a user by email (idempotent); without --telegram-id, print their personal link.

    The person opens the link to bind their Telegram account: typing the email in the bot
    does not bind a user who is approved. Each run issues a new link; older ones stop working.
    """
    settings = _settings()

    async def go() -> None:
        async with _pool(settings) as pool:
            reg = await access.add_user(pool, email, telegram_id=telegram_id, approve=approve)
            state = "approved" if reg.user.is_approved else "waiting for approval"
            verb = "added" if reg.created else "exists"
            out.print(f"{verb}: {reg.user.email} ({reg.user.id}), {state}", markup=False)
            if telegram_id is None:
                try:
                    link = await access.issue_link_token(pool, reg.user.id)
                except access.AccessError as exc:
                    if exc.code != "already_linked":
                        raise
                    out.print(f"{exc}: no personal link needed", markup=False)
                    return
                out.print(await _personal_link(settings, link), markup=False)

    _run(go)


@user_app.command("link")
def user_link(email: str) -> None:
    """Print a one-time personal link (7 days) that binds a user's Telegram account.

    For a user added without --telegram-id (or imported): they open it in Telegram. A new
    link makes the user's older unused ones stop working.
    """
    settings = _settings()

    async def go() -> None:
        async with _pool(settings) as pool:
            link = await access.issue_link_token(pool, email)
        out.print(await _personal_link(settings, link), markup=False)

    _run(go)


async def _personal_link(settings: Settings, link: access.LinkToken) -> str:
    """The link to send: t.me with the bot's username when Telegram tells it, else a command."""
    until = link.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    head = f"personal link for {link.user.email} (one use, valid until {until})"
    payload = f"link_{link.token}"
    username, why = await _bot_username(settings)
    if username:
        return f"{head}:\nhttps://t.me/{username}?start={payload}"
    return f"{head}; {why}, so the person sends this to the bot:\n/start {payload}"


async def _bot_username(settings: Settings) -> tuple[str | None, str]:
    """The bot's username from getMe, or None and why not."""
    if settings.bot_token is None or not settings.bot_token.get_secret_value().strip():
        return None, "BOT_TOKEN is not set"
    from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
    from aiogram.utils.token import TokenValidationError

    from bot.app import create_bot

    try:
        bot = create_bot(settings.require_bot_token(), settings)
    except TokenValidationError:
        return None, "BOT_TOKEN is not a valid token"
    try:
        me = await bot.get_me()
    except (TelegramAPIError, TelegramNetworkError) as exc:
        return None, f"Telegram did not answer getMe ({type(exc).__name__})"
    finally:
        await bot.session.close()
    if not me.username:
        return None, "the bot has no username"
    return me.username, ""


OPERATOR = "wbrep (operator)"
"""Who decided, as the admins' cards and /users show it, for decisions taken here."""


@user_app.command("approve")
def user_approve(email: str) -> None:
    """Approve a user by email or id; they hear it in Telegram when BOT_TOKEN is set."""
    _decide_user(email, approve=True)


@user_app.command("reject")
def user_reject(email: str) -> None:
    """Reject a user by email or id (also withdraws access and pauses the stores they own);
    they hear it as with approve."""
    _decide_user(email, approve=False)


def _decide_user(key: str, *, approve: bool) -> None:
    settings = _settings()
    verb = "approved" if approve else "rejected"

    async def go() -> None:
        async with _pool(settings) as pool:
            decision = await access.decide(pool, key, approve, admin_name=OPERATOR)
            person = decision.status
            if decision.paused:
                out.print(f"paused {decision.paused} store(s) they own", markup=False)
            if not decision.changed:
                out.print(f"already {verb}: {shown(person.email)}", markup=False)
                return
            out.print(f"{verb}: {shown(person.email)}", markup=False)
            out.print(await _tell_outcome(settings, pool, person), markup=False)

    _run(go)


async def _tell_outcome(settings: Settings, pool: asyncpg.Pool, person: UserStatus) -> str:
    """What the bot does after an admin's decision: tell the person, apply a waiting invite."""
    if settings.bot_token is None or not settings.bot_token.get_secret_value().strip():
        if person.state == "approved" and (
            token := await access.take_pending_invite(pool, person.id)
        ):
            try:
                joined = await access.join_by_invite(pool, token, person.id)
            except InviteError as exc:
                return (
                    f"their waiting invite was not applied: {exc}; not told (BOT_TOKEN is not set)"
                )
            return f"joined {joined.invite.store_name!r} by their waiting invite; not told (BOT_TOKEN is not set)"
        return "not told in Telegram: BOT_TOKEN is not set (the bot shows it at their next /start)"
    if person.telegram_id is None:
        return "not told in Telegram: no Telegram account is linked"
    from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
    from aiogram_i18n import I18nContext

    from bot.app import create_bot
    from bot.direct import tell_outcome
    from bot.i18n import DEFAULT_LANGUAGE, PreferencesManager, create_core
    from services.access import AccessService

    bot = create_bot(settings.require_bot_token(), settings)
    i18n = I18nContext(
        locale=DEFAULT_LANGUAGE,
        core=create_core(),
        manager=PreferencesManager(default_locale=DEFAULT_LANGUAGE),
        data={},
    )
    try:
        told = await tell_outcome(bot, AccessService(pool), i18n, person)
    except (TelegramAPIError, TelegramNetworkError) as exc:
        return f"not told in Telegram: {type(exc).__name__}"
    finally:
        await bot.session.close()
    if not told:
        return "not told in Telegram: they blocked the bot or never opened it, or Telegram failed"
    return f"told in Telegram ({person.telegram_id})"


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
            out.print(f"{shown(u.email)}\t{u.id}\t{state}", markup=False)

    _run(go)


@contextlib.asynccontextmanager
async def _wb(settings: Settings) -> AsyncIterator[WBClientFactory]:
    redis = None
    if settings.redis_url is not None:
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url.get_secret_value())
    factory = WBClientFactory.from_settings(settings, redis=redis)
    try:
        yield factory
    finally:
        await factory.aclose()
        if redis is not None:
            await redis.aclose()


TOKEN_PROBLEMS = {
    "malformed": "this is not a WB API token (expected a JWT from the seller portal)",
    "expired": "the token has expired: create a new one in the seller portal",
    "read_only": "the token is read-only: the bot must answer, create a token with write access",
    "test_token": "this is a sandbox test token: use a personal token",
    "no_feedbacks_category": "the token has no 'Feedbacks and questions' category",
    "rejected_by_wb": "WB refused the token",
    "wb_unreachable": "WB cannot be reached",
    "seller_taken": "this WB seller account is already added by another user (ask for an invite)",
    "seller_added": "you have already added this WB seller account",
    "other_seller": "the new token belongs to another WB seller account",
}
TOKEN_WARNINGS = {
    "base_token_limits": "base token: WB allows it 5 requests an hour; use a personal token",
    "expires_soon": "the token expires within 14 days",
    "no_chat_category": "no 'Buyers chat' category: chats will not sync",
    "no_content_category": "no 'Content' category: product cards will not sync",
    "no_expiry": "the token has no expiry date",
    "legacy_token": "an old-style token: consider creating a new one",
}


def _token_error(exc: StoreTokenError) -> CliError:
    words = "; ".join(TOKEN_PROBLEMS.get(p, p) for p in exc.problems)
    return CliError(f"{words} ({exc.detail})" if exc.detail else words)


def _read_token(token: str) -> str:
    if token == "-":  # noqa: S105 - "-" means stdin, not a password
        return sys.stdin.readline().strip()
    return token


@store_app.command("add")
def store_add(
    owner: Annotated[str, typer.Option(help="Owner's email (an existing user)")],
    name: Annotated[str, typer.Option(help="Store name shown in the bot")],
    token: Annotated[str, typer.Option(help="WB API token, or - to read it from stdin")],
) -> None:
    """Add a store: the token is inspected and pinged first; prints the new store id."""
    settings = _settings()
    raw_token = _read_token(token)

    async def go() -> None:
        async with _pool(settings) as pool, _wb(settings) as wb:
            user = await access.find_user(pool, owner)
            if user is None:
                raise CliError(f"no such user: {owner}")
            try:
                store, check = await stores.add_store(
                    pool, wb, owner_id=user.id, name=name, token=raw_token
                )
            except StoreTokenError as exc:
                raise _token_error(exc) from None
        for code in check.warnings:
            if code in TOKEN_WARNINGS:
                err.print(f"warning: {TOKEN_WARNINGS[code]}", markup=False)
        out.print(store.id, markup=False)

    _run(go)


@store_app.command("list")
def store_list(
    owner: Annotated[str | None, typer.Option(help="Only this owner's stores (email)")] = None,
) -> None:
    """List stores: id, name, status, owner, reviews, last review sync."""
    settings = _settings()

    async def go() -> None:
        async with _pool(settings) as pool:
            owner_id = None
            if owner:
                user = await access.find_user(pool, owner)
                if user is None:
                    raise CliError(f"no such user: {owner}")
                owner_id = user.id
            rows = await stores.list_stores(pool, owner_id=owner_id)
        if not rows:
            out.print("no stores")
        for st in rows:
            synced = st.last_review_update_status or "never synced"
            out.print(
                f"{st.id}\t{st.name}\t{st.status}\treviews={st.total_reviews or 0}\t{synced}",
                markup=False,
            )

    _run(go)


@store_app.command("check")
def store_check(store_id: str) -> None:
    """Ping every WB host with the store's token (uses WB's /ping budget: 3 per 30 s)."""
    from services.wb.errors import WBError
    from services.wb.models import HostName

    settings = _settings()
    hosts: tuple[HostName, ...] = ("feedbacks", "chat", "content", "common", "prices")

    async def go() -> bool:
        ok = True
        async with _pool(settings) as pool, _wb(settings) as wb:
            store = await stores.get_store(pool, store_id)
            if store is None:
                raise CliError(f"no such store: {store_id}")
            client = wb.for_store(store)
            for host in hosts:
                try:
                    await client.ping(host)
                    out.print(f"{host:<10} ok", markup=False)
                except WBError as exc:
                    ok = False
                    out.print(f"{host:<10} FAIL  {exc}", markup=False)
        return ok

    if not _run(go):
        raise typer.Exit(1)


@app.command()
def sync(
    store_id: str,
    kind: Annotated[str, typer.Option(help="products, reviews, questions, chats or all")] = "all",
    full: Annotated[bool, typer.Option("--full", help="Re-read all history")] = False,
) -> None:
    """Sync a store from WB now, with progress and a summary; each kind runs on its own."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from services.sync.service import SyncService

    if kind != "all" and kind not in KINDS:
        raise typer.BadParameter("kind must be products, reviews, questions, chats or all")
    kinds: tuple[SyncKind, ...] = KINDS if kind == "all" else (cast(SyncKind, kind),)
    settings = _settings()

    async def go() -> list[SyncResult]:
        async with _pool(settings) as pool, _wb(settings) as wb:
            service = SyncService(pool, wb)
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as bar:
                task = bar.add_task("starting", total=None)

                def progress(what: str, count: int) -> None:
                    bar.update(task, description=f"{what}: {count:,} fetched")

                return await service.sync_all(
                    store_id,
                    kinds=kinds,
                    full=full,
                    progress=progress,
                )

    results = _run(go)
    failed = False
    for r in results:
        if r.skipped:
            line = f"skipped ({r.skipped})"
        elif r.error:
            failed = True
            line = f"FAILED: {r.error}"
        else:
            mode = "full" if r.full else "incremental"
            line = f"{mode}: fetched {r.fetched:,}, new {r.inserted:,}, changed {r.updated:,}" + (
                f", vanished {r.vanished:,}" if r.vanished else ""
            )
        out.print(f"{r.kind:<10} {line}", markup=False)
        for row in r.set_aside:  # the rest of their pages was stored
            out.print(f"{'':<10} set aside {row.id}: {row.reason}", markup=False)
    if failed:
        raise typer.Exit(1)


@complaints_app.command("draft")
def complaints_draft(
    store_id: str,
    limit: Annotated[int | None, typer.Option(help="Draft at most this many")] = None,
) -> None:
    """Draft complaints for every eligible review of a store, newest first."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from services.ai.client import AIClient, AIConfig
    from services.ai.pricing import Pricing
    from services.ai.tasks import AITasks
    from services.complaints import BatchReport, ComplaintService

    settings = _settings()

    async def go() -> BatchReport:
        async with _pool(settings) as pool:
            if await stores.get_store(pool, store_id) is None:
                raise CliError(f"no such store: {store_id}")
            client = AIClient(AIConfig.from_settings(settings))
            pricing = Pricing.of(settings.ai_price_input_per_m, settings.ai_price_output_per_m)
            service = ComplaintService(pool, AITasks(client, pool, pricing=pricing))
            try:
                counts = await service.gate_counts(store_id)
                eligible = counts.get("eligible", 0)
                total = min(eligible, limit) if limit is not None else eligible
                err.print(f"eligible reviews: {eligible:,}; drafting {total:,}", markup=False)
                if not err.is_terminal:  # a log or a pipe: a line every tenth of the way
                    step = max(1, total // 10)

                    def progress_line(report: BatchReport) -> None:
                        if report.processed % step == 0 or report.processed == total:
                            err.print(f"drafting: {report.processed:,}/{total:,}", markup=False)

                    return await service.batch_draft(store_id, limit=limit, progress=progress_line)
                with Progress(
                    TextColumn("drafting"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    console=err,
                    transient=True,
                ) as bar:
                    task = bar.add_task("drafting", total=total)

                    def progress(report: BatchReport) -> None:
                        bar.update(task, completed=report.processed)

                    return await service.batch_draft(store_id, limit=limit, progress=progress)
            finally:
                await client.aclose()

    report = _run(go)
    out.print(
        f"drafted {report.drafted:,} ({report.from_template:,} from templates), "
        f"failed {report.failed:,}, cost ${report.cost_usd:.4f}",
        markup=False,
    )
    for gate, n in sorted(report.skipped_by_gate.items(), key=lambda kv: -kv[1]):
        out.print(f"skipped  {gate:<20} {n:,}", markup=False)
    for reason, n in report.failures.items():
        out.print(f"failed   {reason:<20} {n:,}", markup=False)
    if report.failed:
        raise typer.Exit(1)


def _unreadable_line(count: int) -> str:
    return (
        f"warning: {count} stored secret(s) cannot be read with the current SECRET_KEY:"
        " set the key they were sealed with as SECRET_KEY_OLD and run `wbrep secrets rotate`,"
        " or replace those tokens"
    )


@secrets_app.command("generate")
def secrets_generate() -> None:
    """Print a new random key for SECRET_KEY (nothing is stored or changed)."""
    out.print(secret_keys.generate(), markup=False)


@secrets_app.command("rotate")
def secrets_rotate(
    new_key: Annotated[
        str | None,
        typer.Option(
            "--new-key",
            help="The new key, or - to read it from stdin. Without it: SECRET_KEY is the new"
            " key and SECRET_KEY_OLD the old one.",
        ),
    ] = None,
) -> None:
    """Re-seal every stored WB token and LLM key with a new key.

    With --new-key the configured key (SECRET_KEY, or DATA_DIR/secret.key, which is then
    replaced) is the old one. Without it, set SECRET_KEY to the new key and SECRET_KEY_OLD to
    the old one. Afterwards the old key is no longer needed."""
    settings = _settings()
    fresh = _read_token(new_key) if new_key is not None else None

    async def go() -> None:

        try:
            keyring = secret_keys.rotation_keyring(settings, fresh)
        except secret_keys.RotationError as exc:
            if exc.code == "missing":
                raise CliError(
                    "give --new-key, or set SECRET_KEY to the new key and SECRET_KEY_OLD to the"
                    " old one"
                ) from None
            raise CliError(exc.detail.replace("SECRET_KEY", "--new-key")) from None
        async with open_database(settings, max_size=2, keyring=keyring) as db:
            report = db.sealed
        if fresh is not None and (path := secret_keys.keep_new_key(settings, fresh)):
            out.print(f"replaced {path} with the new key", markup=False)
        out.print(
            f"re-sealed {report.resealed}, sealed {report.sealed} plain-text secret(s) with key"
            f" {keyring.current.id}",
            markup=False,
        )
        if report.unreadable:
            raise CliError(_unreadable_line(report.unreadable).removeprefix("warning: "))
        if fresh is not None and settings.secret_key is not None:
            out.print("now set SECRET_KEY to the new key wherever the bot runs", markup=False)
        elif fresh is None:
            out.print("SECRET_KEY_OLD is no longer needed: remove it", markup=False)

    _run(go)


def main(argv: Sequence[str] | None = None) -> None:
    app(args=list(argv) if argv is not None else None, prog_name="wbrep")


__all__ = ["app", "main"]


if __name__ == "__main__":
    main()
