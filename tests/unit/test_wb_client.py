"""WBClient request building and error mapping, against scripted httpx transports.

The emulator tests (tests/integration/test_wb_client_emulator.py) cover the same client against
a WB-like server; these pin down the exact retry and error rules deterministically.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from services.wb.client import RetryPolicy, StoreTokens, WBClient, WBUrls
from services.wb.errors import (
    WBAuthError,
    WBBadResponse,
    WBError,
    WBNetworkError,
    WBRateLimited,
    WBRequestError,
    WBServerError,
    WBTimeout,
)
from services.wb.limits import LimitsConfig, MemoryRateLimiter, NoRateLimiter, RateLimiter
from services.wb.models import CardsCursor, DownloadedFile, DownloadPending, DownloadRejected
from tests.fakes.wb.tokens import make_token

SID = "11111111-2222-4333-8444-555555555555"
TOKEN = make_token(SID)
URLS = WBUrls(
    feedbacks="http://wb.test/feedbacks",
    chat="http://wb.test/chat",
    content="http://wb.test/content",
    common="http://wb.test/common",
    prices="http://wb.test/prices",
)
FAST = RetryPolicy(max_attempts=3, base_backoff=0.001, max_backoff=0.004, max_rate_limit_wait=5)

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A scripted transport: answers from a list (last one repeats) and keeps requests."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def ok(data: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"data": data, "error": False, "errorText": ""})


def problem(status: int, detail: str, **headers: str) -> httpx.Response:
    body = {"title": "x", "detail": detail, "status": status, "origin": "s2s-api-auth-catalog"}
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"Content-Type": "text/plain", **headers}
    )


FEEDBACK = {
    "id": "YX52RZEBhH9mrcYdEJuD",
    "text": "ok",
    "pros": "",
    "cons": "",
    "productValuation": 4,
    "createdDate": "2024-09-26T10:20:48+03:00",
    "answer": None,
    "state": "none",
    "productDetails": {"nmId": 1, "imtId": 2, "productName": "P", "supplierArticle": None},
    "photoLinks": None,
    "video": None,
    "wasViewed": False,
    "userName": "A",
}


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., tuple[WBClient, Recorder, Sleeps]]]:
    opened: list[httpx.AsyncClient] = []

    def build(
        *answers: httpx.Response | Exception | Handler,
        tokens: StoreTokens | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy = FAST,
    ) -> tuple[WBClient, Recorder, Sleeps]:
        rec = Recorder(*answers)
        http = httpx.AsyncClient(transport=httpx.MockTransport(rec), timeout=2.0)
        opened.append(http)
        sleeps = Sleeps()
        client = WBClient(
            tokens or StoreTokens(TOKEN),
            urls=URLS,
            http=http,
            limiter=limiter or NoRateLimiter(),
            retry=retry,
            sleep=sleeps,
        )
        return client, rec, sleeps

    yield build
    for http in opened:
        await http.aclose()


Build = Callable[..., tuple[WBClient, Recorder, Sleeps]]


def no_token_in(err: WBError, *tokens: str) -> None:
    for token in tokens:
        assert token not in str(err)
        assert token not in repr(err)
        assert token.split(".")[1] not in str(err)


# --- requests -------------------------------------------------------------------------------


async def test_list_feedbacks_request_and_parse(make_client: Build) -> None:
    data = {"countUnanswered": 3, "countArchive": 7, "feedbacks": [FEEDBACK]}
    client, rec, _ = make_client(ok(data))
    page = await client.list_feedbacks(False, 100, 0, nm_id=5, order="dateAsc", date_from=10)
    req = rec.requests[0]
    assert req.url.path == "/feedbacks/api/v1/feedbacks"
    assert dict(req.url.params) == {
        "isAnswered": "false",
        "take": "100",
        "skip": "0",
        "nmId": "5",
        "order": "dateAsc",
        "dateFrom": "10",
    }
    assert req.headers["Authorization"] == f"Bearer {TOKEN}"
    assert page.count_unanswered == 3
    assert page.feedbacks[0].raw == FEEDBACK
    assert page.feedbacks[0].product_details.supplier_article is None


async def test_feedback_records_match_the_full_models(make_client: Build) -> None:
    """Sync's lean read gives the rows the full `Feedback` gives, raw JSON included."""
    from services.sync.reviews import feedback_row, stage_rows

    answered = {
        **FEEDBACK,
        "id": "b",
        "text": None,
        "answer": {"text": " thanks ", "state": "wbRu", "editable": False, "x": [1]},
        "photoLinks": [{"fullSize": "f", "miniSize": "m", "extra": 1}],
        "video": {"previewImage": "p", "link": "l", "durationSec": 3},
        "supplierFeedbackValuation": 2,
        "productDetails": {"nmId": 7, "productName": None, "supplierArticle": "A-1"},
    }
    blank = {**FEEDBACK, "id": "c", "answer": {"text": None}, "photoLinks": []}
    empty = {**FEEDBACK, "id": "d", "answer": {}}
    data = {"countUnanswered": 1, "feedbacks": [FEEDBACK, answered, blank, empty]}
    client, rec, _ = make_client(ok(data), ok(data), ok(data), ok(data))
    full = await client.list_feedbacks(True, 10, 0, order="dateAsc")
    lean = await client.list_feedback_records(True, 10, 0, order="dateAsc")
    full_archive = await client.list_archived_feedbacks(10, 0)
    lean_archive = await client.list_archived_feedback_records(10, 0)
    assert rec.requests[0].url.params == rec.requests[1].url.params
    assert rec.requests[2].url.params == rec.requests[3].url.params
    for a, b in ((full, lean), (full_archive, lean_archive)):
        old = [feedback_row(f) for f in a.feedbacks]
        new = stage_rows(b)
        assert [r[:10] + r[13:] for r in old] == [r[:10] + r[13:] for r in new]
        for x, y in zip(old, new, strict=True):  # JSON text may differ in spacing only
            assert [None if v is None else json.loads(v) for v in x[10:13]] == [
                None if v is None else json.loads(v) for v in y[10:13]
            ]
    assert [r[15] for r in stage_rows(lean)] == [False, True, False, False]


