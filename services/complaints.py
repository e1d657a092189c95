"""The complaint workflow (domain-rules.md, "Complaints").

WB has no API to file complaints: the bot drafts one (LLM or a template), the seller files
it in the portal and marks it `sent`, then records WB's verdict. Lifecycle:
`not_sent -> draft -> sent -> pending | approved | rejected`; only a draft changes text.

Gates: a person drafting from a review card passes the manual gates; automatic and batch
drafting also need the product's rules (active product, `work_status = 'active'`,
`submit_complaints` and the review's `complaint_rating_N`). A refusal names the gate.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from db.models import ComplaintRow
from db.repos import complaint_queries
from db.repos import complaints as complaints_repo
from db.repos.leases import LeaseKind
from db.repos.user_settings import DEFAULT_AI_CONCURRENCY, get_user_settings
from services.ai.errors import AIError
from services.ai.leases import ai_lease
from services.ai.prompting import ProductInfo, ReviewInfo, StoreInfo
from services.ai.reasons import COMPLAINT_REASONS
from services.ai.tasks import LOAD_SETTINGS, AITasks, ComplaintDraft, SettingsArg
from services.msk import MSK
from services.reviews import draft_fingerprint
from services.sequences import SequenceService

log = logging.getLogger(__name__)

COMPLAINT_FLOOR = datetime(2023, 10, 1, tzinfo=MSK)
"""WB accepts complaints only about reviews from this date on."""
WB_COMPLAINT_MAX = 1000
"""WB's hard cap on a complaint's text; drafts aim at 900."""


MANUAL_GATES = ("store_paused", "rating", "too_old", "wb_status", "vanished", "complaint_exists")
AUTO_GATES = (*MANUAL_GATES, "product_inactive", "product_not_worked", "rules_off", "rating_off")


class ComplaintError(Exception):
    """A complaint action that cannot be done; `code` is stable, for texts elsewhere."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(message or code)
        self.code = code


@dataclass(frozen=True, slots=True)
class ReviewContext:
    """A review with what the gates and the prompt need, read in one query."""

    review: dict[str, Any]
    product: dict[str, Any]
    rules: dict[str, Any] | None
    store: dict[str, Any]
    has_complaint_row: bool

    @property
    def rating(self) -> int:
        return int(self.review["rating"])


