"""The AI tasks the bot runs: complaint drafts, replies, chat tags, deletion offers.

Each LLM call writes exactly one `ai_logs` row (prompt, response, model, tokens, cost, error,
metadata with duration_ms, attempt, http_attempts, task, prompt source), including calls that
failed or whose output was rejected. AI work on a store uses its owner's settings.

- Complaints: JSON mode; `reason_id` must be an integer 11-20 (the name always comes from
  `reasons.py`), `complaint_text` non-empty, light markdown and a leading greeting are cleaned
  off, the text is cut back to the last sentence end within 900 characters and must then pass
  the guard. Invalid output is retried once (a second logged call, told what was wrong); a
  second failure raises `AIInvalidOutput` and the caller saves nothing.
- Reviews with no text, pros or cons at 1-3 stars get a fixed template picked by a stable
  hash of the review id: no LLM call, cost 0, model "template", and no `ai_logs` row
  (`ai_logs` counts LLM calls; the draft says `from_template=True`).
- Replies pass the guard; a failing text is regenerated once (told the problems) and, if it
  still fails, returned with `problems` set: the caller shows it to a person and never sends
  it automatically.
- Chat tags: JSON `{"tag": ...}` with one of the schema's 12 tags; invalid twice ->
  `AIInvalidOutput`.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, Literal, TypeVar

import asyncpg

from db.repos.ai_logs import insert_ai_log
from db.repos.ai_settings import month_spend
from db.repos.user_settings import UserSettingsRow, get_user_settings
from services import metrics
from services.ai.chat_tags import CHAT_TAGS, ChatTag
from services.ai.client import AIClient, Completion
from services.ai.errors import AIBudgetExceeded, AICallError, AIConfigError, AIInvalidOutput
from services.ai.guard import Channel, GuardResult, check_text, describe_problems
from services.ai.leases import lease_ttl
from services.ai.pricing import DEFAULT_PRICING, ZERO_COST, Pricing
from services.ai.prompting import (
    MAX_CHAT_MESSAGES,
    ChatInfo,
    ProductInfo,
    PromptPair,
    PromptTask,
    QuestionInfo,
    ReviewInfo,
    StoreInfo,
    chat_user_message,
    compensation_allowed,
    complaint_user_message,
    question_user_message,
    resolve_system_prompt,
    review_reply_user_message,
)
from services.ai.reasons import COMPLAINT_REASONS, MAX_REASON_ID, MIN_REASON_ID
from services.ai.textnorm import asks_other_language
from services.msk import month_start

COMPLAINT_MAX_CHARS: Final = 900
TEMPLATE_MODEL: Final = "template"


class _Load(enum.Enum):
    LOAD = "load"


LOAD_SETTINGS: Final = _Load.LOAD
SettingsArg = UserSettingsRow | None | _Load


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComplaintDraft:
    reason_id: int
    reason_name: str
    text: str
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost_usd: Decimal
    duration_ms: int
    model: str
    from_template: bool
    truncated: bool = False
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class ReplyDraft:
    """A reply text; `problems` non-empty means the guard still objects: show, never send."""

    text: str
    problems: list[str]
    warnings: list[str]
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost_usd: Decimal
    duration_ms: int
    model: str
    attempts: int

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe_problems(self) -> list[str]:
        return describe_problems(self.problems)


@dataclass(frozen=True, slots=True)
class ChatTagResult:
    tag: ChatTag
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost_usd: Decimal
    duration_ms: int
    model: str
    attempts: int


@dataclass
class _Totals:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost: Decimal = ZERO_COST
    duration_ms: int = 0
    calls: int = 0
    model: str = ""

    def add(self, c: Completion, cost: Decimal) -> None:
        self.prompt_tokens += c.prompt_tokens
        self.completion_tokens += c.completion_tokens
        self.total_tokens += c.total_tokens
        self.cost += cost
        self.duration_ms += c.duration_ms
        self.calls += 1
        self.model = c.model


# --- output parsing (pure) ------------------------------------------------------------------

_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
_EMPHASIS = re.compile(r"\*\*|__|`+|~~")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*", re.MULTILINE)
_BULLET = re.compile(r"^\s{0,3}[*•]\s+", re.MULTILINE)
_LEADING_GREETING = re.compile(
    r"^\s*(?:здравствуй\w*|добр\w+\s+(?:день|утро|вечер)|уважаем\w*(?:\s+[\w-]+){0,2}"
    r"|дорог\w*\s+модератор\w*|приветству\w*)\s*[!,.]\s*",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…]+(?=[\s\"»)]|$)")
_WS = re.compile(r"[ \t\u00a0]+")


def strip_markdown(text: str) -> str:
    """Emphasis, code marks, headings and `*` bullets off; the words stay."""
    text = _EMPHASIS.sub("", text)
    text = _HEADING.sub("", text)
    return _BULLET.sub("", text)


def clean_text(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] + text[-1] in ('""', "«»", "''"):
        text = text[1:-1].strip()
    text = strip_markdown(text)
    text = _WS.sub(" ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def cut_to_sentence(text: str, limit: int) -> tuple[str, bool]:
    """At most `limit` characters, cut back to the last sentence end (. ! ? …) or, when the
    first sentence is already too long, to the last whole word plus "…"; never mid-word."""
    text = text.strip()
    if len(text) <= limit:
        return text, False
    window = text[: limit + 1]  # one more, so an end exactly at `limit` is seen
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= limit]
    if ends:
        return text[: ends[-1]].rstrip(), True
    head = text[: limit - 1]
    cut = head.rfind(" ") if not text[limit - 1].isspace() else limit - 1
    if cut <= 0:
        return head.rstrip() + "…", True
    return head[:cut].rstrip(" ,;:—-") + "…", True


def _json_object(content: str) -> dict[str, Any] | None:
    text = _FENCE.sub("", content.strip())
    try:
        value = json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            return None
        try:
            value = json.loads(text[start : end + 1])
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why a model output was rejected (kept apart from `str` results such as tags)."""

    reason: str


