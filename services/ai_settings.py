"""A person's AI settings from the bot (issue 16): their DeepSeek key, `ai_concurrency`, the
seven prompts with preview, a monthly spend cap, and a store's `ai_instructions`.

Every change is written to `ai_settings_audit` (who, when, which field, old and new value),
except the key's value: its rows say only set / checked / removed. The key is checked with one
cheap completion (one output token) before it is stored sealed (`db.secrets`), and is shown
only masked. A preview runs the real task on one of the person's own reviews, chats or
questions with the candidate prompt in place of the saved one and saves nothing but the
`ai_logs` row of the call. Settings are the owner's (domain rules, "Whose settings"): a
manager changes their own row, which acts on the stores they own.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

import asyncpg

from db.models import StoreRow
from db.repos import ai_settings as repo
from db.repos import digests as digests_repo
from db.repos.user_settings import (
    MAX_AI_CONCURRENCY,
    UserSettingsRow,
    ensure_user_settings,
    update_user_settings,
)
from services.ai.client import AIClient
from services.ai.errors import AIBudgetExceeded, AICallError, AIConfigError, AIError
from services.ai.prompting import (
    PROMPT_CHAIN,
    ChatInfo,
    ProductInfo,
    QuestionInfo,
    ReviewInfo,
    StoreInfo,
    default_prompts,
)
from services.ai.tasks import AITasks
from services.complaints import ComplaintService
from services.members import store_role, user_stores
from services.msk import month_start
from services.untrusted import clean_text

MAX_PROMPT_CHARS: Final = 8000
MAX_INSTRUCTIONS_CHARS: Final = 2000
MAX_CAP_USD: Final = Decimal("100000")
_KEY_RE: Final = re.compile(r"^[A-Za-z0-9_\-.]{16,200}$")


class AISettingsErrorCode(StrEnum):
    KEY_FORMAT = "key_format"
    KEY_REJECTED = "key_rejected"
    KEY_NO_BALANCE = "key_no_balance"
    KEY_UNREACHABLE = "key_unreachable"
    PROMPT_EMPTY = "prompt_empty"
    PROMPT_TOO_LONG = "prompt_too_long"
    INSTRUCTIONS_TOO_LONG = "instructions_too_long"
    CAP_INVALID = "cap_invalid"
    NO_SAMPLE = "no_sample"
    PREVIEW_FAILED = "preview_failed"
    CAP_REACHED = "cap_reached"


class AISettingsError(Exception):
    def __init__(self, code: AISettingsErrorCode) -> None:
        super().__init__(code.value)
        self.code = code


class PromptKind(StrEnum):
    """The seven prompts of `user_settings`; the value is the task, `field` the column."""

    REVIEW_COMPLAINT = "review_complaint"
    REVIEW_REPLY = "review_reply"
    QUESTION_REPLY = "question_reply"
    CHAT_REPLY = "chat_reply"
    CHAT_TAG = "chat_tag"
    CHAT_DELETION_TAG = "chat_deletion_tag"
    DELETION_OFFER = "deletion_offer"

    @property
    def field(self) -> str:
        return f"prompt_{self.value}"

    @property
    def variables(self) -> tuple[str, ...]:
        """Placeholders the prompt may use (prompting.py replaces them)."""
        if self is PromptKind.REVIEW_COMPLAINT:
            return ("{reasons}",)
        if self in (PromptKind.CHAT_TAG, PromptKind.CHAT_DELETION_TAG):
            return ("{tags}",)
        return ()

    @property
    def sample(self) -> str:
        """Which kind of the person's objects a preview runs on."""
        if self in (PromptKind.REVIEW_COMPLAINT, PromptKind.REVIEW_REPLY):
            return "review"
        if self is PromptKind.QUESTION_REPLY:
            return "question"
        return "chat"


@dataclass(frozen=True, slots=True)
class PromptView:
    kind: PromptKind
    text: str
    custom: bool


@dataclass(frozen=True, slots=True)
class Preview:
    kind: PromptKind
    sample: str
    """What the preview ran on (a review's, question's or chat's text, shortened)."""
    output: str


@dataclass(frozen=True, slots=True)
class SpendLine:
    task: str
    store: str
    calls: int
    cost: Decimal