@pytest.mark.parametrize(
    ("patch", "where"),
    [
        ({"answer": "yes"}, "feedbacks.0.answer"),
        ({"photoLinks": [{"fullSize": 5}]}, "feedbacks.0.photoLinks.0.fullSize"),
        ({"video": {"durationSec": "long"}}, "feedbacks.0.video.durationSec"),
        ({"productValuation": "five"}, "feedbacks.0.productValuation"),
    ],
)
async def test_feedback_records_check_the_stored_fields(
    make_client: Build, patch: dict[str, Any], where: str
) -> None:
    items = [{**FEEDBACK, "id": "z"}, {**FEEDBACK, **patch}]
    client, _, _ = make_client(ok({"feedbacks": items[1:]}))
    with pytest.raises(WBBadResponse) as exc_info:
        await client.list_feedback_records(True, 10, 0)
    assert where in str(exc_info.value)


async def test_feedback_records_without_a_page_are_a_bad_response(make_client: Build) -> None:
    client, _, _ = make_client(ok(None), ok([1]))
    with pytest.raises(WBBadResponse, match="feedbacks page at data: got NoneType"):
        await client.list_feedback_records(True, 10, 0)
    with pytest.raises(WBBadResponse, match="feedbacks page at data"):
        await client.list_archived_feedback_records(10, 0)


async def test_feedback_records_error_envelope(make_client: Build) -> None:
    body = {"data": None, "error": True, "errorText": "bad skip"}
    client, _, _ = make_client(httpx.Response(400, json=body), httpx.Response(200, json=body))
    with pytest.raises(WBRequestError):
        await client.list_feedback_records(True, 10, 0)
    with pytest.raises(WBRequestError):
        await client.list_archived_feedback_records(10, 0)


