"""WBClient against the WB emulator (tests/fakes/wb): every method, every error class, limits.

Limits run scaled on both sides (client ``LimitsConfig.scale`` = emulator ``limit_scale``),
so WB's real proportions hold while a test takes a fraction of a second.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from services.wb.client import RetryPolicy, StoreTokens, WBClient, WBUrls
from services.wb.errors import (
    WBAuthError,
    WBBadResponse,
    WBRateLimited,
    WBRequestError,
    WBServerError,
    WBTimeout,
)
from services.wb.limits import (
    LimitsConfig,
    MemoryRateLimiter,
    NoRateLimiter,
    RateLimiter,
    RedisRateLimiter,
)
from services.wb.models import (
    CardsCursor,
    ChatEvent,
    DownloadedFile,
)
from tests.fakes.wb import WBEmulator, generate_shop

SCALE = 50.0
FAST = RetryPolicy(max_attempts=3, base_backoff=0.001, max_backoff=0.01, max_rate_limit_wait=2.0)
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64

MakeClient = Callable[..., WBClient]


@pytest.fixture
async def wb() -> AsyncIterator[WBEmulator]:
    shop = generate_shop(7, reviews=300, products=23, questions=60, chats=12)
    async with WBEmulator(shop) as emulator:
        emulator.config.limit_scale = SCALE
        emulator.config.fractional_limit_headers = True
        yield emulator


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(2.0)) as client:
        yield client


@pytest.fixture
def make(wb: WBEmulator, http: httpx.AsyncClient) -> MakeClient:
    def build(
        tokens: StoreTokens | str | None = None,
        *,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy = FAST,
        client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> WBClient:
        if tokens is None:
            tokens = wb.token()
        if isinstance(tokens, str):
            tokens = StoreTokens(tokens)
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        return WBClient(
            tokens,
            urls=WBUrls.from_mapping(wb.urls),
            http=client or http,
            limiter=limiter or MemoryRateLimiter(LimitsConfig(scale=SCALE)),
            retry=retry,
            **extra,
        )

    return build


# --- every method ---------------------------------------------------------------------------


async def test_ping_and_seller_info(wb: WBEmulator, make: MakeClient) -> None:
    client = make()
    for host in ("feedbacks", "chat", "content", "common", "prices"):
        assert (await client.ping(host)).status == "OK"
    info = await client.seller_info()
    assert info.sid == wb.state.sid and info.name


async def test_feedback_reads(wb: WBEmulator, make: MakeClient) -> None:
    client = make()
    unanswered = await client.list_feedbacks(False, 50, 0, order="dateDesc")
    answered = await client.list_feedbacks(True, 50, 0, order="dateAsc")
    assert unanswered.feedbacks and answered.feedbacks
    assert all(f.answer is None for f in unanswered.feedbacks)
    assert all(f.answer is not None for f in answered.feedbacks)
    dates = [f.created_date for f in answered.feedbacks]
    assert dates == sorted(dates)
    assert await client.count_feedbacks(False) == unanswered.count_unanswered
    assert await client.count_feedbacks(True) >= len(answered.feedbacks)
    counts = await client.count_unanswered_feedbacks()
    assert counts.count_unanswered == unanswered.count_unanswered

    one = answered.feedbacks[3]
    again = await client.get_feedback(one.id)
    assert again.id == one.id and again.raw == one.raw
    by_nm = await client.list_feedbacks(True, 50, 0, nm_id=one.product_details.nm_id)
    assert {f.product_details.nm_id for f in by_nm.feedbacks} == {one.product_details.nm_id}
    window = await client.list_feedbacks(
        True,
        100,
        0,
        date_from=one.created_date - timedelta(seconds=1),
        date_to=one.created_date + timedelta(seconds=1),
    )
    assert one.id in {f.id for f in window.feedbacks}

    archive = await client.list_archived_feedbacks(40, 0)
    assert archive.feedbacks
    newest_first = [f.created_date for f in archive.feedbacks]
    assert newest_first == sorted(newest_first, reverse=True)


async def test_feedback_answer_and_edit(wb: WBEmulator, make: MakeClient) -> None:
    client = make()
    target = (await client.list_feedbacks(False, 1, 0)).feedbacks[0]
    await client.answer_feedback(target.id, "Спасибо за отзыв!")
    assert wb.stats.feedback_answers == [(wb.state.sid, target.id, "Спасибо за отзыв!")]
    answered = await client.get_feedback(target.id)
    assert answered.answer is not None and answered.answer.text == "Спасибо за отзыв!"
    await client.edit_feedback_answer(target.id, "Спасибо! Мы уже разбираемся.")
    assert wb.stats.feedback_edits == [(wb.state.sid, target.id, "Спасибо! Мы уже разбираемся.")]


async def test_questions(wb: WBEmulator, make: MakeClient) -> None:
    client = make()
    open_q = await client.list_questions(False, 100, 0)
    assert open_q.questions and open_q.count_unanswered == len(open_q.questions)
    assert await client.count_questions(False) == open_q.count_unanswered
    assert (await client.count_unanswered_questions()).count_unanswered == open_q.count_unanswered
    first, second = open_q.questions[:2]
    assert (await client.get_question(first.id)).id == first.id
    await client.mark_question_viewed(first.id)
    await client.answer_question(first.id, "Да, размер соответствует.")
    await client.reject_question(second.id, "Вопрос не о товаре")
    kinds = [
        (qid, body.get("state"), body.get("wasViewed"))
        for _, qid, body in wb.stats.question_patches
    ]
    assert kinds == [(first.id, None, True), (first.id, "wbRu", None), (second.id, "none", None)]
    assert (await client.get_question(first.id)).state == "wbRu"
    answered = await client.list_questions(True, 50, 0)
    assert first.id in {q.id for q in answered.questions}


async def test_chats_events_send_and_download(wb: WBEmulator, make: MakeClient) -> None:
    wb.config.events_page_size = 7
    client = make()
    chats = await client.list_chats()
    assert len(chats) == 12 and all(c.reply_sign for c in chats)

    events: list[ChatEvent] = []
    page = await client.get_events()
    while not page.done:
        events.extend(page.events)
        assert page.next is not None
        page = await client.get_events(page.next)
    assert len({e.event_id for e in events}) == len(events) == len(wb.state.events)
    cursor = page.next

    result = await client.send_message(
        chats[0].reply_sign,
        "Здравствуйте! Чек во вложении.",
        files=[("check.png", PNG, "image/png")],
    )
    assert result.chat_id == chats[0].chat_id and result.add_time and result.errors == []
    assert wb.stats.messages_sent[-1][1:] == (chats[0].chat_id, "Здравствуйте! Чек во вложении.")
    fresh = await client.get_events(cursor)
    mine = [e for e in fresh.events if e.sender == "seller"]
    assert mine and mine[-1].message is not None and mine[-1].message.attachments is not None
    sent_image = mine[-1].message.attachments.images or mine[-1].message.attachments.files
    assert sent_image

    ids: list[str] = []
    for e in events:
        if e.message is None or e.message.attachments is None:
            continue
        ids += [f.download_id for f in e.message.attachments.files if f.download_id]
        ids += [i.download_id for i in e.message.attachments.images if i.download_id]
    results = [await client.download_file(i) for i in ids]
    kinds = {type(r).__name__ for r in results}
    assert {"DownloadedFile", "DownloadPending", "DownloadRejected"} <= kinds
    got = next(r for r in results if isinstance(r, DownloadedFile))
    assert got.content and got.content_type in {"image/jpeg", "image/png", "application/pdf"}


async def test_cards_paging(wb: WBEmulator, make: MakeClient) -> None:
    client = make()
    seen: list[int] = []
    cursor: CardsCursor | None = None
    while True:
        page = await client.list_cards(5, cursor)
        seen.extend(c.nm_id for c in page.cards)
        for card in page.cards:
            assert card.raw["nmID"] == card.nm_id and "photos" in card.raw
        if page.is_last(5):
            break
        cursor = page.cursor
    assert len(seen) == len(set(seen)) == len(wb.state.cards)


async def test_prices_paging(wb: WBEmulator, make: MakeClient) -> None:
    client = make()
    seen: list[int] = []
    offset = 0
    while goods := await client.list_prices(10, offset):
        seen.extend(g.nm_id for g in goods)
        offset += 10
    assert sorted(seen) == sorted(wb.state.prices)
    one = await client.list_prices(10, 0, nm_id=seen[0])
    assert [g.nm_id for g in one] == [seen[0]]


# --- auth errors ----------------------------------------------------------------------------


async def test_expired_token(wb: WBEmulator, make: MakeClient) -> None:
    token = wb.token(expires_at=datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(WBAuthError) as exc_info:
        await make(token).list_feedbacks(False, 10, 0)
    assert exc_info.value.reason == "token expired"
    assert token not in str(exc_info.value) and token not in repr(exc_info.value)
    assert wb.stats.paths["GET /feedbacks/api/v1/feedbacks"] == 1  # not retried


@pytest.mark.parametrize("scope_status", [401, 403])
async def test_missing_chat_category(wb: WBEmulator, make: MakeClient, scope_status: int) -> None:
    wb.config.scope_error_status = scope_status
    client = make(wb.token(categories=("feedbacks", "content")))
    with pytest.raises(WBAuthError) as exc_info:
        await client.list_chats()
    assert exc_info.value.reason == "token has no chat category"
    assert exc_info.value.status == scope_status


async def test_category_token_fixes_missing_category(wb: WBEmulator, make: MakeClient) -> None:
    tokens = StoreTokens(wb.token(categories=("prices",)), chat=wb.token(categories=("chat",)))
    assert await make(tokens).list_chats()


async def test_read_only_token_cannot_answer(wb: WBEmulator, make: MakeClient) -> None:
    client = make(wb.token(read_only=True))
    target = (await client.list_feedbacks(False, 1, 0)).feedbacks[0]  # reads work
    with pytest.raises(WBAuthError) as exc_info:
        await client.answer_feedback(target.id, "Спасибо!")
    assert exc_info.value.reason == "read-only token"
    assert wb.stats.feedback_answers == []


async def test_malformed_and_test_tokens(wb: WBEmulator, make: MakeClient) -> None:
    with pytest.raises(WBAuthError) as exc_info:
        await make("definitely-not-a-jwt").ping("feedbacks")
    assert exc_info.value.reason == "token is malformed"
    with pytest.raises(WBAuthError) as exc_info:
        await make(wb.token(acc=2)).ping("feedbacks")
    assert exc_info.value.reason == "test token works only on sandbox hosts"


# --- 429, 5xx, timeouts, bodies -------------------------------------------------------------


async def test_429_honours_x_ratelimit_retry(wb: WBEmulator, make: MakeClient) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(seconds)

    wb.faults.burst_429 = 1
    client = make(sleep=sleep)
    assert await client.count_feedbacks(False) >= 0
    # forced 429 on feedbacks: retry = 1 / (3 req/s * SCALE), sent as "0.007"
    assert slept == [pytest.approx(0.007)]
    assert wb.stats.throttled["feedbacks"] == 1
    assert wb.stats.paths["GET /feedbacks/api/v1/feedbacks/count"] == 2


async def test_429_forever_raises_rate_limited(wb: WBEmulator, make: MakeClient) -> None:
    wb.faults.burst_429 = 100
    with pytest.raises(WBRateLimited) as exc_info:
        await make().list_chats()
    assert exc_info.value.retry_after == pytest.approx(0.02)  # 1 / (1 req/s * SCALE)
    assert wb.stats.throttled["chat"] == 3


async def test_500s_retried_then_success(wb: WBEmulator, make: MakeClient) -> None:
    wb.faults.error_rate = 0.6
    wb.faults.reseed(3)
    client = make(retry=RetryPolicy(max_attempts=12, base_backoff=0.001, max_backoff=0.005))
    for _ in range(5):
        assert (await client.list_questions(False, 5, 0)).questions
    assert wb.stats.faults["error"] >= 2


async def test_500s_forever(wb: WBEmulator, make: MakeClient) -> None:
    wb.faults.error_rate = 1.0
    with pytest.raises(WBServerError) as exc_info:
        await make().list_cards(10)
    assert exc_info.value.attempts == 3 and exc_info.value.status == 500
    assert "POST /content/v2/get/cards/list" in str(exc_info.value)
    assert wb.stats.faults["error"] == 3


async def test_send_retried_after_500(wb: WBEmulator, make: MakeClient) -> None:
    chat = (await make().list_chats())[0]
    wb.faults.error_rate = 0.5
    wb.faults.path_prefix = "/chat/api/v1/seller/message"
    wb.faults.reseed(1)
    client = make(retry=RetryPolicy(max_attempts=10, base_backoff=0.001, max_backoff=0.005))
    for i in range(4):
        await client.send_message(chat.reply_sign, f"Сообщение {i}")
    assert [m[2] for m in wb.stats.messages_sent] == [f"Сообщение {i}" for i in range(4)]
    assert wb.stats.faults["error"] >= 1


async def test_timeouts(wb: WBEmulator, make: MakeClient) -> None:
    wb.faults.hang_rate = 1.0
    wb.faults.hang_seconds = 5.0
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.15)) as short:
        reads = make(client=short)
        started = time.monotonic()
        with pytest.raises(WBTimeout) as exc_info:
            await reads.count_unanswered_feedbacks()
        assert exc_info.value.attempts == 3 and not exc_info.value.outcome_unknown
        assert wb.stats.faults["hang"] == 3
        assert time.monotonic() - started < 2.0

        with pytest.raises(WBTimeout) as send_info:
            await reads.answer_feedback("someFeedbackId", "Спасибо за отзыв!")
        assert send_info.value.outcome_unknown  # a send is never repeated after a timeout
        assert wb.stats.faults["hang"] == 4


async def test_malformed_json_names_the_endpoint(wb: WBEmulator, make: MakeClient) -> None:
    wb.faults.malformed_rate = 1.0
    with pytest.raises(WBBadResponse) as exc_info:
        await make().list_feedbacks(False, 10, 0)
    assert "GET /api/v1/feedbacks" in str(exc_info.value)
    assert exc_info.value.endpoint == "GET /api/v1/feedbacks"


# --- limits ---------------------------------------------------------------------------------


async def _full_sync(client: WBClient) -> int:
    """What a store sync does: every list paged to the end, the kinds side by side."""

    async def feedbacks() -> int:
        n = 0
        for answered in (False, True):
            skip = 0
            while page := (await client.list_feedbacks(answered, 10, skip)).feedbacks:
                n += 1
                skip += len(page)
        skip = 0
        while page := (await client.list_archived_feedbacks(25, skip)).feedbacks:
            n += 1
            skip += len(page)
        return n

    async def questions() -> int:
        n = 0
        for answered in (False, True):
            skip = 0
            while page := (await client.list_questions(answered, 10, skip)).questions:
                n += 1
                skip += len(page)
        return n

    async def chats() -> int:
        await client.list_chats()
        n, page = 1, await client.get_events()
        while not page.done:
            page = await client.get_events(page.next)
            n += 1
        return n

    async def cards() -> int:
        n, cursor = 0, None
        while True:
            page = await client.list_cards(2, cursor)
            n += 1
            if page.is_last(2):
                return n
            cursor = page.cursor

    async def prices() -> int:
        n, offset = 0, 0
        while await client.list_prices(2, offset):
            n += 1
            offset += 2
        return n + 1

    counts = await asyncio.gather(feedbacks(), questions(), chats(), cards(), prices())
    return sum(counts)


async def test_no_429_in_a_normal_sync_with_real_limits(wb: WBEmulator, make: MakeClient) -> None:
    wb.config.events_page_size = 5
    await _full_sync(make())
    assert sum(wb.stats.throttled.values()) == 0
    # every group went well past its burst, so the pacing was exercised
    assert wb.stats.requests["feedbacks"] > 40
    assert wb.stats.requests["chat"] > 10
    assert wb.stats.requests["content"] > 10
    assert wb.stats.requests["prices"] > 10


@pytest.fixture
async def redis_limiters() -> AsyncIterator[Callable[[], RedisRateLimiter]]:
    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.ping()
    except Exception as exc:  # pragma: no cover - depends on the machine
        await redis.aclose()
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    prefix = f"wbrep-test:rl:{uuid.uuid4().hex}"
    # 80% of the emulator's budget each: still double the budget if the two did not share it,
    # and room for the scheduling jitter of a loaded CI machine (arrivals bunch up).
    yield lambda: RedisRateLimiter(redis, LimitsConfig(scale=SCALE * 0.8), prefix=prefix)
    keys = [k async for k in redis.scan_iter(match=f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def test_two_instances_share_the_budget_through_redis(
    wb: WBEmulator, make: MakeClient, redis_limiters: Callable[[], RedisRateLimiter]
) -> None:
    """Two bot instances (own clients, own limiter objects) syncing one seller at once."""
    wb.config.events_page_size = 5
    token = wb.token()
    first = make(token, limiter=redis_limiters())
    second = make(token, limiter=redis_limiters())
    await asyncio.gather(_full_sync(first), _full_sync(second))
    assert sum(wb.stats.throttled.values()) == 0


async def test_separate_memory_limiters_do_overrun(wb: WBEmulator, make: MakeClient) -> None:
    """The contrast: without a shared limiter two instances exceed the seller's budget."""
    token = wb.token()
    retry = RetryPolicy(max_attempts=10, base_backoff=0.001, max_backoff=0.01)
    first = make(token, retry=retry)
    second = make(token, retry=retry)
    await asyncio.gather(
        *(c.list_feedbacks(False, 5, 0) for c in (first, second) for _ in range(6))
    )
    assert wb.stats.throttled["feedbacks"] > 0


