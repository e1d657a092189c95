"""The WB emulator over real loopback HTTP: auth, limits, paging, state changes, faults."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.wb import EmulatorConfig, ManualClock, WBEmulator, generate_shop, make_token
from tests.fakes.wb.generator import LONG_TEXT_LEN
from tests.fakes.wb.state import DAY, Attachment, SellerState
from tests.fakes.wb.tokens import CATEGORY_BITS, READ_ONLY_BIT, decode_token, payload_of

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
NOW_TS = int(NOW.timestamp())
ROOT = Path(__file__).resolve().parents[2]


class Wall:
    """A wall clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.value = now

    def __call__(self) -> datetime:
        return self.value

    def advance(self, **kwargs: float) -> None:
        self.value += timedelta(**kwargs)


@dataclass
class Env:
    wb: WBEmulator
    http: httpx.AsyncClient
    clock: ManualClock
    wall: Wall
    token: str = field(init=False)

    def __post_init__(self) -> None:
        self.token = self.wb.token()

    @property
    def shop(self) -> SellerState:
        return self.wb.state

    def url(self, host: str, path: str) -> str:
        return self.wb.urls[host] + path

    async def get(
        self, host: str, path: str, token: str | None = None, **params: Any
    ) -> httpx.Response:
        return await self.http.get(
            self.url(host, path),
            params=params,
            headers={"Authorization": f"Bearer {token or self.token}"},
        )

    async def send(
        self, method: str, host: str, path: str, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}", **kwargs.pop("headers", {})}
        return await self.http.request(method, self.url(host, path), headers=headers, **kwargs)


def _shop(seed: int = 7) -> SellerState:
    return generate_shop(seed, reviews=400, products=25, questions=60, chats=12, now=NOW)


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    clock, wall = ManualClock(), Wall(NOW)
    config = EmulatorConfig(limits_enabled=False, clock=clock, now=wall)
    async with WBEmulator(_shop(), config=config) as wb, httpx.AsyncClient(timeout=5) as http:
        yield Env(wb, http, clock, wall)


def problem_of(resp: httpx.Response) -> dict[str, Any]:
    assert resp.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = resp.json()
    return body


# --------------------------------------------------------------------------- tokens


def test_make_token_claims() -> None:
    token = make_token("sid-1", categories=("feedbacks", "chat"), read_only=True)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "ES256", "kid": "20250120v1", "typ": "JWT"}
    claims = payload_of(token)
    assert claims["sid"] == "sid-1" and claims["acc"] == 3 and claims["for"] == "self"
    assert claims["t"] is False and {"id", "ent", "oid", "uid", "exp"} <= claims.keys()
    assert claims["s"] == (1 << 7) | (1 << 9) | (1 << READ_ONLY_BIT)
    remaining = claims["exp"] - time.time()
    assert 179 * DAY < remaining <= 180 * DAY + 5
    info = decode_token(token)
    assert info.read_only and info.has_category("chat") and not info.has_category("content")
    assert decode_token(make_token(acc=1)).kind == "base"
    assert "for" not in payload_of(make_token(acc=1))
    assert CATEGORY_BITS["users"] == 16


# --------------------------------------------------------------------------- auth


async def test_bearer_and_raw_token_both_accepted(env: Env) -> None:
    for header in (f"Bearer {env.token}", env.token):
        resp = await env.http.get(env.url("feedbacks", "/ping"), headers={"Authorization": header})
        assert resp.status_code == 200
        assert resp.json()["Status"] == "OK"
        assert resp.json()["TS"] == "2026-05-01T15:00:00+03:00"


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Bearer abc.def", "token problem; token is malformed"),
        ("Bearer !!!.@@@.###", "token problem; token is malformed"),
        ("", "token problem; token is missing"),
    ],
)
async def test_malformed_or_missing_token(env: Env, header: str, detail: str) -> None:
    resp = await env.http.get(
        env.url("feedbacks", "/api/v1/feedbacks/count"), headers={"Authorization": header}
    )
    assert resp.status_code == 401
    body = problem_of(resp)
    assert body["detail"].startswith(detail)
    assert body["title"] == "unauthorized" and body["status"] == 401
    assert body["statusText"] == "Unauthorized" and body["requestId"]


async def test_expired_and_test_tokens_rejected(env: Env) -> None:
    expired = env.wb.token(expires_at=NOW - timedelta(seconds=1))
    resp = await env.get("feedbacks", "/ping", token=expired)
    assert resp.status_code == 401
    assert problem_of(resp)["detail"].startswith("token expired;")
    resp = await env.get("feedbacks", "/ping", token=env.wb.token(acc=2))
    assert resp.status_code == 401
    assert env.wb.stats.auth_failures["test_token"] == 1
    assert env.wb.stats.auth_failures["expired"] == 1


async def test_wrong_category_401_or_403(env: Env) -> None:
    only_content = env.wb.token(categories=("content",))
    resp = await env.get("feedbacks", "/ping", token=only_content)
    assert resp.status_code == 401
    assert problem_of(resp)["detail"] == "token scope not allowed"
    env.wb.config.scope_error_status = 403
    resp = await env.get("chat", "/api/v1/seller/chats", token=only_content)
    assert resp.status_code == 403
    assert problem_of(resp)["detail"] == "scope is not allowed for this resource"
    # content host and the common host accept it
    assert (await env.get("content", "/ping", token=only_content)).status_code == 200
    stats_only = env.wb.token(categories=("statistics",))
    info = await env.get("common", "/api/v1/seller-info", token=stats_only)
    assert info.status_code == 200
    assert info.json()["sid"] == env.shop.sid
    assert set(info.json()) == {"name", "sid", "tradeMark", "tin"}


