"""Buyer chats for people: the board, a chat's card, moves, tags, AI drafts and sending.

Built once (`bot/context.py`) and injected into handlers. Access is checked before any call
here (the bot's `Access` middleware with its `CHATS` guards resolves each chat to its store);
this service trusts its ids.

Sending (domain-rules.md, "Delivery": at most once to buyers): the send is claimed in
`chat_sends` (a committed row), WB is called with no connection held, and the message is
recorded at once as a `chat_messages` row with id `sent:<chat>:<ms>`; when the events stream
brings the same message back, that row takes WB's event id (`chats_repo._adopt_echoes`), so
the card shows it once. The Send button carries the fingerprint of the text it showed.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from db.claims import STALE_CLAIM
from db.models import StoreRow
from db.repos import chat_screens
from db.repos import chats as chats_repo
from db.repos import sequences as sequences_repo
from db.repos import stores as stores_repo
from db.repos.leases import LeaseKind
from db.secrets import SecretUnreadable
from services.ai.chat_tags import CHAT_TAGS
from services.ai.errors import AIError
from services.ai.guard import GuardResult, check_text
from services.ai.leases import ai_lease
from services.ai.prompting import (
    ChatInfo,
    ChatMessageInfo,
    ProductInfo,
    ProductRulesInfo,
    ReviewInfo,
    StoreInfo,
    compensation_allowed,
)
from services.ai.tasks import AITasks, ReplyDraft
from services.ai.textnorm import asks_other_language
from services.members import store_role, user_stores
from services.sequences import SequenceService
from services.wb.client import MESSAGE_MAX
from services.wb.errors import WBAuthError, WBError, WBRateLimited, WBRequestError
from services.wb.factory import WBClientFactory


class ChatStatus(enum.StrEnum):
    INBOX = "inbox"
    IN_PROGRESS = "in_progress"
    AWAITING_REPLY = "awaiting_reply"
    RESOLVED = "resolved"
    CLOSED = "closed"


class CompletionReason(enum.StrEnum):
    REVIEW_DELETED = "review_deleted"
    REVIEW_UPGRADED = "review_upgraded"
    NO_REPLY = "no_reply"
    OLD_DIALOG = "old_dialog"
    NOT_OUR_ISSUE = "not_our_issue"
    SPAM = "spam"
    NEGATIVE = "negative"
    OTHER = "other"


class ChatErrorCode(enum.StrEnum):
    NOT_FOUND = "not_found"
    REASON_REQUIRED = "reason_required"
    BAD_TAG = "bad_tag"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    GUARD = "guard"
    BUSY = "busy"
    """A send of this chat is in flight, or its draft is being written."""
    OUTCOME_UNKNOWN = "outcome_unknown"
    NO_SIGN = "no_sign"
    INVALID_SIGNATURE = "invalid_signature"
    MODERATION = "moderation"
    RATE_LIMITED = "rate_limited"
    AUTH = "auth"
    WB_REFUSED = "wb_refused"
    WB_UNAVAILABLE = "wb_unavailable"
    DRAFT_CHANGED = "draft_changed"
    TOKEN_UNREADABLE = "token_unreadable"  # noqa: S105 (an error code, not a secret)
    AI_FAILED = "ai_failed"


class ChatError(Exception):
    """A chat action that cannot be done; the bot maps `code` to a text key. The draft is
    never lost by an error."""

    def __init__(
        self, code: ChatErrorCode, *, problems: Sequence[str] = (), detail: str = ""
    ) -> None:
        super().__init__(code.value)
        self.code = code
        self.problems = list(problems)
        self.detail = detail


FINGERPRINT_LENGTH = 8
PAGE_SIZE = 8
CARD_MESSAGES = 10


def text_fingerprint(text: str | None) -> str:
    """8 hex digits of the text's sha256: which version of a draft a button showed."""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()[:FINGERPRINT_LENGTH]


@dataclass(frozen=True, slots=True)
class Board:
    counts: dict[ChatStatus, int]
    store_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChatLine:
    id: str
    store_name: str
    client_name: str
    product: str
    preview: str
    activity: datetime
    tag: str
    sender: str | None