async def test_category_tokens_are_chosen_per_host(make_client: Build) -> None:
    main, fb, chat, content = (make_token(SID) for _ in range(4))
    tokens = StoreTokens(main, feedbacks=fb, chat=chat, content=content)
    client, rec, _ = make_client(
        lambda r: httpx.Response(200, json={"TS": "2024-08-16T11:19:05+03:00", "Status": "OK"}),
        tokens=tokens,
    )
    for host in ("feedbacks", "chat", "content", "prices", "common"):
        assert (await client.ping(host)).status == "OK"
    used = [r.headers["Authorization"].removeprefix("Bearer ") for r in rec.requests]
    assert used == [fb, chat, content, main, main]
    assert rec.requests[0].url.path == "/feedbacks/ping"
    assert main not in repr(tokens) and main not in repr(client)


async def test_answer_feedback_sends_json(make_client: Build) -> None:
    client, rec, _ = make_client(httpx.Response(204))
    await client.answer_feedback("id1", "  Спасибо за отзыв!  ")
    req = rec.requests[0]
    assert req.method == "POST"
    assert req.headers["Content-Type"] == "application/json"
    assert json.loads(req.content) == {"id": "id1", "text": "Спасибо за отзыв!"}


async def test_question_patch_bodies(make_client: Build) -> None:
    client, rec, _ = make_client(ok(None))
    await client.answer_question("q", "Да")
    await client.reject_question("q", "Нет")
    await client.mark_question_viewed("q")
    assert [json.loads(r.content) for r in rec.requests] == [
        {"id": "q", "answer": {"text": "Да"}, "state": "wbRu"},
        {"id": "q", "answer": {"text": "Нет"}, "state": "none"},
        {"id": "q", "wasViewed": True},
    ]
    assert {r.method for r in rec.requests} == {"PATCH"}


async def test_send_message_is_multipart_even_without_files(make_client: Build) -> None:
    answer = {"result": {"addTime": 1712848270018, "chatID": "1:x", "sign": "s"}, "errors": []}
    client, rec, _ = make_client(httpx.Response(200, json=answer))
    result = await client.send_message("1:x:sign", "Здравствуйте")
    req = rec.requests[0]
    assert req.headers["Content-Type"].startswith("multipart/form-data")
    body = req.content.decode()
    assert 'name="replySign"' in body and "1:x:sign" in body
    assert 'name="message"' in body and "Здравствуйте" in body
    assert result.chat_id == "1:x" and result.add_time == 1712848270018

    await client.send_message("1:x:sign", "", files=[("a.png", b"\x89PNG", "image/png")])
    body2 = rec.requests[1].content
    assert b'name="file"; filename="a.png"' in body2
    assert b"Content-Type: image/png" in body2


async def test_list_cards_body_and_cursor(make_client: Build) -> None:
    card = {"nmID": 7, "vendorCode": "A-1", "title": "T", "updatedAt": None, "photos": []}
    page = {
        "cards": [card],
        "cursor": {"updatedAt": "2023-12-06T11:17:00.96577Z", "nmID": 7, "total": 1},
    }
    client, rec, _ = make_client(httpx.Response(200, json=page))
    first = await client.list_cards(100)
    await client.list_cards(100, first.cursor)
    bodies = [json.loads(r.content) for r in rec.requests]
    assert bodies[0] == {
        "settings": {
            "sort": {"ascending": True},
            "filter": {"withPhoto": -1},
            "cursor": {"limit": 100},
        }
    }
    assert bodies[1]["settings"]["cursor"] == {
        "limit": 100,
        "updatedAt": "2023-12-06T11:17:00.96577Z",
        "nmID": 7,
    }
    assert first.cards[0].raw == card
    assert first.is_last(100)
    assert first.cursor == CardsCursor.model_validate(page["cursor"])