@dataclass(frozen=True, slots=True)
class ParsedComplaint:
    reason_id: int
    reason_name: str
    text: str
    truncated: bool


def parse_complaint(
    content: str, *, max_chars: int = COMPLAINT_MAX_CHARS, rating: int | None = None
) -> ParsedComplaint | Invalid:
    """The validated complaint, or a short reason why the output is not one."""
    data = _json_object(content)
    if data is None:
        return Invalid("not a JSON object")
    if "reason_id" not in data:
        return Invalid("missing reason_id")
    raw_id = data["reason_id"]
    if isinstance(raw_id, str) and raw_id.strip().isdigit():
        raw_id = int(raw_id.strip())
    if isinstance(raw_id, bool) or not isinstance(raw_id, int):
        return Invalid("reason_id is not an integer")
    if raw_id not in COMPLAINT_REASONS:
        return Invalid(f"reason_id {raw_id} not in {MIN_REASON_ID}..{MAX_REASON_ID}")
    raw_text = data.get("complaint_text")
    if not isinstance(raw_text, str):
        return Invalid("missing complaint_text")
    text = clean_text(raw_text)
    # A greeting to the moderators is dropped when a complaint follows it.
    while True:
        m = _LEADING_GREETING.match(text)
        if not m or not text[m.end() :].strip():
            break
        rest = text[m.end() :].strip()
        text = rest[:1].upper() + rest[1:]
    if not text:
        return Invalid("complaint_text is empty")
    text, truncated = cut_to_sentence(text, max_chars)
    result = check_text(text, channel="complaint", rating=rating)
    if not result.ok:
        return Invalid("complaint_text fails the guard: " + ", ".join(result.problems))
    return ParsedComplaint(raw_id, COMPLAINT_REASONS[raw_id], result.text, truncated)


def parse_tag(content: str) -> ChatTag | Invalid:
    data = _json_object(content)
    if data is None:
        return Invalid("not a JSON object")
    tag = data.get("tag")
    if not isinstance(tag, str):
        return Invalid("missing tag")
    tag = tag.strip().lower()
    for known in CHAT_TAGS:
        if known == tag:
            return known
    return Invalid(f"unknown tag {tag!r}")


# --- templates for empty reviews ---------------------------------------------------------------