@dataclass(frozen=True, slots=True)
class ColumnPage:
    lines: list[ChatLine]
    next_after: tuple[datetime, str] | None


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    sender: str
    text: str
    timestamp: datetime
    has_file: bool


@dataclass(frozen=True, slots=True)
class ChatCard:
    id: str
    store_id: str
    store_name: str
    client_name: str
    status: ChatStatus
    completion_reason: str | None
    tag: str
    product_name: str
    vendor_code: str
    nm_id: str | None
    price: int | None
    rules: ProductRulesInfo | None
    review: ReviewInfo | None
    messages: list[Message]
    """Newest last."""
    older: tuple[datetime, str] | None
    draft: str | None
    draft_problems: list[str]
    has_sign: bool
    send_state: str | None
    buyer_messages: int
    sequence: dict[str, Any] | None
    ended_sequence: dict[str, Any] | None = None
    """The chat's latest sequence when none runs: how it ended (status, stop reason)."""


def _dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


class ChatService:
    def __init__(self, pool: asyncpg.Pool, ai: AITasks, wb: WBClientFactory) -> None:
        self.pool = pool
        self.ai = ai
        self.wb = wb

    # --- access -------------------------------------------------------------------------

    async def store_of(self, user_id: str, chat_id: str) -> str | None:
        """The chat's store when this person may act on it, else None (unknown or not
        theirs: one refusal for both)."""
        store_id = await chat_screens.store_of_chat(self.pool, chat_id)
        if store_id is None:
            return None
        return store_id if await store_role(self.pool, user_id, store_id) else None

    async def may_see_store(self, user_id: str, store_id: str) -> bool:
        return await store_role(self.pool, user_id, store_id) is not None

    async def stores_of(self, user_id: str) -> list[str]:
        return [s.id for s, _ in await user_stores(self.pool, user_id)]

    async def scope(self, user_id: str, store_id: str) -> tuple[str, ...]:
        """The stores a board or list covers: the one store if the person works it (else
        none), or all of the person's stores for `store_id` ''. Asked again on every screen:
        access lost meanwhile shows an empty board, not someone else's chats."""
        if store_id:
            return (store_id,) if await self.may_see_store(user_id, store_id) else ()
        return tuple(await self.stores_of(user_id))

    async def owner_of(self, store_id: str) -> str:
        """The store's owner: whose follow-up sets a chat of the store uses."""
        store = await stores_repo.get_store(self.pool, store_id)
        if store is None:
            raise ChatError(ChatErrorCode.NOT_FOUND)
        return store.owner_id

    async def store_name(self, store_id: str) -> str:
        return await stores_repo.store_name(self.pool, store_id)

    async def top_products(
        self, store_ids: Sequence[str], status: ChatStatus
    ) -> list[tuple[str, str]]:
        """(nmId, name) of the products with most chats in a column (the product filter)."""
        rows = await chat_screens.column_products(self.pool, store_ids, status.value)
        return [(r["product_nm_id"], r["product_name"] or r["product_nm_id"]) for r in rows]

    # --- the board ----------------------------------------------------------------------

    async def board(self, store_ids: Sequence[str]) -> Board:
        counts = await chat_screens.board_counts(self.pool, store_ids)
        return Board({s: counts.get(s.value, 0) for s in ChatStatus}, tuple(store_ids))

    async def column(
        self,
        store_ids: Sequence[str],
        status: ChatStatus,
        *,
        tag: str | None = None,
        product_nm_id: str | None = None,
        waiting: bool = False,
        after: tuple[datetime, str] | None = None,
        size: int = PAGE_SIZE,
    ) -> ColumnPage:
        rows = await chat_screens.column_page(
            self.pool,
            store_ids,
            chat_screens.ColumnFilter(status.value, tag, product_nm_id, waiting),
            after=after,
            size=size,
        )
        more = len(rows) > size
        rows = rows[:size]
        lines = [
            ChatLine(
                id=r["id"],
                store_name=r["store_name"] or "",
                client_name=r["client_name"] or "",
                product=r["product_name"] or (r["product_nm_id"] or ""),
                preview=r["last_message_text"] or "",
                activity=r["activity"],
                tag=r["tag"],
                sender=r["last_message_sender"],
            )
            for r in rows
        ]
        last = lines[-1] if lines else None
        return ColumnPage(lines, (last.activity, last.id) if more and last else None)

    async def card(self, chat_id: str, *, before: tuple[datetime, str] | None = None) -> ChatCard:
        row = await chat_screens.chat_card(self.pool, chat_id)
        if row is None:
            raise ChatError(ChatErrorCode.NOT_FOUND)
        chat = chat_screens.as_dict(row["chat"]) or {}
        product = chat_screens.as_dict(row["product"])
        rules_row = chat_screens.as_dict(row["rules"])
        review_row = chat_screens.as_dict(row["review"])
        msgs = await chat_screens.messages_page(
            self.pool, chat_id, before=before, size=CARD_MESSAGES
        )
        more = len(msgs) > CARD_MESSAGES
        msgs = msgs[:CARD_MESSAGES]
        messages = [
            Message(m["id"], m["sender"], m["text"] or "", m["timestamp"], bool(m["download_id"]))
            for m in reversed(msgs)
        ]
        review = None
        if review_row is not None:
            review_row["date"] = _dt(review_row.get("date"))
            review = ReviewInfo.from_record(review_row)
        rules = ProductRulesInfo.from_record(rules_row) if rules_row else None
        draft = chat.get("draft_reply")
        problems: list[str] = []
        if draft:
            problems = list(
                self._guard(
                    draft, rules, review, seller_written=True, instr=row["ai_instructions"]
                ).problems
            )
        seq = await sequences_repo.active_sequence(self.pool, chat_id)
        ended = None if seq is not None else await sequences_repo.last_sequence(self.pool, chat_id)
        return ChatCard(
            id=chat_id,
            store_id=chat["store_id"],
            store_name=row["store_name"] or "",
            client_name=chat.get("client_name") or "",
            status=ChatStatus(chat.get("status") or "inbox"),
            completion_reason=chat.get("completion_reason"),
            tag=chat.get("tag") or "untagged",
            product_name=(product or {}).get("name") or chat.get("product_name") or "",
            vendor_code=(product or {}).get("vendor_code") or chat.get("product_vendor_code") or "",
            nm_id=chat.get("product_nm_id"),
            price=(product or {}).get("price"),
            rules=rules,
            review=review,
            messages=messages,
            older=(messages[0].timestamp, messages[0].id) if more and messages else None,
            draft=draft,
            draft_problems=problems,
            has_sign=bool(chat.get("reply_sign")),
            send_state=row["send_state"],
            buyer_messages=int(row["buyer_messages"] or 0),
            sequence=dict(seq) if seq is not None else None,
            ended_sequence=dict(ended) if ended is not None else None,
        )

    # --- moves and tags -----------------------------------------------------------------

    async def move(
        self, chat_id: str, status: ChatStatus, reason: CompletionReason | None = None
    ) -> None:
        """A move by hand. `closed` needs a reason; other columns clear it. A running
        follow-up sequence stops (`manual`) in the same transaction (domain-rules.md)."""
        if status is ChatStatus.CLOSED and reason is None:
            raise ChatError(ChatErrorCode.REASON_REQUIRED)
        async with self.pool.acquire() as conn, conn.transaction():
            row = await chats_repo.move_chat(
                conn,
                chat_id,
                status.value,
                reason.value if status is ChatStatus.CLOSED and reason else None,
            )
            if row is not None:
                await SequenceService.on_chat_moved(conn, chat_id)
        if row is None:
            raise ChatError(ChatErrorCode.NOT_FOUND)

    async def reopen(self, chat_id: str) -> ChatStatus:
        """A closed chat back on the board: `inbox` if the buyer wrote last, else in progress."""
        card = await chat_screens.chat_card(self.pool, chat_id)
        if card is None:
            raise ChatError(ChatErrorCode.NOT_FOUND)
        chat = chat_screens.as_dict(card["chat"]) or {}
        to = (
            ChatStatus.INBOX
            if chat.get("last_message_sender") == "client"
            else ChatStatus.IN_PROGRESS
        )
        await self.move(chat_id, to)
        return to

    async def set_tag(self, chat_id: str, tag: str) -> None:
        """Any tag by hand (the deletion funnel moves freely here); counts stay true."""
        if tag not in CHAT_TAGS:
            raise ChatError(ChatErrorCode.BAD_TAG)
        store_id = await chats_repo.set_tag(self.pool, chat_id, tag)
        if store_id is None:
            raise ChatError(ChatErrorCode.NOT_FOUND)
        await stores_repo.refresh_chat_counts(self.pool, store_id)

    # --- drafts -------------------------------------------------------------------------

    def _guard(
        self,
        text: str,
        rules: ProductRulesInfo | None,
        review: ReviewInfo | None,
        *,
        seller_written: bool,
        instr: str | None,
    ) -> GuardResult:
        rating = review.rating if review else None
        return check_text(
            text,
            channel="chat",
            rating=rating,
            compensation_allowed=compensation_allowed(rules, rating),
            max_compensation=rules.max_compensation if rules else None,
            seller_has_written=seller_written,
            other_language=asks_other_language(instr),
        )

    async def _context(self, chat_id: str) -> tuple[StoreRow, ProductInfo, ChatInfo, ChatCard]:
        card = await self.card(chat_id)
        store = await stores_repo.get_store(self.pool, card.store_id)
        if store is None:
            raise ChatError(ChatErrorCode.NOT_FOUND)
        history = await chat_screens.messages_page(self.pool, chat_id, size=30)
        product_row = (
            await chat_screens.product_by_nm(self.pool, card.store_id, card.nm_id)
            if card.nm_id
            else None
        )
        product = (
            ProductInfo.from_record(dict(product_row), None)
            if product_row is not None
            else ProductInfo(name=card.product_name, wb_product_id=card.nm_id)
        )
        product = ProductInfo(
            name=product.name,
            vendor_code=product.vendor_code,
            wb_product_id=product.wb_product_id,
            brand=product.brand,
            characteristics=product.characteristics,
            rules=card.rules,
            id=product.id,
        )
        chat = ChatInfo(
            id=chat_id,
            client_name=card.client_name,
            messages=tuple(ChatMessageInfo.from_record(dict(m)) for m in reversed(history)),
            review=card.review,
        )
        return store, product, chat, card

    async def draft(self, chat_id: str) -> ReplyDraft:
        """An AI draft from the chat (phase, strategy, money rules, store instructions, the
        owner's chat prompt), guarded; stored as the chat's draft even with problems (shown,
        never sent). One drafting per chat at a time (`ai_leases`), no connection held."""
        store, product, chat, card = await self._context(chat_id)
        if card.review is not None and card.review.rating == 5:
            product = ProductInfo(
                name=product.name,
                vendor_code=product.vendor_code,
                wb_product_id=product.wb_product_id,
                brand=product.brand,
                characteristics=product.characteristics,
                rules=None,  # 5 stars: never money, never a review request
                id=product.id,
            )
        info = StoreInfo(store.id, store.owner_id, store.name, store.ai_instructions)
        async with ai_lease(
            self.pool,
            LeaseKind.CHAT_DRAFT,
            chat_id,
            busy=lambda: ChatError(ChatErrorCode.BUSY),
            ttl=self.ai.lease_ttl,
        ):
            try:
                draft = await self.ai.draft_chat_reply(store=info, product=product, chat=chat)
            except AIError as exc:
                raise ChatError(ChatErrorCode.AI_FAILED) from exc
        await chats_repo.set_draft(self.pool, chat_id, draft.text)
        return draft

    async def save_draft(self, chat_id: str, text: str) -> GuardResult:
        """A person's edit becomes the draft (kept even when the guard objects: it is shown
        with the problems, and Send refuses it)."""
        text = text.strip()
        if not text:
            raise ChatError(ChatErrorCode.EMPTY)
        if len(text) > MESSAGE_MAX:
            raise ChatError(ChatErrorCode.TOO_LONG)
        card = await self.card(chat_id)
        verdict = self._guard(
            text,
            card.rules,
            card.review,
            seller_written=any(m.sender == "seller" for m in card.messages),
            instr=await self._instructions(card.store_id),
        )
        if not verdict.text:
            raise ChatError(ChatErrorCode.EMPTY)
        await chats_repo.set_draft(self.pool, chat_id, verdict.text)
        return verdict

    async def _instructions(self, store_id: str) -> str | None:
        store = await stores_repo.get_store(self.pool, store_id)
        return store.ai_instructions if store else None

    # --- sending ------------------------------------------------------------------------

    async def send(self, chat_id: str, *, shown: str, confirm: bool = False) -> str:
        """Send the draft the person saw (`shown` = its fingerprint) to the buyer via WB.
        Returns the sent text. Every refusal raises `ChatError` and keeps the draft."""
        card = await self.card(chat_id)
        store = await stores_repo.get_store(self.pool, card.store_id)
        if store is None:
            raise ChatError(ChatErrorCode.NOT_FOUND)
        text = (card.draft or "").strip()
        if text_fingerprint(card.draft) != shown:
            raise ChatError(ChatErrorCode.DRAFT_CHANGED)
        if not text:
            raise ChatError(ChatErrorCode.EMPTY)
        if len(text) > MESSAGE_MAX:
            raise ChatError(ChatErrorCode.TOO_LONG)
        verdict = self._guard(
            text,
            card.rules,
            card.review,
            seller_written=any(m.sender == "seller" for m in card.messages),
            instr=store.ai_instructions,
        )
        if not verdict.ok:
            raise ChatError(ChatErrorCode.GUARD, problems=verdict.problems)
        stored, text = text, verdict.text  # what the guard read is what is sent
        sign = await chat_screens.reply_sign(self.pool, chat_id)
        if not sign:
            raise ChatError(ChatErrorCode.NO_SIGN)
        try:
            client = self.wb.for_store(store)
        except SecretUnreadable:
            raise ChatError(ChatErrorCode.TOKEN_UNREADABLE) from None
        async with self.pool.acquire() as conn, conn.transaction():
            claim = await chats_repo.claim_send(
                conn, chat_id, text, draft=stored, confirm=confirm, stale_after=STALE_CLAIM
            )
        if claim == "changed":
            raise ChatError(ChatErrorCode.DRAFT_CHANGED)
        if claim != "claimed":
            state = await chat_screens.send_state(self.pool, chat_id)
            raise ChatError(
                ChatErrorCode.OUTCOME_UNKNOWN if state == "unknown" else ChatErrorCode.BUSY
            )
        # The claim is committed: no lock and no connection is held across the WB call.
        try:
            result = await client.send_message(sign, text)
        except WBError as exc:
            error = _send_error(exc)
            if error.code is ChatErrorCode.OUTCOME_UNKNOWN:
                await chats_repo.SEND_CLAIMS.mark_unknown(self.pool, chat_id)
            else:
                await chats_repo.SEND_CLAIMS.release(self.pool, chat_id)
            raise error from exc
        except BaseException:
            await chats_repo.SEND_CLAIMS.mark_unknown(self.pool, chat_id)
            raise
        sent_at = (
            datetime.fromtimestamp(result.add_time / 1000, tz=UTC)
            if result.add_time
            else datetime.now(UTC)
        )
        message_id = f"{chats_repo.LOCAL_PREFIX}{chat_id}:{int(sent_at.timestamp() * 1000)}"
        async with self.pool.acquire() as conn, conn.transaction():
            await chats_repo.record_sent(conn, chat_id, message_id, text, sent_at)
        return text


def _send_error(exc: WBError) -> ChatError:
    if isinstance(exc, WBAuthError):
        return ChatError(ChatErrorCode.AUTH, detail=exc.reason)
    if exc.outcome_unknown:
        return ChatError(ChatErrorCode.OUTCOME_UNKNOWN)
    if isinstance(exc, WBRateLimited):
        return ChatError(ChatErrorCode.RATE_LIMITED)
    if exc.status == 451:
        return ChatError(ChatErrorCode.MODERATION)
    if isinstance(exc, WBRequestError):
        if "invalid signature" in exc.detail.lower():
            return ChatError(ChatErrorCode.INVALID_SIGNATURE)
        return ChatError(ChatErrorCode.WB_REFUSED, detail=exc.detail)
    return ChatError(ChatErrorCode.WB_UNAVAILABLE)