async def test_download_results(make_client: Build) -> None:
    client, _, _ = make_client(
        httpx.Response(200, content=b"%PDF", headers={"Content-Type": "application/pdf"}),
        httpx.Response(202, json={"moderationState": "pending", "retrySeconds": 30}),
        httpx.Response(451, json={"status": 451, "detail": "moderation error"}),
    )
    got = await client.download_file("d1")
    assert isinstance(got, DownloadedFile) and got.content == b"%PDF"
    pending = await client.download_file("d1")
    assert isinstance(pending, DownloadPending) and pending.retry_seconds == 30
    rejected = await client.download_file("d1")
    assert isinstance(rejected, DownloadRejected) and rejected.detail == "moderation error"


async def test_bad_arguments_fail_before_sending(make_client: Build) -> None:
    client, rec, _ = make_client(ok(None))
    with pytest.raises(ValueError):
        await client.list_feedbacks(True, 5001, 0)
    with pytest.raises(ValueError):
        await client.list_questions(True, 9000, 2000)
    with pytest.raises(ValueError):
        await client.answer_feedback("x", "a")
    with pytest.raises(ValueError):
        await client.send_message("", "hi")
    with pytest.raises(ValueError):
        await client.send_message("sign", "x" * 1001)
    with pytest.raises(ValueError):
        await client.get_events(0)
    with pytest.raises(ValueError):
        await client.list_cards(101)
    assert rec.requests == []


# --- auth -----------------------------------------------------------------------------------


async def test_expired_token(make_client: Build) -> None:
    detail = "token expired; Manage tokens at https://seller.wildberries.ru/supplier-settings"
    client, rec, _ = make_client(problem(401, detail))
    with pytest.raises(WBAuthError) as exc_info:
        await client.count_unanswered_feedbacks()
    assert exc_info.value.reason == "token expired"
    assert len(rec.requests) == 1  # never retried
    no_token_in(exc_info.value, TOKEN)


async def test_missing_chat_category_from_local_knowledge(make_client: Build) -> None:
    token = make_token(SID, categories=("feedbacks",))
    client, _, _ = make_client(
        problem(403, "scope is not allowed for this resource"), tokens=StoreTokens(token)
    )
    with pytest.raises(WBAuthError) as exc_info:
        await client.list_chats()
    assert exc_info.value.reason == "token has no chat category"
    assert exc_info.value.category == "chat"
    assert exc_info.value.status == 403


async def test_read_only_token_on_a_write(make_client: Build) -> None:
    token = make_token(SID, read_only=True)
    client, _, _ = make_client(problem(403, "Forbidden"), tokens=StoreTokens(token))
    with pytest.raises(WBAuthError) as exc_info:
        await client.answer_feedback("id", "Спасибо!")
    assert exc_info.value.reason == "read-only token"


async def test_malformed_token_and_echoed_token_is_scrubbed(make_client: Build) -> None:
    client, _, _ = make_client(
        problem(401, f"token problem; token is malformed: {TOKEN} could not base64 decode")
    )
    with pytest.raises(WBAuthError) as exc_info:
        await client.list_chats()
    assert exc_info.value.reason == "token is malformed"
    no_token_in(exc_info.value, TOKEN)


async def test_unknown_auth_detail_is_passed_through(make_client: Build) -> None:
    client, _, _ = make_client(
        httpx.Response(403, json={"data": None, "error": True, "errorText": "Ошибка авторизации"})
    )
    with pytest.raises(WBAuthError) as exc_info:
        await client.list_feedbacks(True, 10, 0)
    assert exc_info.value.reason == "Ошибка авторизации"


# --- 429 ------------------------------------------------------------------------------------