def _parse_ts(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def complaint_fingerprint(reason_name: str | None, text: str | None) -> str:
    """A short mark of a draft's reason and text for the "filed" button (like reviews'
    `draft_fingerprint`, 8 hex digits): it tells the version a card showed from a newer one."""
    return draft_fingerprint(f"{reason_name or ''}\n{text or ''}")


REVIEW_GATES = ("store_paused", "rating", "too_old", "wb_status", "vanished")
"""Gates on the review and its store alone: regenerating a draft must pass them too."""


def review_gate(ctx: ReviewContext) -> str | None:
    """The first of `REVIEW_GATES` the review fails, or None."""
    r = ctx.review
    if ctx.store.get("status") != "active":
        return "store_paused"
    if not 1 <= ctx.rating <= 4:
        return "rating"
    if _parse_ts(r["date"]) < COMPLAINT_FLOOR:
        return "too_old"
    if (r.get("review_status_wb") or "unknown") not in ("visible", "unknown"):
        return "wb_status"
    if r.get("vanished_at"):
        return "vanished"
    return None


def manual_gate(ctx: ReviewContext) -> str | None:
    """The first manual gate the review fails, or None."""
    gate = review_gate(ctx)
    if gate:
        return gate
    r = ctx.review
    if (r.get("complaint_status") or "not_sent") != "not_sent" or ctx.has_complaint_row:
        return "complaint_exists"
    return None


def auto_gate(ctx: ReviewContext) -> str | None:
    """The first gate of automatic and batch drafting the review fails, or None."""
    gate = manual_gate(ctx)
    if gate:
        return gate
    if not ctx.product.get("is_active", True):
        return "product_inactive"
    if ctx.product.get("work_status") != "active":
        return "product_not_worked"
    rules = ctx.rules or {}
    if not rules.get("submit_complaints"):
        return "rules_off"
    if not rules.get(f"complaint_rating_{ctx.rating}"):
        return "rating_off"
    return None


def _new_draft(draft: ComplaintDraft) -> complaints_repo.NewDraft:
    return complaints_repo.NewDraft(
        text=draft.text,
        reason_id=draft.reason_id,
        reason_name=draft.reason_name,
        model=draft.model,
        prompt_tokens=draft.prompt_tokens,
        completion_tokens=draft.completion_tokens,
        total_tokens=draft.total_tokens,
        cost_usd=draft.cost_usd,
        duration_ms=draft.duration_ms,
    )


@dataclass
class BatchReport:
    eligible: int = 0
    processed: int = 0
    drafted: int = 0
    from_template: int = 0
    failed: int = 0
    skipped_by_gate: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    cost_usd: Decimal = Decimal(0)


BatchProgress = Callable[[BatchReport], None]


class ComplaintService:
    def __init__(
        self,
        pool: asyncpg.Pool,
        ai: AITasks,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lease_ttl: timedelta | None = None,
    ) -> None:
        self.pool = pool
        self.ai = ai
        self.clock = clock
        self.lease_ttl = lease_ttl or ai.lease_ttl

    async def context(self, review_id: str) -> ReviewContext:
        row = await complaint_queries.complaint_context(self.pool, review_id)
        if row is None:
            raise ComplaintError("review_not_found")
        return ReviewContext(
            review=row["review"],
            product=row["product"],
            rules=row["rules"],
            store=row["store"],
            has_complaint_row=row["has_complaint_row"],
        )

    async def _generate(
        self, ctx: ReviewContext, settings: SettingsArg = LOAD_SETTINGS
    ) -> ComplaintDraft:
        review = dict(ctx.review)
        review["date"] = _parse_ts(review["date"])
        return await self.ai.draft_complaint(
            store=StoreInfo.from_record(ctx.store),
            product=ProductInfo.from_record(ctx.product, ctx.rules),
            review=ReviewInfo.from_record(review),
            settings=settings,
        )

    async def draft(
        self, review_id: str, *, automatic: bool = False, settings: SettingsArg = LOAD_SETTINGS
    ) -> ComplaintRow:
        """Draft a complaint for one review; ComplaintError(gate) when a gate refuses it.

        One draft per review at a time across processes: the LLM is paid for once even when
        a batch, auto-drafting and a person's press meet on the same review (the second is
        refused with `in_progress`). No connection is held while the LLM works.
        """
        async with self._drafting(review_id):
            ctx = await self.context(review_id)
            gate = auto_gate(ctx) if automatic else manual_gate(ctx)
            if gate:
                raise ComplaintError(gate)
            draft = await self._generate(ctx, settings)
            async with self.pool.acquire() as conn:
                row = await complaints_repo.insert_draft(
                    conn, review_id, _new_draft(draft), now=self.clock()
                )
        if row is None:  # someone drafted or filed it meanwhile
            raise ComplaintError("complaint_exists")
        return row

    def _drafting(self, review_id: str) -> AbstractAsyncContextManager[None]:
        """The review's drafting lease (`ai_leases`) while the LLM works on it: claimed and
        released by short statements, so no pooled connection waits on the LLM."""
        return ai_lease(
            self.pool,
            LeaseKind.COMPLAINT_DRAFT,
            review_id,
            busy=lambda: ComplaintError("in_progress"),
            ttl=self.lease_ttl,
        )

    async def _complaint(self, complaint_id: str) -> ComplaintRow:
        row = await complaints_repo.get_complaint(self.pool, complaint_id)
        if row is None:
            raise ComplaintError("complaint_not_found")
        return row

    async def regenerate(self, complaint_id: str) -> ComplaintRow:
        current = await self._complaint(complaint_id)
        if current.status != "draft":
            raise ComplaintError("not_a_draft")
        async with self._drafting(current.review_id):
            ctx = await self.context(current.review_id)
            gate = review_gate(ctx)  # a paused store or a review gone since: no paid call
            if gate:
                raise ComplaintError(gate)
            draft = await self._generate(ctx)
            async with self.pool.acquire() as conn:
                row = await complaints_repo.replace_draft(
                    conn, complaint_id, _new_draft(draft), now=self.clock(), regenerated=True
                )
        if row is None:
            raise ComplaintError("not_a_draft")
        return row

    async def edit(self, complaint_id: str, text: str) -> ComplaintRow:
        """The seller's own text for a draft (kept as typed, within WB's 1000 characters)."""
        text = text.strip()
        if not text:
            raise ComplaintError("empty_text")
        if len(text) > WB_COMPLAINT_MAX:
            raise ComplaintError("too_long")
        current = await self._complaint(complaint_id)
        return await self._replace_by_hand(complaint_id, current, text=text)

    async def set_reason(self, complaint_id: str, reason_id: int) -> ComplaintRow:
        """The seller picks another WB category for a draft."""
        if reason_id not in COMPLAINT_REASONS:
            raise ComplaintError("bad_reason")
        current = await self._complaint(complaint_id)
        return await self._replace_by_hand(complaint_id, current, reason_id=reason_id)

    async def _replace_by_hand(
        self,
        complaint_id: str,
        current: ComplaintRow,
        *,
        text: str | None = None,
        reason_id: int | None = None,
    ) -> ComplaintRow:
        """A person's change to a draft: no AI call, so no tokens or cost are added."""
        reason = reason_id if reason_id is not None else current.reason_id
        changed = complaints_repo.NewDraft(
            text=text if text is not None else current.complaint_text,
            reason_id=reason,
            reason_name=COMPLAINT_REASONS.get(reason, current.reason_name),
            model=None,
            prompt_tokens=None,
            completion_tokens=None,
            total_tokens=None,
            cost_usd=None,
            duration_ms=None,
        )
        async with self.pool.acquire() as conn:
            row = await complaints_repo.replace_draft(
                conn, complaint_id, changed, now=self.clock(), regenerated=False
            )
        if row is None:
            raise ComplaintError("not_a_draft")
        return row

    async def discard(self, complaint_id: str) -> str:
        async with self.pool.acquire() as conn:
            review_id = await complaints_repo.discard_draft(conn, complaint_id)
        if review_id is None:
            await self._complaint(complaint_id)  # not found -> its own error
            raise ComplaintError("not_a_draft")
        return review_id

    async def mark_sent(self, complaint_id: str, user_id: str, *, shown: str) -> ComplaintRow:
        """The seller filed the draft the card showed (`shown`: its `complaint_fingerprint`).
        A draft changed since (regenerated, edited, another reason) is not filed:
        `text_changed`, since the statistics by reason would record a text nobody filed.
        Compared on the locked row, in the transaction that files it."""
        async with self.pool.acquire() as conn, conn.transaction():
            current = await complaints_repo.lock_complaint(conn, complaint_id)
            if current is None:
                raise ComplaintError("complaint_not_found")
            if current.status != "draft":
                raise ComplaintError("not_a_draft")
            if complaint_fingerprint(current.reason_name, current.complaint_text) != shown:
                raise ComplaintError("text_changed")
            row = await complaints_repo.mark_sent(conn, complaint_id, user_id, now=self.clock())
        if row is None:  # cannot be: the row is locked and a draft
            raise ComplaintError("not_a_draft")
        return row

    async def mark_outcome(self, complaint_id: str, outcome: str) -> ComplaintRow:
        if outcome not in complaints_repo.OUTCOMES:
            raise ComplaintError("bad_outcome")
        async with self.pool.acquire() as conn, conn.transaction():
            row = await complaints_repo.mark_outcome(conn, complaint_id, outcome, now=self.clock())
            if row is not None and outcome == "approved":
                # An approved complaint resolves its review: the linked chat's follow-ups stop.
                await SequenceService.on_reviews_resolved(conn, [row.review_id])
        if row is None:
            current = await self._complaint(complaint_id)
            raise ComplaintError("same_outcome" if current.status == outcome else "not_filed")
        return row

    # --- batch --------------------------------------------------------------------------

    async def gate_counts(self, store_id: str) -> Counter[str]:
        """Reviews of a store per first failing gate ('eligible' for the rest)."""
        return await complaint_queries.gate_counts(self.pool, store_id, COMPLAINT_FLOOR)

    async def count_templated(self, store_id: str) -> int:
        """Eligible reviews that will get a free template: the SQL mirror of
        `services.ai.tasks.needs_template` (rating 1-3, no text, pros or cons once stripped)."""
        return await complaint_queries.count_templated(self.pool, store_id, COMPLAINT_FLOOR)

    async def _eligible_page(
        self, store_id: str, after: tuple[datetime, str] | None, size: int
    ) -> list[asyncpg.Record]:
        return await complaint_queries.eligible_page(
            self.pool, store_id, COMPLAINT_FLOOR, after, size
        )

    async def batch_draft(
        self,
        store_id: str,
        *,
        limit: int | None = None,
        progress: BatchProgress | None = None,
        page_size: int = 50,
    ) -> BatchReport:
        """Draft every eligible review of a store, newest first, bounded by `ai_concurrency`."""
        counts = await self.gate_counts(store_id)
        report = BatchReport(eligible=counts.pop("eligible", 0), skipped_by_gate=counts)
        owner = await complaint_queries.store_owner(self.pool, store_id)
        settings = await get_user_settings(self.pool, owner) if owner else None
        concurrency = settings.effective_concurrency if settings else DEFAULT_AI_CONCURRENCY
        semaphore = asyncio.Semaphore(concurrency)
        budget = limit if limit is not None else report.eligible

        async def one(review_id: str) -> None:
            async with semaphore:
                try:
                    row = await self.draft(review_id, automatic=True, settings=settings)
                except ComplaintError as exc:
                    report.skipped_by_gate[exc.code] += 1
                except AIError as exc:
                    report.failed += 1
                    report.failures[type(exc).__name__] += 1
                    log.warning("complaint draft for %s failed: %s", review_id, exc)
                except Exception as exc:  # one review's failure must not abandon the others
                    report.failed += 1
                    report.failures[type(exc).__name__] += 1
                    log.exception("complaint draft for %s failed", review_id)
                else:
                    report.drafted += 1
                    if row.ai_cost_usd:
                        report.cost_usd += row.ai_cost_usd
                    else:
                        report.from_template += 1
                report.processed += 1
                if progress:
                    progress(report)

        after: tuple[datetime, str] | None = None
        done = 0
        while done < budget:
            page = await self._eligible_page(store_id, after, min(page_size, budget - done))
            if not page:
                break
            after = (page[-1]["date"], page[-1]["id"])
            await asyncio.gather(*(one(r["id"]) for r in page))
            done += len(page)
        return report