async def test_read_only_token_reads_but_cannot_write(env: Env) -> None:
    ro = env.wb.token(read_only=True)
    fb = env.shop.feedback_page("unanswered", cutoff=NOW_TS - 30 * DAY, skip=0, take=1)[0]
    resp = await env.get("feedbacks", "/api/v1/feedback", token=ro, id=fb.id)
    assert resp.status_code == 200
    resp = await env.send(
        "POST", "feedbacks", "/api/v1/feedbacks/answer", token=ro, json={"id": fb.id, "text": "Ok!"}
    )
    assert resp.status_code == 401
    assert problem_of(resp)["detail"] == "read-only token"
    assert env.shop.feedbacks[fb.id].answer is None
    # cards list is a POST but a read method: allowed
    cards = await env.send(
        "POST", "content", "/content/v2/get/cards/list", token=ro, json={"settings": {}}
    )
    assert cards.status_code == 200


async def test_unknown_seller_gets_empty_shop_and_unknown_path_404(env: Env) -> None:
    stranger = make_token("0b9a8c2e-0000-4000-8000-000000000001")
    resp = await env.get(
        "feedbacks", "/api/v1/feedbacks", token=stranger, isAnswered="false", take=10, skip=0
    )
    assert resp.status_code == 200
    assert resp.json()["data"] == {"countUnanswered": 0, "countArchive": 0, "feedbacks": []}
    assert "0b9a8c2e-0000-4000-8000-000000000001" in env.wb.sellers
    env.wb.config.auto_create_sellers = False
    resp = await env.get("chat", "/api/v1/seller/chats", token=make_token("other"))
    assert resp.status_code == 401
    missing = await env.get("feedbacks", "/api/v1/nothing")
    assert missing.status_code == 404
    assert problem_of(missing)["title"] == "path not found"


# --------------------------------------------------------------------------- rate limits


async def test_feedbacks_bucket_burst_headers_and_refill(env: Env) -> None:
    env.wb.config.limits_enabled = True
    remaining = []
    for _ in range(6):
        resp = await env.get("feedbacks", "/api/v1/feedbacks/count-unanswered")
        assert resp.status_code == 200
        remaining.append(int(resp.headers["X-Ratelimit-Remaining"]))
    assert remaining == [5, 4, 3, 2, 1, 0]
    # questions share the bucket
    resp = await env.get("feedbacks", "/api/v1/questions/count-unanswered")
    assert resp.status_code == 429
    assert resp.headers["X-Ratelimit-Retry"] == "1"
    assert resp.headers["X-Ratelimit-Limit"] == "6"
    assert resp.headers["X-Ratelimit-Reset"] == "2"
    assert "X-Ratelimit-Remaining" not in resp.headers
    body = problem_of(resp)
    assert body["title"] == "too many requests" and body["status"] == 429
    env.clock.advance(0.34)  # 3 req/s: one request back
    assert (await env.get("feedbacks", "/api/v1/feedbacks/count")).status_code == 200
    assert (await env.get("feedbacks", "/api/v1/feedbacks/count")).status_code == 429
    env.clock.advance(2.0)
    resp = await env.get("feedbacks", "/api/v1/feedbacks/count")
    assert resp.headers["X-Ratelimit-Remaining"] == "5"
    assert env.wb.stats.throttled["feedbacks"] == 2
    assert env.wb.stats.requests["feedbacks"] == 10
    # other groups are untouched
    chat = await env.get("chat", "/api/v1/seller/chats")
    assert chat.headers["X-Ratelimit-Remaining"] == "9"


async def test_base_token_has_reduced_limits(env: Env) -> None:
    env.wb.config.limits_enabled = True
    base = env.wb.token(acc=1)
    assert (await env.get("feedbacks", "/api/v1/feedbacks/count", token=base)).status_code == 200
    resp = await env.get("feedbacks", "/api/v1/feedbacks/count", token=base)
    assert resp.status_code == 429
    assert resp.headers["X-Ratelimit-Retry"] == "720"  # 5 per hour, burst 1
    # the personal token of the same seller has its own bucket
    assert (await env.get("feedbacks", "/api/v1/feedbacks/count")).status_code == 200


async def test_ping_and_chat_limits_are_separate_per_host_and_group(env: Env) -> None:
    env.wb.config.limits_enabled = True
    for _ in range(3):
        assert (await env.get("feedbacks", "/ping")).status_code == 200
    resp = await env.get("feedbacks", "/ping")
    assert resp.status_code == 429
    assert resp.headers["X-Ratelimit-Retry"] == "10"  # 3 per 30 s
    assert (await env.get("chat", "/ping")).status_code == 200
    for _ in range(10):
        assert (await env.get("chat", "/api/v1/seller/chats")).status_code == 200
    assert (await env.get("chat", "/api/v1/seller/events")).status_code == 429
    att = next(iter(a for a in env.shop.attachments.values() if a.moderation == "ok"))
    download = await env.get("chat", f"/api/v1/seller/download/{att.download_id}")
    assert download.status_code == 200  # the download bucket is separate
    assert env.wb.stats.throttled == {"ping:feedbacks": 1, "chat": 1}


async def test_limit_scale_and_switch(env: Env) -> None:
    env.wb.config.limits_enabled = True
    env.wb.config.limit_scale = 100.0
    env.wb.config.fractional_limit_headers = True
    for _ in range(5):
        await env.get("prices", "/api/v2/list/goods/filter", limit=1)
    resp = await env.get("prices", "/api/v2/list/goods/filter", limit=1)
    assert resp.status_code == 429
    assert float(resp.headers["X-Ratelimit-Retry"]) == pytest.approx(0.006, abs=1e-3)
    env.clock.advance(0.006)
    assert (await env.get("prices", "/api/v2/list/goods/filter", limit=1)).status_code == 200
    env.wb.config.limits_enabled = False
    for _ in range(20):
        assert (await env.get("prices", "/api/v2/list/goods/filter", limit=1)).status_code == 200


# --------------------------------------------------------------------------- feedbacks