async def test_429_honours_x_ratelimit_retry(make_client: Build) -> None:
    penalties: list[float] = []

    class Spy(NoRateLimiter):
        async def penalize(self, key: str, group: str, token_type: str, seconds: float) -> None:
            penalties.append(seconds)
            assert key == SID and group == "feedbacks"

    client, rec, sleeps = make_client(
        problem(429, "limited by x", **{"X-Ratelimit-Retry": "2", "X-Ratelimit-Limit": "6"}),
        ok({"countUnanswered": 1, "countUnansweredToday": 0}),
        limiter=Spy(),
    )
    got = await client.count_unanswered_feedbacks()
    assert got.count_unanswered == 1
    assert sleeps.calls == [2.0]
    assert penalties == [2.0]
    assert len(rec.requests) == 2


async def test_429_falls_back_to_retry_after_then_backoff(make_client: Build) -> None:
    client, _, sleeps = make_client(
        problem(429, "limited", **{"Retry-After": "1.5"}),
        problem(429, "limited"),
        ok(5),
    )
    assert await client.count_feedbacks() == 5
    assert sleeps.calls[0] == 1.5
    assert 0 < sleeps.calls[1] <= 0.002


async def test_429_forever_raises_rate_limited(make_client: Build) -> None:
    client, rec, _ = make_client(problem(429, "limited", **{"X-Ratelimit-Retry": "1"}))
    with pytest.raises(WBRateLimited) as exc_info:
        await client.list_chats()
    assert exc_info.value.retry_after == 1.0
    assert len(rec.requests) == 3


async def test_429_with_long_wait_is_not_slept_through(make_client: Build) -> None:
    client, rec, sleeps = make_client(problem(429, "limited", **{"X-Ratelimit-Retry": "600"}))
    with pytest.raises(WBRateLimited) as exc_info:
        await client.list_chats()
    assert exc_info.value.retry_after == 600
    assert len(rec.requests) == 1 and sleeps.calls == []


async def test_local_limit_too_far_raises_rate_limited(make_client: Build) -> None:
    base = make_token(SID, acc=1)
    limiter = MemoryRateLimiter(LimitsConfig(max_wait=10.0))
    client, rec, _ = make_client(ok(1), tokens=StoreTokens(base), limiter=limiter)
    assert await client.count_feedbacks() == 1
    with pytest.raises(WBRateLimited) as exc_info:
        await client.count_feedbacks()
    assert exc_info.value.local
    assert 720.0 <= exc_info.value.retry_after <= 760.0
    assert len(rec.requests) == 1


# --- 5xx, timeouts, bodies ------------------------------------------------------------------


async def test_500_then_success(make_client: Build) -> None:
    client, rec, sleeps = make_client(httpx.Response(500), httpx.Response(503), ok(3))
    assert await client.count_questions(False) == 3
    assert len(rec.requests) == 3
    assert len(sleeps.calls) == 2 and all(0 < s <= 0.004 for s in sleeps.calls)


async def test_500_forever(make_client: Build) -> None:
    client, rec, _ = make_client(httpx.Response(500, text="oops"))
    with pytest.raises(WBServerError) as exc_info:
        await client.get_question("q")
    assert exc_info.value.attempts == 3
    assert exc_info.value.status == 500
    assert "GET /api/v1/question" in str(exc_info.value)
    assert not exc_info.value.outcome_unknown
    assert len(rec.requests) == 3


async def test_read_timeouts_on_reads_are_retried(make_client: Build) -> None:
    client, rec, _ = make_client(httpx.ReadTimeout("slow"), ok(2))
    assert await client.count_feedbacks(True) == 2
    assert len(rec.requests) == 2
    client2, rec2, _ = make_client(httpx.ReadTimeout("slow"))
    with pytest.raises(WBTimeout) as exc_info:
        await client2.count_feedbacks(True)
    assert exc_info.value.attempts == 3 and len(rec2.requests) == 3
    assert exc_info.value.transient and not exc_info.value.outcome_unknown


async def test_send_is_not_retried_after_a_read_timeout(make_client: Build) -> None:
    client, rec, _ = make_client(httpx.ReadTimeout("slow"), httpx.Response(204))
    with pytest.raises(WBTimeout) as exc_info:
        await client.answer_feedback("id", "Спасибо!")
    assert exc_info.value.outcome_unknown
    assert len(rec.requests) == 1