async def test_base_token_slot_too_far_is_refused_locally(wb: WBEmulator, make: MakeClient) -> None:
    limiter = MemoryRateLimiter(LimitsConfig(max_wait=30.0))  # real, unscaled WB limits
    client = make(wb.token(acc=1), limiter=limiter)
    assert await client.count_feedbacks(False) >= 0
    with pytest.raises(WBRateLimited) as exc_info:
        await client.count_feedbacks(False)
    assert exc_info.value.local and exc_info.value.retry_after > 700
    assert wb.stats.requests["feedbacks"] == 1  # the second call never left


async def test_without_client_limits_the_emulator_throttles(
    wb: WBEmulator, make: MakeClient
) -> None:
    """Proof the emulator enforces limits in these tests (so the no-429 test means something)."""
    client = make(limiter=NoRateLimiter(), retry=RetryPolicy(max_attempts=1))
    results = await asyncio.gather(
        *(client.count_feedbacks(False) for _ in range(10)), return_exceptions=True
    )
    assert any(isinstance(r, WBRateLimited) for r in results)


@pytest.mark.parametrize(
    ("status", "error"), [(401, WBAuthError), (404, WBRequestError), (400, WBRequestError)]
)
async def test_an_html_error_page_becomes_its_status(
    wb: WBEmulator, make: MakeClient, status: int, error: type[Exception]
) -> None:
    """A proxy's HTML page carries no words of WB's: the error says the status, no markup."""
    wb.faults.html_pages, wb.faults.html_status = 1, status
    with pytest.raises(error) as exc_info:
        await make().list_feedbacks(False, 10, 0)
    text = str(exc_info.value)
    assert text.endswith(f"HTTP {status}") and "<" not in text and "nginx" not in text
    if isinstance(exc_info.value, WBAuthError):
        assert exc_info.value.reason == "HTTP 401"