async def test_feedback_list_validation(env: Env) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"take": 10, "skip": 0}, "Плохой формат isAnswered"),
        ({"isAnswered": "yes", "take": 10, "skip": 0}, "Плохой формат isAnswered"),
        ({"isAnswered": "true", "skip": 0}, "Плохой формат take"),
        ({"isAnswered": "true", "take": 5001, "skip": 0}, "Плохой формат take"),
        ({"isAnswered": "true", "take": 10, "skip": 199991}, "Плохой формат skip"),
        ({"isAnswered": "true", "take": 10, "skip": 0, "order": "x"}, "Плохой формат order"),
        ({"isAnswered": "true", "take": 10, "skip": 0, "dateFrom": "x"}, "Плохой формат dateFrom"),
    ]
    for params, text in cases:
        resp = await env.get("feedbacks", "/api/v1/feedbacks", **params)
        assert resp.status_code == 400, params
        body = resp.json()
        assert body["error"] is True and body["data"] is None
        assert body["errorText"].startswith(text), (params, body)
    ok = await env.get("feedbacks", "/api/v1/feedbacks", isAnswered="true", take=5000, skip=199990)
    assert ok.status_code == 200 and ok.json()["data"]["feedbacks"] == []


async def _walk(env: Env, path: str, take: int, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    skip = 0
    while True:
        resp = await env.get("feedbacks", path, take=take, skip=skip, **params)
        assert resp.status_code == 200
        page = resp.json()["data"]["feedbacks"]
        items.extend(page)
        if len(page) < take:
            return items
        skip += take


async def test_archive_model_and_counts_are_consistent(env: Env) -> None:
    cutoff = NOW_TS - 30 * DAY
    unanswered = await _walk(env, "/api/v1/feedbacks", 37, isAnswered="false")
    answered = await _walk(env, "/api/v1/feedbacks", 50, isAnswered="true", order="dateAsc")
    archive = await _walk(env, "/api/v1/feedbacks/archive", 64)
    first = await env.get("feedbacks", "/api/v1/feedbacks", isAnswered="false", take=1, skip=0)
    counts = first.json()["data"]
    assert counts["countUnanswered"] == len(unanswered) > 0
    assert counts["countArchive"] == len(archive) > 0
    ids_u = {f["id"] for f in unanswered}
    ids_a = {f["id"] for f in answered}
    ids_arch = {f["id"] for f in archive}
    assert len(ids_u) == len(unanswered) and len(ids_arch) == len(archive)
    assert not ids_u & ids_arch and not ids_u & ids_a
    assert ids_a <= ids_arch  # answered feedbacks are archived too
    assert ids_u | ids_arch == set(env.shop.feedbacks)
    for fb in unanswered:
        created = datetime.fromisoformat(fb["createdDate"]).timestamp()
        assert fb["answer"] is None and fb["state"] == "none" and created >= cutoff
        assert fb["text"] or fb["pros"] or fb["cons"] or fb["photoLinks"]
    only_archived = [f for f in archive if f["id"] not in ids_a]
    assert any(not (f["text"] or f["photoLinks"]) for f in only_archived)  # empty
    assert any(datetime.fromisoformat(f["createdDate"]).timestamp() < cutoff for f in only_archived)
    # ordering: default newest first, dateAsc oldest first
    dates_u = [datetime.fromisoformat(f["createdDate"]) for f in unanswered]
    assert dates_u == sorted(dates_u, reverse=True)
    dates_a = [datetime.fromisoformat(f["createdDate"]) for f in answered]
    assert dates_a == sorted(dates_a)
    # count endpoint == list sizes
    c_true = await env.get("feedbacks", "/api/v1/feedbacks/count")
    c_false = await env.get("feedbacks", "/api/v1/feedbacks/count", isAnswered="false")
    assert c_true.json()["data"] == len(answered) and c_false.json()["data"] == len(unanswered)


async def test_feedback_filters_date_window_and_nm(env: Env) -> None:
    all_answered = await _walk(env, "/api/v1/feedbacks", 5000, isAnswered="true")
    pivot = all_answered[len(all_answered) // 2]
    ts = int(datetime.fromisoformat(pivot["createdDate"]).timestamp())
    window = await _walk(
        env, "/api/v1/feedbacks", 5000, isAnswered="true", dateFrom=ts - 20 * DAY, dateTo=ts
    )
    assert pivot["id"] in {f["id"] for f in window}
    for fb in window:
        assert ts - 20 * DAY <= datetime.fromisoformat(fb["createdDate"]).timestamp() <= ts
    expected = [
        f
        for f in all_answered
        if ts - 20 * DAY <= datetime.fromisoformat(f["createdDate"]).timestamp() <= ts
    ]
    assert len(window) == len(expected)
    counted = await env.get(
        "feedbacks", "/api/v1/feedbacks/count", dateFrom=ts - 20 * DAY, dateTo=ts
    )
    assert counted.json()["data"] == len(window)
    nm = pivot["productDetails"]["nmId"]
    by_nm = await _walk(env, "/api/v1/feedbacks", 5000, isAnswered="true", nmId=nm)
    assert by_nm and all(f["productDetails"]["nmId"] == nm for f in by_nm)
    assert len(by_nm) == sum(1 for f in all_answered if f["productDetails"]["nmId"] == nm)


async def test_answer_moves_feedback_and_edit_once(env: Env) -> None:
    before = (await env.get("feedbacks", "/api/v1/feedbacks/count-unanswered")).json()["data"]
    page = await env.get("feedbacks", "/api/v1/feedbacks", isAnswered="false", take=1, skip=0)
    fb = page.json()["data"]["feedbacks"][0]
    resp = await env.send(
        "POST", "feedbacks", "/api/v1/feedbacks/answer", json={"id": fb["id"], "text": "Спасибо!"}
    )
    assert resp.status_code == 204 and resp.content == b""
    after = (await env.get("feedbacks", "/api/v1/feedbacks/count-unanswered")).json()["data"]
    assert after["countUnanswered"] == before["countUnanswered"] - 1
    one = (await env.get("feedbacks", "/api/v1/feedback", id=fb["id"])).json()["data"]
    assert one["answer"] == {"text": "Спасибо!", "state": "wbRu", "editable": True}
    assert one["state"] == "wbRu"
    newest = await env.get("feedbacks", "/api/v1/feedbacks", isAnswered="true", take=5000, skip=0)
    assert fb["id"] in {f["id"] for f in newest.json()["data"]["feedbacks"]}
    assert env.wb.stats.feedback_answers == [(env.shop.sid, fb["id"], "Спасибо!")]
    # second POST is ignored like WB (204, nothing changes)
    again = await env.send(
        "POST", "feedbacks", "/api/v1/feedbacks/answer", json={"id": fb["id"], "text": "Другое"}
    )
    assert again.status_code == 204
    assert env.shop.feedbacks[fb["id"]].answer.text == "Спасибо!"  # type: ignore[union-attr]
    # one edit, then not editable
    edit = await env.send(
        "PATCH", "feedbacks", "/api/v1/feedbacks/answer", json={"id": fb["id"], "text": "Новый"}
    )
    assert edit.status_code == 204
    one = (await env.get("feedbacks", "/api/v1/feedback", id=fb["id"])).json()["data"]
    assert one["answer"]["text"] == "Новый" and one["answer"]["editable"] is False
    edit2 = await env.send(
        "PATCH", "feedbacks", "/api/v1/feedbacks/answer", json={"id": fb["id"], "text": "Ещё"}
    )
    assert edit2.status_code == 204
    assert env.shop.feedbacks[fb["id"]].answer.text == "Новый"  # type: ignore[union-attr]
    kinds = [kind for _, kind, _ in env.wb.stats.ignored_writes]
    assert kinds == ["feedback_answer", "feedback_edit"]


async def test_answer_edit_window_60_days(env: Env) -> None:
    fb = env.shop.land_feedback("Хорошо", created=NOW_TS - 3600)
    await env.send(
        "POST", "feedbacks", "/api/v1/feedbacks/answer", json={"id": fb.id, "text": "Спасибо"}
    )
    env.wall.advance(days=61)
    one = (await env.get("feedbacks", "/api/v1/feedback", id=fb.id)).json()["data"]
    assert one["answer"]["editable"] is False
    await env.send(
        "PATCH", "feedbacks", "/api/v1/feedbacks/answer", json={"id": fb.id, "text": "Поздно"}
    )
    assert fb.answer is not None and fb.answer.text == "Спасибо"


async def test_answer_request_errors(env: Env) -> None:
    url = env.url("feedbacks", "/api/v1/feedbacks/answer")
    auth = {"Authorization": env.token}
    cases = [
        ({}, b'{"id":"x","text":"ok ok"}', "content-type header not specified"),
        ({"Content-Type": "u"}, b"{}", "content-type is not a valid mime-type: u"),
        (
            {"Content-Type": "application/javascript"},
            b"{}",
            "not a json content-type: application/javascript",
        ),
        ({"Content-Type": "application/json"}, b"{bad", "Неверный синтаксис JSON"),
        ({"Content-Type": "application/json"}, b'{"id":"x","text":"a"}', "text:"),
    ]
    for headers, body, detail in cases:
        resp = await env.http.post(url, content=body, headers={**auth, **headers})
        assert resp.status_code == 400, detail
        data = resp.json()
        assert data["origin"] == "fbapi" and data["title"] == "bad request"
        assert data["detail"].startswith(detail)
    unknown = await env.http.post(
        url, json={"id": "NoSuchFeedback000000", "text": "ok"}, headers=auth
    )
    assert unknown.status_code == 204
    assert env.wb.stats.feedback_answers == []


async def test_get_feedback_unknown_vanish_and_valuation(env: Env) -> None:
    resp = await env.get("feedbacks", "/api/v1/feedback", id="nope")
    assert resp.status_code == 422
    assert resp.json()["errorText"] == "Невозможно получить отзыв по id"
    fb = env.shop.land_feedback("Ужасно", valuation=1, created=NOW_TS - 60)
    env.shop.set_feedback_valuation(fb.id, feedback_valuation=3)
    data = (await env.get("feedbacks", "/api/v1/feedback", id=fb.id)).json()["data"]
    assert data["supplierFeedbackValuation"] == 3
    assert data["isAbleSupplierFeedbackValuation"] is False
    top = await env.get("feedbacks", "/api/v1/feedbacks", isAnswered="false", take=1, skip=0)
    assert top.json()["data"]["feedbacks"][0]["id"] == fb.id  # newest first
    env.shop.remove_feedback(fb.id)
    assert (await env.get("feedbacks", "/api/v1/feedback", id=fb.id)).status_code == 422
    top = await env.get("feedbacks", "/api/v1/feedbacks", isAnswered="false", take=5000, skip=0)
    assert fb.id not in {f["id"] for f in top.json()["data"]["feedbacks"]}


async def test_unanswered_feedback_ages_into_archive(env: Env) -> None:
    fb = env.shop.land_feedback("Норм", created=NOW_TS - 29 * DAY)
    listed = await _walk(env, "/api/v1/feedbacks", 5000, isAnswered="false")
    assert fb.id in {f["id"] for f in listed}
    env.wall.advance(days=2)
    listed = await _walk(env, "/api/v1/feedbacks", 5000, isAnswered="false")
    assert fb.id not in {f["id"] for f in listed}
    archive = await _walk(env, "/api/v1/feedbacks/archive", 5000)
    assert fb.id in {f["id"] for f in archive}


async def test_new_feedbacks_questions_and_today_counters(env: Env) -> None:
    for fb in env.shop.feedbacks.values():
        fb.was_viewed = True
    for q in env.shop.questions.values():
        q.was_viewed = True
    resp = await env.get("feedbacks", "/api/v1/new-feedbacks-questions")
    assert resp.json()["data"] == {"hasNewQuestions": False, "hasNewFeedbacks": False}
    env.shop.land_feedback("Новый", created=NOW_TS - 60)
    env.shop.land_question("Есть размер XL?", created_ns=(NOW_TS - 30) * 10**9)
    resp = await env.get("feedbacks", "/api/v1/new-feedbacks-questions")
    assert resp.json()["data"] == {"hasNewQuestions": True, "hasNewFeedbacks": True}
    today = (await env.get("feedbacks", "/api/v1/feedbacks/count-unanswered")).json()["data"]
    assert today["countUnansweredToday"] >= 1
    q_today = (await env.get("feedbacks", "/api/v1/questions/count-unanswered")).json()["data"]
    assert q_today["countUnansweredToday"] >= 1


# --------------------------------------------------------------------------- questions


async def test_questions_list_caps_and_format(env: Env) -> None:
    bad = await env.get("feedbacks", "/api/v1/questions", isAnswered="false", take=9000, skip=1001)
    assert bad.status_code == 400
    bad = await env.get("feedbacks", "/api/v1/questions", isAnswered="false", take=10001, skip=0)
    assert bad.status_code == 400
    ok = await env.get("feedbacks", "/api/v1/questions", isAnswered="false", take=10000, skip=0)
    data = ok.json()["data"]
    assert data["countUnanswered"] == len(data["questions"]) > 0
    q = data["questions"][0]
    assert q["state"] == "suppliersPortalSynch" and q["answer"] is None
    frac = q["createdDate"].split(".")[1]
    assert len(frac) == 10 and frac.endswith("Z")  # 9 digits + Z
    answered = await env.get("feedbacks", "/api/v1/questions", isAnswered="true", take=100, skip=0)
    adata = answered.json()["data"]
    assert adata["countArchive"] == env.shop.count_questions(True)
    assert {x["state"] for x in adata["questions"]} <= {"wbRu", "none"}
    unknown = await env.get("feedbacks", "/api/v1/question", id="zzz")
    assert unknown.status_code == 422
    assert unknown.json()["errorText"] == "Невозможно получить вопрос по id"


async def test_question_patch_variants(env: Env) -> None:
    q = env.shop.land_question("Когда поставка?", created_ns=(NOW_TS - 100) * 10**9)
    path = "/api/v1/questions"
    viewed = await env.send("PATCH", "feedbacks", path, json={"id": q.id, "wasViewed": True})
    assert viewed.status_code == 200
    assert viewed.json() == {
        "data": None,
        "error": False,
        "errorText": "",
        "additionalErrors": None,
    }
    assert q.was_viewed
    body = {"id": q.id, "answer": {"text": "На следующей неделе"}, "state": "wbRu"}
    assert (await env.send("PATCH", "feedbacks", path, json=body)).status_code == 200
    one = (await env.get("feedbacks", "/api/v1/question", id=q.id)).json()["data"]
    assert one["state"] == "wbRu" and one["answer"]["text"] == "На следующей неделе"
    assert one["answer"]["editable"] is True
    count = await env.get("feedbacks", "/api/v1/questions/count", isAnswered="true")
    assert count.json()["data"] == env.shop.count_questions(True)
    edit = {"id": q.id, "answer": {"text": "Завтра"}, "state": "wbRu"}
    assert (await env.send("PATCH", "feedbacks", path, json=edit)).status_code == 200
    again = await env.send("PATCH", "feedbacks", path, json=edit)
    assert again.status_code == 422
    q2 = env.shop.land_question("Реклама", created_ns=(NOW_TS - 50) * 10**9)
    reject = {"id": q2.id, "answer": {"text": "Спам"}, "state": "none"}
    assert (await env.send("PATCH", "feedbacks", path, json=reject)).status_code == 200
    assert env.shop.questions[q2.id].state == "none"
    missing = await env.send("PATCH", "feedbacks", path, json={"id": "nope", "wasViewed": True})
    assert missing.status_code == 404
    garbage = await env.send("PATCH", "feedbacks", path, json={"id": q2.id, "state": "wbRu"})
    assert garbage.status_code == 400
    assert len(env.wb.stats.question_patches) == 4


# --------------------------------------------------------------------------- chat


async def test_chats_list_shape(env: Env) -> None:
    resp = await env.get("chat", "/api/v1/seller/chats")
    body = resp.json()
    assert body["errors"] is None and len(body["result"]) == 12
    chat = body["result"][0]
    assert chat["chatID"].startswith("1:") and chat["replySign"].startswith(chat["chatID"] + ":")
    assert set(chat["goodCard"]) == {"nmID", "price", "priceCurrency", "rid", "size"}
    assert isinstance(chat["lastMessage"]["addTimestamp"], int)


async def test_events_paging_to_the_end(env: Env) -> None:
    env.wb.config.events_page_size = 7
    seen: list[dict[str, Any]] = []
    next_ms: int | None = None
    for _ in range(100):
        params: dict[str, Any] = {} if next_ms is None else {"next": next_ms}
        result = (await env.get("chat", "/api/v1/seller/events", **params)).json()["result"]
        if result["totalEvents"] == 0:
            assert result["events"] == [] and result["next"] == next_ms
            break
        assert result["totalEvents"] == len(result["events"]) <= 7
        assert result["next"] == result["events"][-1]["addTimestamp"]
        seen.extend(result["events"])
        next_ms = result["next"]
    assert len(seen) == len(env.shop.events)
    assert len({e["eventID"] for e in seen}) == len(seen)
    stamps = [e["addTimestamp"] for e in seen]
    assert stamps == sorted(stamps)
    for event in seen:
        assert ("replySign" in event) == bool(event.get("isNewChat"))
    assert {e["sender"] for e in seen} == {"client", "seller", "wb"}
    assert any("message" not in e for e in seen)


async def test_events_next_validation(env: Env) -> None:
    zero = await env.get("chat", "/api/v1/seller/events", next=0)
    assert zero.status_code == 400
    assert zero.json()["detail"] == 'Invalid value for "next"'
    assert zero.json()["origin"] == "proxy-chats"
    nan = await env.get("chat", "/api/v1/seller/events", next="abc")
    assert nan.status_code == 400 and nan.json()["detail"] == "Invalid number"


def _sign(env: Env) -> tuple[str, str]:
    chat = next(iter(env.shop.chats.values()))
    return chat.chat_id, chat.reply_sign


async def test_send_message_becomes_seller_event(env: Env) -> None:
    chat_id, sign = _sign(env)
    newest = env.shop.events[-1].ts_ms
    png = Attachment("x", "x.png", "image/png", 0).body()
    resp = await env.send(
        "POST",
        "chat",
        "/api/v1/seller/message",
        data={"replySign": sign, "message": "Здравствуйте! <b>Да</b> & да"},
        files=[("file", ("photo.png", png, "image/png"))],
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["errors"] == [] and body["result"]["chatID"] == chat_id
    assert body["result"]["sign"] == sign and isinstance(body["result"]["addTime"], int)
    events = (await env.get("chat", "/api/v1/seller/events", next=newest)).json()["result"]
    assert events["totalEvents"] == 1
    event = events["events"][0]
    assert event["sender"] == "seller" and event["source"] == "seller-public-api"
    assert event["message"]["text"] == "Здравствуйте! <b>Да</b> & да"
    assert "replySign" not in event and "clientName" not in event
    image = event["message"]["attachments"]["images"][0]
    got = await env.get("chat", f"/api/v1/seller/download/{image['downloadID']}")
    assert got.status_code == 200 and got.content == png
    assert got.headers["content-type"] == "image/png"
    chats = (await env.get("chat", "/api/v1/seller/chats")).json()["result"]
    mine = next(c for c in chats if c["chatID"] == chat_id)
    assert mine["lastMessage"]["text"] == "Здравствуйте! <b>Да</b> & да"
    assert env.wb.stats.messages_sent == [(env.shop.sid, chat_id, "Здравствуйте! <b>Да</b> & да")]


async def test_send_message_errors(env: Env) -> None:
    _, sign = _sign(env)
    before = len(env.shop.events)

    async def send(data: dict[str, str], files: Any = None) -> httpx.Response:
        parts = [(k, (None, v)) for k, v in data.items()] + list(files or [])
        return await env.send("POST", "chat", "/api/v1/seller/message", files=parts)

    bad_sign = await send({"replySign": sign[:-1] + "0", "message": "hi"})
    assert bad_sign.status_code == 400
    assert problem_of(bad_sign)["detail"] == "Invalid signature"
    too_long = await send({"replySign": sign, "message": "я" * 1001})
    assert problem_of(too_long)["detail"] == 'Invalid value for "message"'
    mp4 = await send({"replySign": sign}, files=[("file", ("clip.mp4", b"0000", "video/mp4"))])
    assert mp4.status_code == 400
    assert problem_of(mp4)["detail"].endswith('"clip.mp4" has unsupported mime type')
    big = b"\xff\xd8" + b"0" * (5 * 1024 * 1024)
    huge = await send({"replySign": sign}, files=[("file", ("big.jpg", big, "image/jpeg"))])
    assert huge.status_code == 400
    assert problem_of(huge)["detail"].endswith("attachment too big. Max size: 5MiB")
    no_sign = await send({"message": "hi"})
    assert no_sign.status_code == 400
    # the spec says multipart/form-data: a url-encoded form is refused
    url_encoded = await env.send(
        "POST", "chat", "/api/v1/seller/message", data={"replySign": sign, "message": "hi"}
    )
    assert url_encoded.status_code == 400
    ok = await send({"replySign": sign, "message": "я" * 1000})
    assert ok.status_code == 200
    assert len(env.shop.events) == before + 1


async def test_new_buyer_message_and_downloads(env: Env) -> None:
    events = (await env.get("chat", "/api/v1/seller/events")).json()["result"]
    assert events["totalEvents"] == len(env.shop.events)  # 12 chats fit one default page
    last = events["next"]
    empty = (await env.get("chat", "/api/v1/seller/events", next=last)).json()["result"]
    assert empty["totalEvents"] == 0 and empty["newestEventTime"] is None
    chat, first = env.shop.new_chat("Ольга", "Добрый день!", at_ms=(NOW_TS - 10) * 1000)
    env.shop.client_message(chat.chat_id, "Вы тут?", at_ms=NOW_TS * 1000)
    fresh = (await env.get("chat", "/api/v1/seller/events", next=last)).json()["result"]
    assert fresh["events"][0]["eventID"] == first.event_id
    assert fresh["events"][0]["isNewChat"] is True
    assert fresh["events"][0]["replySign"] == chat.reply_sign
    assert fresh["events"][1]["clientName"] == "Ольга"
    states = {a.moderation: a for a in env.shop.attachments.values()}
    pending = await env.get("chat", f"/api/v1/seller/download/{states['pending'].download_id}")
    assert pending.status_code == 202
    assert pending.json() == {"moderationState": "pending", "retrySeconds": 30}
    blocked = await env.get("chat", f"/api/v1/seller/download/{states['blocked'].download_id}")
    assert blocked.status_code == 451
    assert problem_of(blocked)["detail"] == "moderation error"
    invalid = await env.get("chat", "/api/v1/seller/download/not-a-uuid")
    assert invalid.status_code == 400 and invalid.json()["detail"] == "invalid fileID"
    pdf = next(a for a in env.shop.attachments.values() if a.content_type == "application/pdf")
    if pdf.moderation == "ok":
        got = await env.get("chat", f"/api/v1/seller/download/{pdf.download_id}")
        assert got.content.startswith(b"%PDF")


# --------------------------------------------------------------------------- content & prices


async def _cards(env: Env, settings: dict[str, Any]) -> dict[str, Any]:
    resp = await env.send(
        "POST", "content", "/content/v2/get/cards/list", json={"settings": settings}
    )
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def test_cards_cursor_walk_and_incremental(env: Env) -> None:
    seen: list[dict[str, Any]] = []
    cursor: dict[str, Any] = {"limit": 7}
    while True:
        body = await _cards(
            env, {"sort": {"ascending": True}, "filter": {"withPhoto": -1}, "cursor": cursor}
        )
        seen.extend(body["cards"])
        assert body["cursor"]["total"] == len(body["cards"])
        if body["cursor"]["total"] < 7:
            break
        cursor = {
            "limit": 7,
            "updatedAt": body["cursor"]["updatedAt"],
            "nmID": body["cursor"]["nmID"],
        }
    assert sorted(c["nmID"] for c in seen) == sorted(env.shop.cards)
    keys = [(datetime.fromisoformat(c["updatedAt"]), c["nmID"]) for c in seen]
    assert keys == sorted(keys)
    last = body["cursor"] if body["cards"] else cursor
    saved = {"limit": 100, "updatedAt": last["updatedAt"], "nmID": last["nmID"]}
    nm = seen[0]["nmID"]
    env.shop.update_card(nm, at_us=NOW_TS * 1_000_000 + 123450, title="Новое название")
    inc = await _cards(
        env, {"sort": {"ascending": True}, "filter": {"withPhoto": -1}, "cursor": saved}
    )
    assert [c["nmID"] for c in inc["cards"]] == [nm]
    assert inc["cards"][0]["updatedAt"] == "2026-05-01T12:00:00.12345Z"
    env.shop.trash_card(nm, at_us=NOW_TS * 1_000_000 + 200000)
    everything = await _cards(env, {"filter": {"withPhoto": -1}, "cursor": {"limit": 100}})
    assert nm not in {c["nmID"] for c in everything["cards"]}


async def test_cards_filters_and_limits(env: Env) -> None:
    everything = await _cards(env, {"filter": {"withPhoto": -1}, "cursor": {"limit": 100}})
    total = len(everything["cards"])
    with_photo = await _cards(env, {"filter": {"withPhoto": 1}, "cursor": {"limit": 100}})
    without = await _cards(env, {"cursor": {"limit": 100}})  # default 0: without photos only
    assert len(with_photo["cards"]) + len(without["cards"]) == total
    assert all(c["photos"] == [] for c in without["cards"])
    card = with_photo["cards"][0]
    by_vendor = await _cards(
        env,
        {"filter": {"withPhoto": -1, "textSearch": card["vendorCode"]}, "cursor": {"limit": 100}},
    )
    assert card["nmID"] in {c["nmID"] for c in by_vendor["cards"]}
    by_nm = await _cards(
        env, {"filter": {"withPhoto": -1, "textSearch": str(card["nmID"])}, "cursor": {"limit": 10}}
    )
    assert [c["nmID"] for c in by_nm["cards"]] == [card["nmID"]]
    sku = card["sizes"][0]["skus"][0]
    by_sku = await _cards(
        env, {"filter": {"withPhoto": -1, "textSearch": sku}, "cursor": {"limit": 10}}
    )
    assert [c["nmID"] for c in by_sku["cards"]] == [card["nmID"]]
    over = await env.send(
        "POST",
        "content",
        "/content/v2/get/cards/list",
        json={"settings": {"cursor": {"limit": 101}}},
    )
    assert over.status_code == 400 and over.json()["error"] is True
    junk = await env.send(
        "POST",
        "content",
        "/content/v2/get/cards/list",
        content=b"{",
        headers={"Content-Type": "application/json"},
    )
    assert junk.status_code == 400 and junk.text == "Request body can not be decoded"


async def test_prices_get_paging_and_post(env: Env) -> None:
    seen: list[int] = []
    offset = 0
    while True:
        resp = await env.get("prices", "/api/v2/list/goods/filter", limit=10, offset=offset)
        goods = resp.json()["data"]["listGoods"]
        if not goods:
            break
        seen.extend(g["nmID"] for g in goods)
        offset += 10
    assert sorted(seen) == sorted(env.shop.prices) == seen
    nm = seen[3]
    one = await env.get("prices", "/api/v2/list/goods/filter", limit=1000, filterNmID=nm)
    item = one.json()["data"]["listGoods"][0]
    assert item["nmID"] == nm and item["currencyIsoCode4217"] == "RUB"
    size = item["sizes"][0]
    assert size["discountedPrice"] == pytest.approx(size["price"] * (100 - item["discount"]) / 100)
    for params in ({"limit": 1001}, {}, {"limit": "x"}):
        bad = await env.get("prices", "/api/v2/list/goods/filter", **params)
        assert bad.status_code == 400
        assert bad.json() == {
            "data": None,
            "error": True,
            "errorText": "Invalid request parameters",
        }
    post = await env.send(
        "POST", "prices", "/api/v2/list/goods/filter", json={"nmList": [seen[1], 1, seen[0]]}
    )
    assert [g["nmID"] for g in post.json()["data"]["listGoods"]] == [seen[1], seen[0]]
    empty = await env.send("POST", "prices", "/api/v2/list/goods/filter", json={"nmList": []})
    assert empty.status_code == 400


# --------------------------------------------------------------------------- faults


async def test_fault_500_never_applies_state(env: Env) -> None:
    env.wb.faults.error_rate = 1.0
    fb = env.shop.land_feedback("Отлично", created=NOW_TS - 10)
    resp = await env.send(
        "POST", "feedbacks", "/api/v1/feedbacks/answer", json={"id": fb.id, "text": "Спасибо"}
    )
    assert resp.status_code == 500
    assert fb.answer is None
    assert env.wb.stats.faults["error"] == 1
    env.wb.faults.clear()
    resp = await env.send(
        "POST", "feedbacks", "/api/v1/feedbacks/answer", json={"id": fb.id, "text": "Спасибо"}
    )
    assert resp.status_code == 204 and fb.answer is not None


async def test_fault_forced_429_burst_and_path_prefix(env: Env) -> None:
    env.wb.faults.burst_429 = 2
    env.wb.faults.path_prefix = "/chat"
    assert (await env.get("feedbacks", "/api/v1/feedbacks/count")).status_code == 200
    for _ in range(2):
        resp = await env.get("chat", "/api/v1/seller/chats")
        assert resp.status_code == 429
        assert resp.headers["X-Ratelimit-Retry"] == "1"
        assert resp.headers["X-Ratelimit-Limit"] == "10"
        assert problem_of(resp)["title"] == "too many requests"
    assert (await env.get("chat", "/api/v1/seller/chats")).status_code == 200
    assert env.wb.stats.throttled["chat"] == 2 and env.wb.stats.faults["throttle"] == 2


async def test_fault_malformed_body(env: Env) -> None:
    env.wb.faults.malformed_rate = 1.0
    resp = await env.get("feedbacks", "/api/v1/feedbacks", isAnswered="false", take=1, skip=0)
    assert resp.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(resp.content)


async def test_fault_hang_exceeds_client_timeout(env: Env) -> None:
    env.wb.faults.hang_rate = 1.0
    env.wb.faults.hang_seconds = 30.0
    started = time.perf_counter()
    with pytest.raises(httpx.ReadTimeout):
        await env.http.get(
            env.url("chat", "/api/v1/seller/chats"),
            headers={"Authorization": env.token},
            timeout=0.2,
        )
    assert time.perf_counter() - started < 5


async def test_faults_are_deterministic_per_seed(env: Env) -> None:
    async def outcomes() -> list[int]:
        codes = []
        for _ in range(30):
            codes.append((await env.get("common", "/api/v1/seller-info")).status_code)
        return codes

    env.wb.faults.reseed(42)
    env.wb.faults.error_rate = 0.3
    env.wb.faults.error_status = 503
    first = await outcomes()
    env.wb.faults.reseed(42)
    second = await outcomes()
    assert first == second
    assert set(first) == {200, 503}


# --------------------------------------------------------------------------- generator


def test_generator_properties() -> None:
    shop = generate_shop(3, reviews=3000, products=60, questions=300, chats=40, now=NOW)
    again = generate_shop(3, reviews=3000, products=60, questions=300, chats=40, now=NOW)
    assert list(shop.feedbacks) == list(again.feedbacks) and shop.sid == again.sid
    fbs = list(shop.feedbacks.values())
    assert len(fbs) == 3000 and len(shop.cards) == 60 and len(shop.prices) == 60
    assert len(shop.questions) == 300 and len(shop.chats) == 40
    assert all(len(f.id) == 20 for f in fbs)
    texts = [f.text for f in fbs]
    assert any(len(t) == LONG_TEXT_LEN for t in texts)
    for ch in ("<", ">", "&", '"'):
        assert any(ch in t for t in texts), ch
    assert any(any(ord(c) > 0x1F000 for c in t) for t in texts)  # emoji
    assert any(f.empty for f in fbs)
    assert any(not f.text and f.photo_links for f in fbs)
    ratings = [f.valuation for f in fbs]
    assert ratings.count(5) > len(fbs) / 2 and min(ratings) == 1
    assert any(f.created < datetime(2023, 10, 1, tzinfo=UTC).timestamp() for f in fbs)
    assert any(f.answered for f in fbs) and any(not f.answered for f in fbs)
    assert any(f.product.supplier_article is None for f in fbs)
    assert any(f.product.nm_id not in shop.cards for f in fbs)
    assert any(f.parent_id for f in fbs) and any(f.child_id for f in fbs)
    assert {e.sender for e in shop.events} == {"client", "seller", "wb"}
    assert sum(1 for e in shop.events if e.is_new_chat) == 40
    assert any(c.photo_count == 0 for c in shop.cards.values())


def test_generator_volume_200k() -> None:
    started = time.perf_counter()
    shop = generate_shop(1, reviews=200_000, products=500, questions=1000, chats=50, now=NOW)
    elapsed = time.perf_counter() - started
    print(f"\ngenerate_shop(200_000 reviews): {elapsed:.2f}s")
    assert len(shop.feedbacks) == 200_000
    started = time.perf_counter()
    page = shop.feedback_page("answered", cutoff=NOW_TS - 30 * DAY, skip=100_000, take=5000)
    body = json.dumps([f.to_json(NOW_TS, 60 * DAY) for f in page], ensure_ascii=False)
    print(f"one 5000-review page: {time.perf_counter() - started:.3f}s, {len(body) >> 10} KiB")
    assert elapsed < 60


# --------------------------------------------------------------------------- own process


async def test_module_entry_point_serves_in_its_own_process() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.wb",
        "--port",
        "0",
        "--reviews",
        "300",
        "--seed",
        "1",
        "--no-limits",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        second = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        assert first.startswith("WB emulator listening on http://127.0.0.1:")
        sid, token = (part.split("=", 1)[1] for part in second.split())
        base = first.rsplit(" ", 1)[1]
        async with httpx.AsyncClient(timeout=5) as http:
            resp = await http.get(
                f"{base}/common/api/v1/seller-info", headers={"Authorization": f"Bearer {token}"}
            )
        assert resp.status_code == 200 and resp.json()["sid"] == sid
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)
