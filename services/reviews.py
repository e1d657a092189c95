"""Replies to reviews: an AI draft kept in `reviews.draft_reply`, edited by a person, published
to WB. One place writes `answer`, `has_answer` and `draft_reply` after a publish.

A reply the guard objects to is never published, whoever wrote it: the AI's draft with
problems and a person's edit that still breaks WB's rules both wait for a better text.
A publish first claims the review in `review_publishes` (a short committed insert), then calls
WB holding no lock and no connection, then records the result: two presses (or two people)
never answer one review twice, and the sync keeps upserting the review meanwhile. When WB did
not confirm (outcome unknown) the claim stays as 'unknown': no new publish until a sync shows
the answer or a person confirms (`publish(..., confirm=True)`). A failed publish keeps the text
as the draft.

A person publishes the draft a card showed them, not whatever is stored at the press: the
card's button carries the draft's fingerprint (`draft_fingerprint`), and `publish(shown=...)`
sends nothing when the stored draft no longer matches it (another member, chat or message
regenerated or edited it meanwhile).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import asyncpg

from db.claims import STALE_CLAIM
from db.models import StoreRow
from db.repos import replies as replies_repo
from db.repos import stores as stores_repo
from db.repos.leases import LeaseKind
from db.secrets import SecretUnreadable
from services.ai.guard import GuardResult, check_text
from services.ai.leases import ai_lease
from services.ai.prompting import (
    ProductInfo,
    ProductRulesInfo,
    ReviewInfo,
    StoreInfo,
    compensation_allowed,
)
from services.ai.tasks import AITasks, ReplyDraft
from services.ai.textnorm import asks_other_language
from services.wb.client import ANSWER_MAX, ANSWER_MIN
from services.wb.errors import (
    WBAuthError,
    WBError,
    WBRateLimited,
    WBRequestError,
)
from services.wb.factory import WBClientFactory


class ReplyError(Exception):
    """A reply action that cannot be done. `code`: not_found, already_answered, empty,
    too_long, guard (see `problems`), busy (a publish is in flight), auth, outcome_unknown
    (also: an earlier publish is unconfirmed), rate_limited, wb_refused, wb_unavailable,
    draft_changed (the stored draft is not the one the person was shown), token_unreadable
    (the current SECRET_KEY cannot open the store's token)."""

    def __init__(self, code: str, *, problems: list[str] | None = None, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.problems = problems or []
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ReplyContext:
    review: dict[str, Any]
    product: dict[str, Any]
    rules: dict[str, Any] | None
    store: StoreRow

    @property
    def rating(self) -> int:
        return int(self.review["rating"])

    def product_info(self) -> ProductInfo:
        return ProductInfo.from_record(self.product, self.rules)


FINGERPRINT_LENGTH = 8


def draft_fingerprint(text: str | None) -> str:
    """A short mark of a draft's exact text (the first 8 hex digits of its sha256) that fits
    into a button's callback data. It tells one version of a draft from another; it is not a
    secret (access is checked on its own) and not a proof against a deliberate collision."""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()[:FINGERPRINT_LENGTH]


def guard_reply(ctx: ReplyContext, text: str) -> GuardResult:
    """The guard as it applies to a reply to this review (the product's compensation rules)."""
    rules = ProductRulesInfo.from_record(ctx.rules) if ctx.rules else None
    return check_text(
        text,
        channel="review_reply",
        rating=ctx.rating,
        compensation_allowed=compensation_allowed(rules, ctx.rating),
        max_compensation=rules.max_compensation if rules else None,
        other_language=asks_other_language(ctx.store.ai_instructions),
    )


class ReviewService:
    """Built once in the composition root and injected as `reviews`; holds no state of its own."""

    def __init__(self, pool: asyncpg.Pool, ai: AITasks, wb: WBClientFactory) -> None:
        self.pool = pool
        self.ai = ai
        self.wb = wb

    async def context(self, review_id: str) -> ReplyContext:
        row = await replies_repo.reply_context(self.pool, review_id)
        if row is None:
            raise ReplyError("not_found")
        store = await stores_repo.get_store(self.pool, row["review"]["store_id"])
        if store is None:
            raise ReplyError("not_found")
        review = dict(row["review"])
        review["date"] = row["review_date"]
        return ReplyContext(review, row["product"], row["rules"], store)

    def check(self, ctx: ReplyContext, text: str) -> GuardResult:
        return guard_reply(ctx, text)

    async def draft_reply(self, review_id: str) -> ReplyDraft:
        """A new AI draft, stored as the review's `draft_reply` (problems and all).

        One LLM call per review at a time across processes: two presses on two instances
        would pay twice for one draft. The review's lease in `ai_leases` says who drafts;
        no connection is held while the LLM works."""
        async with ai_lease(
            self.pool,
            LeaseKind.REPLY_DRAFT,
            review_id,
            busy=lambda: ReplyError("busy"),
            ttl=self.ai.lease_ttl,
        ):
            ctx = await self.context(review_id)
            if ctx.review.get("has_answer"):
                raise ReplyError("already_answered")
            store = ctx.store
            draft = await self.ai.draft_review_reply(
                store=StoreInfo(store.id, store.owner_id, store.name, store.ai_instructions),
                product=ctx.product_info(),
                review=ReviewInfo.from_record(ctx.review),
            )
            await replies_repo.set_draft(self.pool, review_id, draft.text)
        return draft

    async def save_draft(self, review_id: str, text: str) -> GuardResult:
        """A person's own reply text; the guard's verdict says whether it may be published."""
        text = _checked_length(text)
        ctx = await self.context(review_id)
        if ctx.review.get("has_answer"):
            raise ReplyError("already_answered")
        verdict = guard_reply(ctx, text)
        await replies_repo.set_draft(self.pool, review_id, _checked_length(verdict.text))
        return verdict

    async def pending_publish(self, review_id: str) -> str | None:
        """'publishing' or 'unknown' while a publish of this unanswered review is in flight or
        unconfirmed (the card offers no Publish button then), else None. A 'publishing' claim
        older than STALE_CLAIM lost its process (killed between the claim and WB's answer):
        it is 'unknown', so the card offers "checked WB: send again" as `publish` allows."""
        state = await replies_repo.pending_publish(self.pool, review_id, STALE_CLAIM)
        return state

    async def draft_changed(self, review_id: str, shown: str) -> bool:
        """True when the review is unanswered and its stored draft is not the one whose
        fingerprint a card showed (`shown`). A cheap look before a publish is started; the
        publish compares again where it reads the text it sends. Answered or gone: False (the
        publish says which)."""
        row = await replies_repo.answer_and_draft(self.pool, review_id)
        if row is None or row["has_answer"]:
            return False
        return draft_fingerprint(row["draft_reply"]) != shown

    async def publish(self, review_id: str, *, shown: str | None, confirm: bool = False) -> str:
        """Send the stored draft to WB; on success the review is answered. Returns the text.

        `shown`: the `draft_fingerprint` of the draft the person saw on the card; a different
        stored draft raises `draft_changed` and nothing is sent. None only where no person was
        shown a text (there is no such caller yet); it must be passed, so a new button cannot
        forget it. `confirm`: a person checked WB after an unconfirmed publish and wants to
        send again."""
        ctx = await self.context(review_id)
        try:
            client = self.wb.for_store(ctx.store)
        except SecretUnreadable:
            raise ReplyError("token_unreadable") from None
        async with self.pool.acquire() as conn, conn.transaction():
            row = await replies_repo.answer_and_draft(conn, review_id)
            if row is None:
                raise ReplyError("not_found")
            if row["has_answer"]:
                raise ReplyError("already_answered")
            if shown is not None and draft_fingerprint(row["draft_reply"]) != shown:
                raise ReplyError("draft_changed")
            verdict = guard_reply(ctx, _checked_length(row["draft_reply"] or ""))
            if not verdict.ok:
                raise ReplyError("guard", problems=list(verdict.problems))
            text = _checked_length(verdict.text)  # what the guard read is what is sent
            claims = replies_repo.CLAIMS
            if not await claims.claim(conn, review_id, text, confirm=confirm, stale=STALE_CLAIM):
                state = await claims.blocker(conn, review_id, STALE_CLAIM)
                raise ReplyError("busy" if state is None else "outcome_unknown")
        # The claim is committed: no lock and no connection is held across the WB call.
        try:
            await client.answer_feedback(review_id, text)
        except WBError as exc:
            error = _reply_error(exc)
            if error.code == "outcome_unknown":
                await self._mark_unknown(review_id)
            else:  # WB surely did not take it: the next press may try again
                await replies_repo.CLAIMS.release(self.pool, review_id)
            raise error from exc
        except BaseException:
            await self._mark_unknown(review_id)
            raise
        async with self.pool.acquire() as conn, conn.transaction():
            await replies_repo.record_answer(conn, review_id, text)
            await replies_repo.CLAIMS.release(conn, review_id)
        return text

    async def _mark_unknown(self, review_id: str) -> None:
        await replies_repo.CLAIMS.mark_unknown(self.pool, review_id)


def _checked_length(text: str) -> str:
    text = text.strip()
    if len(text) < ANSWER_MIN:
        raise ReplyError("empty")
    if len(text) > ANSWER_MAX:
        raise ReplyError("too_long")
    return text


def _reply_error(exc: WBError) -> ReplyError:
    if isinstance(exc, WBAuthError):
        return ReplyError("auth", detail=exc.reason)
    if exc.outcome_unknown:
        return ReplyError("outcome_unknown")
    if isinstance(exc, WBRateLimited):
        return ReplyError("rate_limited")
    if isinstance(exc, WBRequestError):
        return ReplyError("wb_refused", detail=exc.detail)
    return ReplyError("wb_unavailable")