async def test_send_retried_when_wb_answered_with_an_error(make_client: Build) -> None:
    answer = {"result": {"addTime": 1, "chatID": "1:x"}, "errors": []}
    client, rec, _ = make_client(
        httpx.Response(500),
        problem(429, "l", **{"X-Ratelimit-Retry": "0"}),
        httpx.Response(200, json=answer),
    )
    result = await client.send_message("sign", "hi")
    assert result.chat_id == "1:x"
    assert len(rec.requests) == 3


async def test_send_not_retried_after_gateway_error(make_client: Build) -> None:
    client, rec, _ = make_client(httpx.Response(504), httpx.Response(200, json={"result": {}}))
    with pytest.raises(WBServerError) as exc_info:
        await client.send_message("sign", "hi")
    assert exc_info.value.outcome_unknown and exc_info.value.status == 504
    assert len(rec.requests) == 1


async def test_send_retried_when_the_connection_never_opened(make_client: Build) -> None:
    client, rec, _ = make_client(httpx.ConnectError("refused"), httpx.Response(204))
    await client.answer_feedback("id", "Спасибо!")
    assert len(rec.requests) == 2
    client2, _, _ = make_client(httpx.ConnectError("refused"))
    with pytest.raises(WBNetworkError) as exc_info:
        await client2.answer_feedback("id", "Спасибо!")
    assert not exc_info.value.outcome_unknown


async def test_malformed_json_names_the_endpoint(make_client: Build) -> None:
    client, rec, _ = make_client(httpx.Response(200, content=b'{"data": {"feedb'))
    with pytest.raises(WBBadResponse) as exc_info:
        await client.list_feedbacks(True, 10, 0)
    assert "GET /api/v1/feedbacks" in str(exc_info.value)
    assert exc_info.value.endpoint == "GET /api/v1/feedbacks"
    assert len(rec.requests) == 3  # a cut body on a read is retried


async def test_schema_mismatch_is_bad_response_at_once(make_client: Build) -> None:
    client, rec, _ = make_client(httpx.Response(200, json={"result": [{"noChatId": 1}]}))
    with pytest.raises(WBBadResponse) as exc_info:
        await client.list_chats()
    assert "GET /api/v1/seller/chats" in str(exc_info.value)
    assert len(rec.requests) == 1


async def test_malformed_body_after_a_send_is_outcome_unknown(make_client: Build) -> None:
    client, rec, _ = make_client(httpx.Response(200, content=b"<html>"))
    with pytest.raises(WBBadResponse) as exc_info:
        await client.send_message("sign", "hi")
    assert exc_info.value.outcome_unknown
    assert len(rec.requests) == 1


async def test_request_errors_carry_wb_text(make_client: Build) -> None:
    client, rec, _ = make_client(
        httpx.Response(
            422, json={"data": None, "error": True, "errorText": "Невозможно получить отзыв по id"}
        )
    )
    with pytest.raises(WBRequestError) as exc_info:
        await client.get_feedback("nope")
    assert exc_info.value.status == 422
    assert exc_info.value.detail == "Невозможно получить отзыв по id"
    assert len(rec.requests) == 1


async def test_error_envelope_with_200(make_client: Build) -> None:
    client, _, _ = make_client(
        httpx.Response(200, json={"data": None, "error": True, "errorText": "Something went wrong"})
    )
    with pytest.raises(WBRequestError, match="Something went wrong"):
        await client.list_questions(True, 10, 0)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG):
        yield caplog


async def test_logs_never_carry_the_token(
    make_client: Build, debug_logs: pytest.LogCaptureFixture
) -> None:
    client, _, _ = make_client(httpx.Response(500), problem(401, "token expired"))
    with pytest.raises(WBAuthError):
        await client.list_chats()
    text = "\n".join(r.getMessage() for r in debug_logs.records)
    assert "seller/chats" in text
    assert TOKEN not in text and TOKEN.split(".")[1] not in text