# (reason_id, text). Mixed reasons on purpose: approval rates by reason show which one works.
EMPTY_REVIEW_TEMPLATES: Final[tuple[tuple[int, str], ...]] = (
    (
        11,
        "Отзыв состоит только из оценки: покупатель не описал ни товар, ни опыт его"
        " использования, ни причину низкой оценки. Такая оценка не содержит сведений о"
        " товаре и не помогает другим покупателям сделать выбор. Просим проверить отзыв на"
        " соответствие правилам площадки.",
    ),
    (
        20,
        "В отзыве нет ни текста, ни достоинств, ни недостатков: низкая оценка ничем не"
        " обоснована. Товар соответствует описанию и характеристикам в карточке, претензий"
        " к качеству покупатель не привёл. Просим рассмотреть отзыв и исключить его из"
        " рейтинга товара.",
    ),
    (
        11,
        "Покупатель поставил низкую оценку, не указав, чем именно товар его не устроил."
        " Отзыв не относится к свойствам товара и может отражать впечатление от доставки или"
        " другие обстоятельства, не связанные с товаром. Просим проверить отзыв.",
    ),
    (
        20,
        "Отзыв не содержит описания товара или проблемы с ним, поэтому оценку невозможно"
        " проверить или учесть в работе над качеством. Просим проверить, соответствует ли"
        " такой отзыв правилам публикации.",
    ),
)


def template_for(review_id: str) -> tuple[int, str]:
    """A stable choice (sha256, not `hash()`, which changes between processes)."""
    digest = hashlib.sha256(review_id.encode("utf-8")).digest()
    return EMPTY_REVIEW_TEMPLATES[int.from_bytes(digest[:8], "big") % len(EMPTY_REVIEW_TEMPLATES)]


def needs_template(review: ReviewInfo) -> bool:
    return review.is_empty and review.rating <= 3


# --- the service ---------------------------------------------------------------------------

T = TypeVar("T")

KEY_UNREADABLE = (
    "Сохранённый ключ DeepSeek не читается текущим ключом SECRET_KEY: задайте ключ заново"
    " или попросите администратора вернуть прежний SECRET_KEY"
)
"""An owner's sealed key the current SECRET_KEY cannot open: said, never replaced by the
operator's key behind the owner's back."""


@dataclass(frozen=True, slots=True)
class _Call:
    """What one task needs to call and log."""

    store: StoreInfo
    settings: UserSettingsRow | None
    entity_type: str
    entity_id: str
    action: str
    task: PromptTask
    json_mode: bool
    temperature: float
    max_tokens: int


