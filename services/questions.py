"""Buyer questions answered from the phone: the list (unanswered first), a card with the
product's facts, an AI draft kept in `questions.draft_reply`, a person's edit, and the answer,
rejection or "viewed" sent to WB.

Publishing follows `services/reviews.py`: the card's button carries the draft's fingerprint,
the publish first commits a claim in `question_publishes`, calls WB holding no connection,
then records. WB not confirming leaves the claim 'unknown': no new publish until a sync shows
the answer or a person confirms. An answer is final in the bot (WB limits edits).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import asyncpg

from db.claims import STALE_CLAIM
from db.repos import questions as repo
from db.repos import stores as stores_repo
from db.repos.leases import LeaseKind
from db.secrets import SecretUnreadable
from services.ai.guard import GuardResult, check_text
from services.ai.leases import ai_lease
from services.ai.prompting import ProductInfo, QuestionInfo, StoreInfo, select_characteristics
from services.ai.tasks import AITasks, ReplyDraft
from services.ai.textnorm import asks_other_language
from services.delivery import deliver, per_person_and_store
from services.members import user_stores
from services.msk import MSK
from services.notifier import Delivery, Recipient
from services.reviews import draft_fingerprint
from services.wb.client import ANSWER_MAX, ANSWER_MIN
from services.wb.errors import WBAuthError, WBError, WBRateLimited, WBRequestError
from services.wb.factory import WBClientFactory

PAGE_SIZE = 8
"""A 'publishing' claim this old lost its process: treated like an unknown outcome."""


class QuestionErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    ALREADY_ANSWERED = "already_answered"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    GUARD = "guard"
    BUSY = "busy"
    OUTCOME_UNKNOWN = "outcome_unknown"
    DRAFT_CHANGED = "draft_changed"
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    WB_REFUSED = "wb_refused"
    WB_UNAVAILABLE = "wb_unavailable"
    TOKEN_UNREADABLE = "token_unreadable"  # noqa: S105 (an error code, not a secret)


class QuestionError(Exception):
    """A question action that cannot be done; the bot maps `code` to a text key."""

    def __init__(self, code: QuestionErrorCode, *, problems: list[str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.problems = problems or []


class PublishAction(StrEnum):
    ANSWER = "answer"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class QuestionItem:
    id: str
    text: str
    product_name: str
    created_date: datetime
    answered: bool

    def age(self, now: datetime) -> timedelta:
        return now - self.created_date


@dataclass(frozen=True, slots=True)
class QuestionPage:
    items: list[QuestionItem]
    next_after: tuple[bool, datetime, str] | None
    unanswered: int


@dataclass(frozen=True, slots=True)
class QuestionCard:
    id: str
    store_id: str
    text: str
    created_date: datetime
    answered: bool
    answer_text: str | None
    was_viewed: bool
    product: ProductInfo
    draft: str | None
    publish_state: str | None  # 'publishing' | 'unknown' | None

    @property
    def fingerprint(self) -> str:
        return draft_fingerprint(self.draft)


def _product(row: Any) -> ProductInfo:
    """The product's facts: the card the sync holds when there is one, else what WB put on the
    question (name, brand, seller's article)."""
    chars = select_characteristics(row["p_wb_api_data"]) if row["p_wb_api_data"] else ()
    return ProductInfo(
        id=row["product_id"],
        name=row["p_name"] or row["product_name"] or "",
        vendor_code=row["p_vendor_code"] or row["product_supplier_article"] or "",
        wb_product_id=str(row["product_nm_id"]),
        brand=row["product_brand_name"],
        characteristics=chars,
    )


def guard_answer(text: str, ai_instructions: str | None) -> GuardResult:
    return check_text(
        text,
        channel="question_reply",
        rating=None,
        other_language=asks_other_language(ai_instructions),
    )


class QuestionService:
    """Built once (`bot/context.py`); holds no state of its own."""

    def __init__(self, pool: asyncpg.Pool, ai: AITasks, wb: WBClientFactory) -> None:
        self.pool = pool
        self.ai = ai
        self.wb = wb

    async def store_of(self, question_id: str) -> str | None:
        """For access checks: the question's store, None when there is no such question."""
        return await repo.store_of(self.pool, question_id)

    async def stores_of(self, user_id: str) -> list[tuple[str, str, int]]:
        """(store id, name, unanswered questions) of every store the person works."""
        out = []
        for store, _role in await user_stores(self.pool, user_id):
            out.append((store.id, store.name, await repo.count_unanswered(self.pool, store.id)))
        return out

    async def page(
        self, store_id: str, after: tuple[bool, datetime, str] | None = None, limit: int = PAGE_SIZE
    ) -> QuestionPage:
        rows = await repo.page(self.pool, store_id, after=after, limit=limit + 1)
        items = [
            QuestionItem(r["id"], r["text"], r["product_name"], r["created_date"], r["answered"])
            for r in rows[:limit]
        ]
        nxt = None
        if len(rows) > limit:
            last = items[-1]
            nxt = (last.answered, last.created_date, last.id)
        return QuestionPage(items, nxt, await repo.count_unanswered(self.pool, store_id))

    async def card(self, question_id: str) -> QuestionCard:
        row = await repo.card(self.pool, question_id)
        if row is None:
            raise QuestionError(QuestionErrorCode.NOT_FOUND)
        answer = row["answer"]
        answer_text = answer.get("text") if isinstance(answer, dict) else None
        state = row["publish_state"]
        if state == "publishing" and row["publish_started_at"] < _db_now() - STALE_CLAIM:
            state = "unknown"
        return QuestionCard(
            id=row["id"],
            store_id=row["store_id"],
            text=row["text"],
            created_date=row["created_date"],
            answered=bool(row["is_answered"]),
            answer_text=answer_text,
            was_viewed=bool(row["was_viewed"]),
            product=_product(row),
            draft=row["draft_reply"],
            publish_state=None if row["is_answered"] else state,
        )

    async def draft_problems(self, card: QuestionCard) -> list[str]:
        """The guard's objections to the card's draft, in words (empty: it may be published)."""
        if not card.draft:
            return []
        store = await stores_repo.get_store(self.pool, card.store_id)
        return guard_answer(card.draft, store.ai_instructions if store else None).describe()

    async def draft(self, question_id: str) -> ReplyDraft:
        """A new AI draft from the card's facts and the store's instructions, stored as the
        question's draft (problems and all: the card shows them, publish refuses them)."""
        async with ai_lease(
            self.pool,
            LeaseKind.QUESTION_DRAFT,
            question_id,
            busy=lambda: QuestionError(QuestionErrorCode.BUSY),
            ttl=self.ai.lease_ttl,
        ):
            card = await self.card(question_id)
            if card.answered:
                raise QuestionError(QuestionErrorCode.ALREADY_ANSWERED)
            store = await stores_repo.get_store(self.pool, card.store_id)
            if store is None:
                raise QuestionError(QuestionErrorCode.NOT_FOUND)
            draft = await self.ai.draft_question_reply(
                store=StoreInfo(store.id, store.owner_id, store.name, store.ai_instructions),
                product=card.product,
                question=QuestionInfo(card.id, card.text, card.created_date),
            )
            if not await repo.set_draft(self.pool, question_id, draft.text):
                raise QuestionError(QuestionErrorCode.ALREADY_ANSWERED)
        return draft

    async def save_draft(self, question_id: str, text: str) -> GuardResult:
        """A person's own answer; the guard's verdict says whether it may be published."""
        text = _checked_length(text)
        store_id = await repo.store_of(self.pool, question_id)
        if store_id is None:
            raise QuestionError(QuestionErrorCode.NOT_FOUND)
        store = await stores_repo.get_store(self.pool, store_id)
        verdict = guard_answer(text, store.ai_instructions if store else None)
        if not await repo.set_draft(self.pool, question_id, _checked_length(verdict.text)):
            raise QuestionError(QuestionErrorCode.ALREADY_ANSWERED)
        return verdict

    async def publish(
        self,
        question_id: str,
        *,
        shown: str,
        action: PublishAction = PublishAction.ANSWER,
        confirm: bool = False,
    ) -> str:
        """Send the draft the person was shown (`shown`: its fingerprint) as the answer, or as
        the text of a rejection. Exactly once across presses, people and processes."""
        store_id = await repo.store_of(self.pool, question_id)
        store = await stores_repo.get_store(self.pool, store_id) if store_id else None
        if store is None:
            raise QuestionError(QuestionErrorCode.NOT_FOUND)
        try:
            client = self.wb.for_store(store)
        except SecretUnreadable:
            raise QuestionError(QuestionErrorCode.TOKEN_UNREADABLE) from None
        async with self.pool.acquire() as conn, conn.transaction():
            row = await repo.lock_for_publish(conn, question_id)
            if row is None:
                raise QuestionError(QuestionErrorCode.NOT_FOUND)
            if row["is_answered"]:
                raise QuestionError(QuestionErrorCode.ALREADY_ANSWERED)
            if draft_fingerprint(row["draft_reply"]) != shown:
                raise QuestionError(QuestionErrorCode.DRAFT_CHANGED)
            verdict = guard_answer(_checked_length(row["draft_reply"] or ""), store.ai_instructions)
            if not verdict.ok:
                raise QuestionError(QuestionErrorCode.GUARD, problems=list(verdict.problems))
            text = _checked_length(verdict.text)  # what the guard read is what is sent
            if not await repo.CLAIMS.claim(
                conn, question_id, action, text, confirm=confirm, stale=STALE_CLAIM
            ):
                blocker = await repo.CLAIMS.blocker(conn, question_id, STALE_CLAIM)
                raise QuestionError(
                    QuestionErrorCode.BUSY if blocker is None else QuestionErrorCode.OUTCOME_UNKNOWN
                )
        # The claim is committed: no lock and no connection across the WB call.
        try:
            if action is PublishAction.ANSWER:
                await client.answer_question(question_id, text)
            else:
                await client.reject_question(question_id, text)
        except WBError as exc:
            error = _error(exc)
            if error.code is QuestionErrorCode.OUTCOME_UNKNOWN:
                await repo.CLAIMS.mark_unknown(self.pool, question_id)
            else:
                await repo.CLAIMS.release(self.pool, question_id)
            raise error from exc
        except BaseException:
            await repo.CLAIMS.mark_unknown(self.pool, question_id)
            raise
        async with self.pool.acquire() as conn, conn.transaction():
            await repo.record_answer(
                conn, question_id, text, "wbRu" if action is PublishAction.ANSWER else "none"
            )
        return text

    async def mark_viewed(self, question_id: str) -> None:
        """WB's "viewed" mark (idempotent on WB's side, so no claim is needed)."""
        store_id = await repo.store_of(self.pool, question_id)
        store = await stores_repo.get_store(self.pool, store_id) if store_id else None
        if store is None:
            raise QuestionError(QuestionErrorCode.NOT_FOUND)
        try:
            await self.wb.for_store(store).mark_question_viewed(question_id)
        except SecretUnreadable:
            raise QuestionError(QuestionErrorCode.TOKEN_UNREADABLE) from None
        except WBError as exc:
            raise _error(exc) from exc
        await repo.record_viewed(self.pool, question_id)


def _db_now() -> datetime:
    return datetime.now(UTC)


def _checked_length(text: str) -> str:
    text = text.strip()
    if len(text) < ANSWER_MIN:
        raise QuestionError(QuestionErrorCode.EMPTY)
    if len(text) > ANSWER_MAX:
        raise QuestionError(QuestionErrorCode.TOO_LONG)
    return text


def _error(exc: WBError) -> QuestionError:
    if isinstance(exc, WBAuthError):
        return QuestionError(QuestionErrorCode.AUTH)
    if exc.outcome_unknown:
        return QuestionError(QuestionErrorCode.OUTCOME_UNKNOWN)
    if isinstance(exc, WBRateLimited):
        return QuestionError(QuestionErrorCode.RATE_LIMITED)
    if isinstance(exc, WBRequestError):
        return QuestionError(QuestionErrorCode.WB_REFUSED)
    return QuestionError(QuestionErrorCode.WB_UNAVAILABLE)


# --------------------------------------------------------------------------- alerts

ALERT_WINDOW = timedelta(days=3)
"""Questions older than this when first seen (a store's first sync) are not alerted."""
ALERT_BATCH = 500


@dataclass(frozen=True, slots=True)
class QuestionAlertItem:
    question_id: str
    product_name: str
    text: str
    created_date: datetime


class QuestionAlertSender(Protocol):
    """The bot renders and sends one batched message per person and store."""

    async def send_question_alert(
        self, to: Recipient, store_id: str, store_name: str, items: Sequence[QuestionAlertItem]
    ) -> Delivery: ...


class QuestionAlerts:
    """New unanswered questions told to the people who work the store, batched per person and
    store, waiting out each person's quiet hours (MSK, as review alerts). Claims in
    PostgreSQL make replicas safe; the sends follow services/delivery.py (a stopping process
    puts back what it did not send). WB's question data does not say whether the buyer has
    bought the product, so "pre-purchase first" cannot be told apart: newest first."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        sender: QuestionAlertSender,
        *,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self.pool = pool
        self.sender = sender
        self.stopping = stopping or asyncio.Event()

    async def dispatch(self, *, now: datetime) -> int:
        """Messages sent."""
        if self.stopping.is_set():
            return 0
        await repo.enqueue_alerts(self.pool, now=now, since=now - ALERT_WINDOW)
        rows = await repo.claim_alerts(
            self.pool,
            now=now,
            hour=now.astimezone(MSK).hour,
            stale=STALE_CLAIM,
            limit=ALERT_BATCH,
        )
        queues = per_person_and_store(rows, lambda r: r["created_date"], newest_first=True)
        people = {
            r["user_id"]: Recipient(r["user_id"], int(r["telegram_id"]), r["language"])
            for r in await repo.recipients(self.pool, list(queues))
        }
        sent = 0

        def pairs(items: list[Any]) -> list[tuple[str, str]]:
            return [(r["question_id"], r["user_id"]) for r in items]

        async def send(user_id: str, items: list[Any]) -> Delivery | None:
            to = people.get(user_id)
            if to is None:  # no Telegram chat (or blocked): nothing to send, ever
                return None
            return await self.sender.send_question_alert(
                to,
                items[0]["store_id"],
                items[0]["store_name"],
                [
                    QuestionAlertItem(
                        r["question_id"], r["product_name"], r["text"], r["created_date"]
                    )
                    for r in items
                ],
            )

        async def record(_: str, items: list[Any], outcome: Delivery | None) -> None:
            nonlocal sent
            await repo.finish_alerts(
                self.pool, pairs(items), sent=outcome != "failed", now=now, claimed_at=now
            )
            sent += outcome == "sent"

        async def release(_: str, rest: Sequence[list[Any]]) -> None:
            for items in rest:
                await repo.finish_alerts(
                    self.pool, pairs(items), sent=False, now=now, claimed_at=now
                )

        await deliver(queues, send=send, record=record, release=release, stopping=self.stopping)
        return sent