@dataclass(frozen=True, slots=True)
class Spend:
    total: Decimal
    calls: int
    cap: Decimal | None
    lines: list[SpendLine]

    @property
    def cap_reached(self) -> bool:
        return self.cap is not None and self.total >= self.cap


@dataclass(frozen=True, slots=True)
class AIOverview:
    masked_key: str | None
    concurrency: int
    cap: Decimal | None
    custom_prompts: tuple[PromptKind, ...]
    key_unreadable: bool


def mask_key(key: str) -> str:
    """`sk-a…9f3c`: enough to recognise a key, never enough to use it."""
    key = key.strip()
    if len(key) <= 8:
        return "…" + key[-2:]
    return f"{key[:4]}…{key[-4:]}"


def default_prompt(kind: PromptKind) -> str:
    """The shipped prompt a task falls back to (the file of its chain)."""
    return default_prompts()[PROMPT_CHAIN[kind.value][1]]


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class AISettingsService:
    """Built once (bot/context.py); every method takes the acting person's user id."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        client: AIClient,
        ai: AITasks,
        complaints: ComplaintService,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._pool = pool
        self._client = client
        self._ai = ai
        self._complaints = complaints
        self._clock = clock or (lambda: datetime.now(UTC))

    async def _row(self, user_id: str) -> UserSettingsRow:
        return await ensure_user_settings(self._pool, user_id)

    async def overview(self, user_id: str) -> AIOverview:
        row = await self._row(user_id)
        return AIOverview(
            masked_key=mask_key(row.deepseek_api_key) if row.deepseek_api_key else None,
            concurrency=row.effective_concurrency,
            cap=row.ai_monthly_cap_usd,
            custom_prompts=tuple(k for k in PromptKind if getattr(row, k.field)),
            key_unreadable="deepseek_api_key" in row.unreadable_keys,
        )

    # --- key --------------------------------------------------------------------------------

    async def set_key(self, user_id: str, raw: str) -> str:
        """Check the key with one cheap call (no connection held), store it sealed; the mask."""
        key = raw.strip()
        if key.lower().startswith("bearer "):
            key = key[7:].strip()
        if not _KEY_RE.match(key):
            raise AISettingsError(AISettingsErrorCode.KEY_FORMAT)
        try:
            await self._client.complete(
                [{"role": "user", "content": "ping"}],
                owner_id=user_id,
                owner_api_key=key,
                max_tokens=1,
            )
        except AICallError as exc:
            if exc.kind == "auth":
                raise AISettingsError(AISettingsErrorCode.KEY_REJECTED) from None
            if exc.kind == "payment_required":
                raise AISettingsError(AISettingsErrorCode.KEY_NO_BALANCE) from None
            raise AISettingsError(AISettingsErrorCode.KEY_UNREACHABLE) from None
        except AIConfigError:
            raise AISettingsError(AISettingsErrorCode.KEY_FORMAT) from None
        async with self._pool.acquire() as conn, conn.transaction():
            await update_user_settings(conn, user_id, deepseek_api_key=key)
            await repo.insert_audit(conn, user_id, "deepseek_api_key", "set")
        return mask_key(key)

    async def remove_key(self, user_id: str) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await update_user_settings(conn, user_id, deepseek_api_key=None)
            await repo.insert_audit(conn, user_id, "deepseek_api_key", "removed")

    # --- numbers ----------------------------------------------------------------------------

    async def set_concurrency(self, user_id: str, value: int) -> int:
        """Clamped to 1..50; returns what was stored."""
        clamped = max(1, min(MAX_AI_CONCURRENCY, int(value)))
        old = (await self._row(user_id)).effective_concurrency
        async with self._pool.acquire() as conn, conn.transaction():
            await update_user_settings(conn, user_id, ai_concurrency=clamped)
            await repo.insert_audit(
                conn, user_id, "ai_concurrency", "set", old=str(old), new=str(clamped)
            )
        return clamped

    async def set_cap(self, user_id: str, raw: str | None) -> Decimal | None:
        """A monthly cap in USD ("5", "12.50"); None, "", "0"... "-" or "нет" removes it."""
        cap: Decimal | None
        text = (raw or "").strip().replace(",", ".").lstrip("$")
        if text in ("", "-", "нет", "no", "off"):
            cap = None
        else:
            try:
                cap = Decimal(text)
            except ArithmeticError:
                raise AISettingsError(AISettingsErrorCode.CAP_INVALID) from None
            if not cap.is_finite() or cap < 0 or cap > MAX_CAP_USD:
                raise AISettingsError(AISettingsErrorCode.CAP_INVALID)
        old = (await self._row(user_id)).ai_monthly_cap_usd
        async with self._pool.acquire() as conn, conn.transaction():
            row = await update_user_settings(conn, user_id, ai_monthly_cap_usd=cap)
            await repo.insert_audit(
                conn,
                user_id,
                "ai_monthly_cap_usd",
                "set" if cap is not None else "removed",
                old=None if old is None else str(old),
                new=None if row.ai_monthly_cap_usd is None else str(row.ai_monthly_cap_usd),
            )
        return row.ai_monthly_cap_usd

    # --- prompts ----------------------------------------------------------------------------

    async def prompt(self, user_id: str, kind: PromptKind) -> PromptView:
        row = await self._row(user_id)
        own = getattr(row, kind.field)
        if own:
            return PromptView(kind, own, True)
        return PromptView(kind, default_prompt(kind), False)

    @staticmethod
    def checked_prompt(raw: str) -> str:
        text = clean_text(raw).strip()
        if not text:
            raise AISettingsError(AISettingsErrorCode.PROMPT_EMPTY)
        if len(text) > MAX_PROMPT_CHARS:
            raise AISettingsError(AISettingsErrorCode.PROMPT_TOO_LONG)
        return text

    async def set_prompt(self, user_id: str, kind: PromptKind, raw: str) -> PromptView:
        text = self.checked_prompt(raw)
        old = getattr(await self._row(user_id), kind.field)
        async with self._pool.acquire() as conn, conn.transaction():
            await update_user_settings(conn, user_id, **{kind.field: text})
            await repo.insert_audit(conn, user_id, kind.field, "set", old=old, new=text)
        return PromptView(kind, text, True)

    async def reset_prompt(self, user_id: str, kind: PromptKind) -> PromptView:
        old = getattr(await self._row(user_id), kind.field)
        async with self._pool.acquire() as conn, conn.transaction():
            await update_user_settings(conn, user_id, **{kind.field: None})
            await repo.insert_audit(conn, user_id, kind.field, "reset", old=old)
        return PromptView(kind, default_prompt(kind), False)

    async def preview(self, user_id: str, kind: PromptKind, raw: str) -> Preview:
        """Run the task with `raw` as the prompt on one of the person's own objects."""
        text = self.checked_prompt(raw)
        fields: dict[str, Any] = {kind.field: text}
        row = dataclasses.replace(await self._row(user_id), **fields)
        try:
            if kind.sample == "review":
                return await self._preview_review(user_id, kind, row)
            if kind.sample == "question":
                return await self._preview_question(user_id, kind, row)
            return await self._preview_chat(user_id, kind, row)
        except AIBudgetExceeded as exc:  # a preview is a paid call: the cap applies
            raise AISettingsError(AISettingsErrorCode.CAP_REACHED) from exc
        except AIError as exc:
            raise AISettingsError(AISettingsErrorCode.PREVIEW_FAILED) from exc

    async def _preview_review(
        self, user_id: str, kind: PromptKind, row: UserSettingsRow
    ) -> Preview:
        review_id = await repo.sample_review_id(self._pool, user_id)
        if review_id is None:
            raise AISettingsError(AISettingsErrorCode.NO_SAMPLE)
        ctx = await self._complaints.context(review_id)
        review = dict(ctx.review)
        if isinstance(review.get("date"), str):  # the context's JSON row carries ISO text
            review["date"] = datetime.fromisoformat(review["date"])
        store = StoreInfo.from_record(ctx.store)
        product = ProductInfo.from_record(ctx.product, ctx.rules)
        info = ReviewInfo.from_record(review)
        sample = f"{info.rating}★ {info.text}"
        if kind is PromptKind.REVIEW_COMPLAINT:
            draft = await self._ai.draft_complaint(
                store=store, product=product, review=info, settings=row
            )
            return Preview(kind, _short(sample), f"[{draft.reason_name}] {draft.text}")
        reply = await self._ai.draft_review_reply(
            store=store, product=product, review=info, settings=row
        )
        return Preview(kind, _short(sample), reply.text)

    async def _preview_question(
        self, user_id: str, kind: PromptKind, row: UserSettingsRow
    ) -> Preview:
        q = await repo.sample_question(self._pool, user_id)
        if q is None:
            raise AISettingsError(AISettingsErrorCode.NO_SAMPLE)
        store = StoreInfo(q["store_id"], q["owner_id"], q["store_name"], q["ai_instructions"])
        product = ProductInfo(q["product_name"] or "", q["vendor_code"] or "", q["wb_product_id"])
        question = QuestionInfo.from_record(dict(q))
        reply = await self._ai.draft_question_reply(
            store=store, product=product, question=question, settings=row
        )
        return Preview(kind, _short(question.text), reply.text)

    async def _preview_chat(self, user_id: str, kind: PromptKind, row: UserSettingsRow) -> Preview:
        found = await repo.sample_chat(self._pool, user_id, 20)
        if found is None:
            raise AISettingsError(AISettingsErrorCode.NO_SAMPLE)
        c, messages = found
        store = StoreInfo(c["store_id"], c["owner_id"], c["store_name"], c["ai_instructions"])
        product = ProductInfo(c["product_name"] or "", c["vendor_code"] or "", c["wb_product_id"])
        chat = ChatInfo.from_records(dict(c), [dict(m) for m in messages])
        last = chat.messages[-1].text if chat.messages else ""
        sample = _short(last or c["client_name"])
        if kind in (PromptKind.CHAT_TAG, PromptKind.CHAT_DELETION_TAG):
            tag = await self._ai.classify_chat_tag(
                store=store,
                product=product,
                chat=chat,
                deletion=kind is PromptKind.CHAT_DELETION_TAG,
                settings=row,
            )
            return Preview(kind, sample, str(tag.tag))
        if kind is PromptKind.DELETION_OFFER:
            reply = await self._ai.draft_deletion_offer(
                store=store, product=product, chat=chat, settings=row
            )
        else:
            reply = await self._ai.draft_chat_reply(
                store=store, product=product, chat=chat, settings=row
            )
        return Preview(kind, sample, reply.text)

    # --- store instructions -----------------------------------------------------------------

    async def owned_stores(self, user_id: str) -> list[StoreRow]:
        """Stores whose `ai_instructions` the person sets: their own (domain rules)."""
        return [s for s, role in await user_stores(self._pool, user_id) if role == "owner"]

    async def owns(self, user_id: str, store_id: str) -> bool:
        return await store_role(self._pool, user_id, store_id) == "owner"

    async def instructions(self, store_id: str) -> str | None:
        return await repo.store_instructions(self._pool, store_id)

    async def set_instructions(self, user_id: str, store_id: str, raw: str | None) -> str | None:
        """The store's `ai_instructions`; the caller checked the person owns the store."""
        text = clean_text(raw or "").strip() or None
        if text is not None and len(text) > MAX_INSTRUCTIONS_CHARS:
            raise AISettingsError(AISettingsErrorCode.INSTRUCTIONS_TOO_LONG)
        async with self._pool.acquire() as conn, conn.transaction():
            old = await repo.store_instructions(conn, store_id)
            await repo.set_store_instructions(conn, store_id, text)
            await repo.insert_audit(
                conn,
                user_id,
                "ai_instructions",
                "set" if text else "reset",
                old=old,
                new=text,
                store_id=store_id,
            )
        return text

    # --- weekly digest (a personal choice) -------------------------------------------------

    async def digest_enabled(self, user_id: str) -> bool:
        return await digests_repo.get_opt(self._pool, user_id)

    async def set_digest(self, user_id: str, enabled: bool) -> bool:
        await digests_repo.set_opt(self._pool, user_id, enabled)
        return enabled

    # --- spend ------------------------------------------------------------------------------

    async def spend(self, user_id: str) -> Spend:
        """This MSK month's calls and cost by task and store, against the person's cap."""
        since = month_start(self._clock())
        row = await self._row(user_id)
        rows = await repo.spend_breakdown(self._pool, user_id, since)
        lines = [
            SpendLine(r["task"], r["store"], int(r["calls"]), Decimal(r["cost"])) for r in rows
        ]
        return Spend(
            total=sum((x.cost for x in lines), Decimal(0)),
            calls=sum(x.calls for x in lines),
            cap=row.ai_monthly_cap_usd,
            lines=lines,
        )