class AITasks:
    """High-level AI tasks; construct once with the client and the pool."""

    complaint_temperature: float = 0.7
    reply_temperature: float = 1.0
    tag_temperature: float = 0.0

    def __init__(
        self,
        client: AIClient,
        pool: asyncpg.Pool,
        *,
        pricing: Pricing = DEFAULT_PRICING,
        complaint_max_chars: int = COMPLAINT_MAX_CHARS,
        chat_history_limit: int = MAX_CHAT_MESSAGES,
        default_prompts: Mapping[str, str] | None = None,
    ) -> None:
        self._client = client
        self._pool = pool
        self._pricing = pricing
        self._max_chars = complaint_max_chars
        self._history = chat_history_limit
        self._defaults = default_prompts

    @property
    def lease_ttl(self) -> timedelta:
        """How long a drafting job's lease lasts with this client's timeouts and retries."""
        return lease_ttl(self._client.config)

    async def _settings(self, store: StoreInfo, settings: SettingsArg) -> UserSettingsRow | None:
        if isinstance(settings, _Load):
            return await get_user_settings(self._pool, store.owner_id)
        return settings

    def _pair(self, call: _Call, user_message: str) -> PromptPair:
        resolved = resolve_system_prompt(call.task, call.settings, call.store, self._defaults)
        return PromptPair(resolved.text, user_message, resolved.source)

    async def _log(
        self,
        call: _Call,
        pair: PromptPair,
        attempt: int,
        *,
        completion: Completion | None,
        cost: Decimal | None,
        error: str | None,
        duration_ms: int,
        http_attempts: int,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        metadata: dict[str, Any] = {
            "task": call.task,
            "attempt": attempt,
            "http_attempts": http_attempts,
            "duration_ms": duration_ms,
            "prompt_source": pair.source,
            "json_mode": call.json_mode,
            "key": "owner" if call.settings and call.settings.has_deepseek_key else "operator",
        }
        if completion is not None:
            metadata["prompt_tokens"] = completion.prompt_tokens
            metadata["completion_tokens"] = completion.completion_tokens
            metadata["finish_reason"] = completion.finish_reason
        if extra:
            metadata.update(extra)
        metrics.LLM_CALLS.labels(call.task, "error" if error else "ok").inc()
        if cost:
            metrics.LLM_COST.labels(call.task).inc(float(cost))
        await insert_ai_log(
            self._pool,
            store_id=call.store.id,
            owner_id=call.store.owner_id,
            entity_type=call.entity_type,
            entity_id=call.entity_id,
            action=call.action,
            model=completion.model if completion else self._client.model,
            prompt=pair.as_log_text(),
            response=completion.content if completion else None,
            tokens_used=completion.total_tokens if completion else None,
            cost=cost,
            error=error,
            metadata=metadata,
        )

    async def _check_budget(self, call: _Call) -> None:
        """Refuse a paid call once the owner's month reached their cap (a short query)."""
        cap = call.settings.ai_monthly_cap_usd if call.settings else None
        if cap is None:
            return
        now = datetime.now(UTC)
        spent = await month_spend(self._pool, call.store.owner_id, month_start(now))
        if spent >= cap:
            raise AIBudgetExceeded(spent, cap)

    async def _complete(self, call: _Call, pair: PromptPair, attempt: int) -> Completion:
        """One logical call; a failed one is logged before the error propagates."""
        settings = call.settings
        if settings is not None and "deepseek_api_key" in settings.unreadable_keys:
            raise AIConfigError(KEY_UNREADABLE)
        await self._check_budget(call)
        try:
            return await self._client.complete(
                pair.messages(),
                owner_id=call.store.owner_id,
                owner_api_key=settings.deepseek_api_key if settings else None,
                concurrency=settings.effective_concurrency if settings else None,
                json_mode=call.json_mode,
                temperature=call.temperature,
                max_tokens=call.max_tokens,
            )
        except AICallError as exc:
            await self._log(
                call,
                pair,
                attempt,
                completion=None,
                cost=None,
                error=str(exc),
                duration_ms=exc.duration_ms,
                http_attempts=exc.attempts,
                extra={"error_kind": exc.kind, "status": exc.status},
            )
            raise

    async def _validated(
        self,
        call: _Call,
        pair: PromptPair,
        parse: Callable[[str], T | Invalid],
        retry_hint: str,
    ) -> tuple[T, _Totals, int]:
        """Up to two calls until `parse` accepts the output; else AIInvalidOutput."""
        totals = _Totals()
        error = ""
        for attempt in (1, 2):
            completion = await self._complete(call, pair, attempt)
            cost = self._pricing.cost(completion.prompt_tokens, completion.completion_tokens)
            totals.add(completion, cost)
            parsed = (
                parse(completion.content)
                if completion.content.strip()
                else Invalid("empty response")
            )
            error = parsed.reason if isinstance(parsed, Invalid) else ""
            await self._log(
                call,
                pair,
                attempt,
                completion=completion,
                cost=cost,
                error=f"invalid_output: {error}" if error else None,
                duration_ms=completion.duration_ms,
                http_attempts=completion.attempts,
            )
            if not isinstance(parsed, Invalid):
                return parsed, totals, attempt
            pair = PromptPair(
                pair.system,
                pair.user,
                pair.source,
                [
                    *pair.extra,
                    {"role": "assistant", "content": completion.content},
                    {"role": "user", "content": f"Ответ не принят: {error}. {retry_hint}"},
                ],
            )
        raise AIInvalidOutput(error, attempts=2)

    # --- complaints ------------------------------------------------------------------------

    async def draft_complaint(
        self,
        *,
        store: StoreInfo,
        product: ProductInfo,
        review: ReviewInfo,
        settings: SettingsArg = LOAD_SETTINGS,
    ) -> ComplaintDraft:
        """A complaint draft for one review (templates for star-only reviews at 1-3)."""
        if needs_template(review):
            reason_id, text = template_for(review.id)
            return ComplaintDraft(
                reason_id=reason_id,
                reason_name=COMPLAINT_REASONS[reason_id],
                text=text,
                prompt_tokens=0,
                completion_tokens=0,
                total_tokens=0,
                cost_usd=ZERO_COST,
                duration_ms=0,
                model=TEMPLATE_MODEL,
                from_template=True,
                attempts=0,
            )
        call = _Call(
            store=store,
            settings=await self._settings(store, settings),
            entity_type="review",
            entity_id=review.id,
            action="generate_complaint",
            task="review_complaint",
            json_mode=True,
            temperature=self.complaint_temperature,
            max_tokens=1024,
        )
        pair = self._pair(call, complaint_user_message(product, review))
        parsed, totals, attempts = await self._validated(
            call,
            pair,
            lambda content: parse_complaint(
                content, max_chars=self._max_chars, rating=review.rating
            ),
            'Ответь заново только JSON-объектом {"reason_id": <11-20>, "reason_name": "...",'
            ' "complaint_text": "..."} по правилам выше.',
        )
        return ComplaintDraft(
            reason_id=parsed.reason_id,
            reason_name=parsed.reason_name,
            text=parsed.text,
            prompt_tokens=totals.prompt_tokens,
            completion_tokens=totals.completion_tokens,
            total_tokens=totals.total_tokens,
            cost_usd=totals.cost,
            duration_ms=totals.duration_ms,
            model=totals.model,
            from_template=False,
            truncated=parsed.truncated,
            attempts=attempts,
        )

    # --- replies ---------------------------------------------------------------------------

    async def _reply(
        self,
        call: _Call,
        user_message: str,
        *,
        channel: Channel,
        rating: int | None,
        product: ProductInfo,
        seller_has_written: bool = False,
    ) -> ReplyDraft:
        rules = product.rules
        allowed = compensation_allowed(rules, rating)
        max_comp = rules.max_compensation if rules else None
        pair = self._pair(call, user_message)
        totals = _Totals()
        text = ""
        result = GuardResult(ok=False, problems=["empty"])
        for attempt in (1, 2):
            completion = await self._complete(call, pair, attempt)
            cost = self._pricing.cost(completion.prompt_tokens, completion.completion_tokens)
            totals.add(completion, cost)
            text = clean_text(completion.content)
            result = check_text(
                text,
                channel=channel,
                rating=rating,
                compensation_allowed=allowed,
                max_compensation=max_comp,
                seller_has_written=seller_has_written,
                other_language=asks_other_language(call.store.ai_instructions),
            )
            text = result.text  # what the guard read is what is stored and sent
            await self._log(
                call,
                pair,
                attempt,
                completion=completion,
                cost=cost,
                error=None if result.ok else "guard: " + ", ".join(result.problems),
                duration_ms=completion.duration_ms,
                http_attempts=completion.attempts,
                extra={"guard_problems": result.problems, "guard_warnings": result.warnings},
            )
            if result.ok:
                break
            pair = PromptPair(
                pair.system,
                pair.user,
                pair.source,
                [
                    *pair.extra,
                    {"role": "assistant", "content": completion.content},
                    {
                        "role": "user",
                        "content": "Текст нарушает правила: "
                        + "; ".join(result.describe())
                        + ". Перепиши его без этих нарушений, ответь только новым текстом.",
                    },
                ],
            )
        return ReplyDraft(
            text=text,
            problems=list(result.problems),
            warnings=list(result.warnings),
            prompt_tokens=totals.prompt_tokens,
            completion_tokens=totals.completion_tokens,
            total_tokens=totals.total_tokens,
            cost_usd=totals.cost,
            duration_ms=totals.duration_ms,
            model=totals.model,
            attempts=totals.calls,
        )

    def _reply_call(
        self,
        store: StoreInfo,
        settings: UserSettingsRow | None,
        entity: Literal["review", "question"],
        entity_id: str,
    ) -> _Call:
        """A review or question reply: plain text, the reply temperature, the same length cap."""
        return _Call(
            store=store,
            settings=settings,
            entity_type=entity,
            entity_id=entity_id,
            action=f"generate_{entity}_reply",
            task="review_reply" if entity == "review" else "question_reply",
            json_mode=False,
            temperature=self.reply_temperature,
            max_tokens=800,
        )

    async def draft_review_reply(
        self,
        *,
        store: StoreInfo,
        product: ProductInfo,
        review: ReviewInfo,
        settings: SettingsArg = LOAD_SETTINGS,
        avoid: Sequence[str] = (),
    ) -> ReplyDraft:
        call = self._reply_call(store, await self._settings(store, settings), "review", review.id)
        return await self._reply(
            call,
            review_reply_user_message(product, review, avoid),
            channel="review_reply",
            rating=review.rating,
            product=product,
        )

    async def draft_question_reply(
        self,
        *,
        store: StoreInfo,
        product: ProductInfo,
        question: QuestionInfo,
        settings: SettingsArg = LOAD_SETTINGS,
    ) -> ReplyDraft:
        call = self._reply_call(
            store, await self._settings(store, settings), "question", question.id
        )
        return await self._reply(
            call,
            question_user_message(product, question),
            channel="question_reply",
            rating=None,
            product=product,
        )

    async def draft_chat_reply(
        self,
        *,
        store: StoreInfo,
        product: ProductInfo,
        chat: ChatInfo,
        settings: SettingsArg = LOAD_SETTINGS,
    ) -> ReplyDraft:
        return await self._chat_reply(
            "chat_reply", "generate_chat_reply", store, product, chat, settings
        )

    async def draft_deletion_offer(
        self,
        *,
        store: StoreInfo,
        product: ProductInfo,
        chat: ChatInfo,
        settings: SettingsArg = LOAD_SETTINGS,
    ) -> ReplyDraft:
        return await self._chat_reply(
            "deletion_offer", "generate_deletion_offer", store, product, chat, settings
        )

    async def _chat_reply(
        self,
        task: Literal["chat_reply", "deletion_offer"],
        action: str,
        store: StoreInfo,
        product: ProductInfo,
        chat: ChatInfo,
        settings: SettingsArg,
    ) -> ReplyDraft:
        """A message into a buyer chat: both tasks differ only in prompt and log action."""
        call = _Call(
            store=store,
            settings=await self._settings(store, settings),
            entity_type="chat",
            entity_id=chat.id,
            action=action,
            task=task,
            json_mode=False,
            temperature=self.reply_temperature,
            max_tokens=500,
        )
        return await self._reply(
            call,
            chat_user_message(task, product, chat, self._history),
            channel="chat",
            rating=chat.review.rating if chat.review else None,
            product=product,
            seller_has_written=chat.seller_has_written,
        )

    # --- chat tags -------------------------------------------------------------------------

    async def classify_chat_tag(
        self,
        *,
        store: StoreInfo,
        product: ProductInfo,
        chat: ChatInfo,
        deletion: bool = False,
        settings: SettingsArg = LOAD_SETTINGS,
    ) -> ChatTagResult:
        """One of the 12 tags; `deletion=True` uses the deletion-funnel prompt."""
        task: Literal["chat_tag", "chat_deletion_tag"] = (
            "chat_deletion_tag" if deletion else "chat_tag"
        )
        call = _Call(
            store=store,
            settings=await self._settings(store, settings),
            entity_type="chat",
            entity_id=chat.id,
            action="classify_chat",
            task=task,
            json_mode=True,
            temperature=self.tag_temperature,
            max_tokens=50,
        )
        pair = self._pair(call, chat_user_message(task, product, chat, self._history))
        tag: ChatTag
        tag, totals, attempts = await self._validated(
            call,
            pair,
            parse_tag,
            'Ответь заново только JSON-объектом {"tag": "<тег из списка>"}.',
        )
        return ChatTagResult(
            tag=tag,
            prompt_tokens=totals.prompt_tokens,
            completion_tokens=totals.completion_tokens,
            total_tokens=totals.total_tokens,
            cost_usd=totals.cost,
            duration_ms=totals.duration_ms,
            model=totals.model,
            attempts=attempts,
        )
