"""The emulator's responses against WB's own OpenAPI schemas (`wb-openapi/`, April 2026).

Each response is validated against the schema WB declares for that path, method, status and
media type, after resolving `$ref`s. Validation is *strict*: every object that lists
`properties` also gets `additionalProperties: false`, so a misspelt or invented field fails.

Deliberate differences, where `wb-api.md` (newer than the April files) wins:
* chat events with nothing new: `newestEventTime`/`oldestEventTime` are null (clients treat them
  as nullable, wb-api.md §6.2); the April schema has plain strings;
* a wrong token category may answer 403 problem+json (`scope is not allowed for this
  resource`, wb-api.md §2.6); April lists 403 only as the feedbacks envelope, so 403 is not
  checked here.

The spec files live outside the repository; set `WB_OPENAPI_DIR` to point at them. Without
them the module is skipped.
"""

from __future__ import annotations

import copy
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from tests.fakes.wb import EmulatorConfig, ManualClock, WBEmulator, generate_shop

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _spec_dir() -> Path | None:
    here = Path(__file__).resolve()
    candidates = [
        os.environ.get("WB_OPENAPI_DIR"),
        here.parents[2] / "docs" / "wb-openapi",
        here.parents[3] / "shared" / "wb-openapi",
        "/work/shared/wb-openapi",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "09-communications.yaml").is_file():
            return Path(candidate)
    return None


SPEC_DIR = _spec_dir()
pytestmark = pytest.mark.skipif(SPEC_DIR is None, reason="WB OpenAPI files not found")

GENERAL, PRODUCTS, COMMS = "01-general.yaml", "02-products.yaml", "09-communications.yaml"


@cache
def _spec(name: str) -> dict[str, Any]:
    assert SPEC_DIR is not None
    with open(SPEC_DIR / name, encoding="utf-8") as fh:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is 10x faster
        data: dict[str, Any] = yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader
    return data


def _resolve(doc: dict[str, Any], node: Any, seen: tuple[str, ...] = ()) -> Any:
    """Inline local `$ref`s (WB's files use no remote ones)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            assert ref.startswith("#/"), ref
            if ref in seen:  # recursive schema: stop expanding
                return {}
            target: Any = doc
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            return _resolve(doc, target, (*seen, ref))
        return {k: _resolve(doc, v, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(doc, item, seen) for item in node]
    return node


def _strict(schema: Any) -> Any:
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


def response_schema(
    spec: str, path: str, method: str, status: int, media: str = "application/json"
) -> dict[str, Any]:
    doc = _spec(spec)
    response = _resolve(doc, doc["paths"][path][method]["responses"][str(status)])
    content = response["content"]
    assert media in content, f"{spec} {method} {path} {status}: {sorted(content)}"
    schema: dict[str, Any] = content[media]["schema"]
    return schema


def check(
    resp: httpx.Response,
    spec: str,
    path: str,
    status: int,
    *,
    method: str = "get",
    media: str = "application/json",
    patch: Any = None,
) -> Any:
    """Assert status and media type, then validate the body against WB's schema."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].split(";")[0] == media
    schema = _strict(response_schema(spec, path, method, status, media))
    if patch is not None:
        schema = patch(copy.deepcopy(schema))
    body = resp.json()
    errors = sorted(
        OAS30Validator(schema, format_checker=oas30_format_checker).iter_errors(body),
        key=lambda e: list(e.absolute_path),
    )
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    return body


class Api:
    def __init__(self, wb: WBEmulator, http: httpx.AsyncClient) -> None:
        self.wb, self.http = wb, http
        self.auth = {"Authorization": f"Bearer {wb.token()}"}

    async def get(self, host: str, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(self.wb.urls[host] + path, params=params, headers=self.auth)

    async def call(self, method: str, host: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.auth, **kwargs.pop("headers", {})}
        return await self.http.request(method, self.wb.urls[host] + path, headers=headers, **kwargs)


@pytest.fixture(scope="module")
async def api() -> AsyncIterator[Api]:
    shop = generate_shop(11, reviews=600, products=30, questions=80, chats=15, now=NOW)
    config = EmulatorConfig(limits_enabled=False, clock=ManualClock(), now=lambda: NOW)
    async with WBEmulator(shop, config=config) as wb, httpx.AsyncClient(timeout=5) as http:
        yield Api(wb, http)


# --------------------------------------------------------------------------- general


async def test_ping_seller_info_and_gateway_errors(api: Api) -> None:
    for host in ("feedbacks", "chat", "content", "prices", "common"):
        check(await api.get(host, "/ping"), GENERAL, "/ping", 200)
    check(await api.get("common", "/api/v1/seller-info"), GENERAL, "/api/v1/seller-info", 200)
    bad = await api.http.get(api.wb.urls["feedbacks"] + "/ping", headers={"Authorization": "x.y"})
    check(bad, GENERAL, "/ping", 401, media="application/problem+json")
    api.wb.config.limits_enabled = True
    try:
        for _ in range(3):
            await api.get("common", "/ping")
        throttled = await api.get("common", "/ping")
    finally:
        api.wb.config.limits_enabled = False
    check(throttled, GENERAL, "/ping", 429, media="application/problem+json")


# --------------------------------------------------------------------------- feedbacks


async def test_feedback_lists(api: Api) -> None:
    for answered in ("false", "true"):
        resp = await api.get(
            "feedbacks", "/api/v1/feedbacks", isAnswered=answered, take=5000, skip=0
        )
        body = check(resp, COMMS, "/api/v1/feedbacks", 200)
        assert body["data"]["feedbacks"]
    archive = await api.get("feedbacks", "/api/v1/feedbacks/archive", take=5000, skip=0)
    body = check(archive, COMMS, "/api/v1/feedbacks/archive", 200)
    texts = [f["text"] for f in body["data"]["feedbacks"]]
    assert any(len(t) == 5000 for t in texts) or any(not t for t in texts)
    bad = await api.get("feedbacks", "/api/v1/feedbacks", take=1, skip=0)
    check(bad, COMMS, "/api/v1/feedbacks", 400)


async def test_feedback_single_counts_and_answer_errors(api: Api) -> None:
    fid = next(iter(api.wb.state.feedbacks))
    check(await api.get("feedbacks", "/api/v1/feedback", id=fid), COMMS, "/api/v1/feedback", 200)
    check(await api.get("feedbacks", "/api/v1/feedback", id="x"), COMMS, "/api/v1/feedback", 422)
    path = "/api/v1/feedbacks/count"
    check(await api.get("feedbacks", path, isAnswered="false"), COMMS, path, 200)
    check(await api.get("feedbacks", path, isAnswered="maybe"), COMMS, path, 400)
    path = "/api/v1/feedbacks/count-unanswered"
    check(await api.get("feedbacks", path), COMMS, path, 200)
    path = "/api/v1/new-feedbacks-questions"
    check(await api.get("feedbacks", path), COMMS, path, 200)
    path = "/api/v1/feedbacks/answer"
    no_type = await api.call("POST", "feedbacks", path, content=b'{"id":"a","text":"bb"}')
    check(no_type, COMMS, path, 400, method="post")


# --------------------------------------------------------------------------- questions


async def test_questions(api: Api) -> None:
    path = "/api/v1/questions"
    for answered in ("false", "true"):
        resp = await api.get("feedbacks", path, isAnswered=answered, take=100, skip=0)
        assert check(resp, COMMS, path, 200)["data"]["questions"]
    qid = next(iter(api.wb.state.questions))
    check(await api.get("feedbacks", "/api/v1/question", id=qid), COMMS, "/api/v1/question", 200)
    check(await api.get("feedbacks", "/api/v1/question", id="x"), COMMS, "/api/v1/question", 422)
    check(
        await api.get("feedbacks", "/api/v1/questions/count"), COMMS, "/api/v1/questions/count", 200
    )
    path = "/api/v1/questions/count-unanswered"
    check(await api.get("feedbacks", path), COMMS, path, 200)
    viewed = await api.call(
        "PATCH", "feedbacks", "/api/v1/questions", json={"id": qid, "wasViewed": True}
    )
    check(viewed, COMMS, "/api/v1/questions", 200, method="patch")
    missing = await api.call(
        "PATCH", "feedbacks", "/api/v1/questions", json={"id": "x", "wasViewed": True}
    )
    check(missing, COMMS, "/api/v1/questions", 404, method="patch")


# --------------------------------------------------------------------------- chat


def _nullable_event_times(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema["properties"]["result"]["properties"]
    for name in ("newestEventTime", "oldestEventTime"):
        props[name]["nullable"] = True
    return schema


async def test_chat(api: Api) -> None:
    check(await api.get("chat", "/api/v1/seller/chats"), COMMS, "/api/v1/seller/chats", 200)
    path = "/api/v1/seller/events"
    page = check(await api.get("chat", path), COMMS, path, 200)
    assert page["result"]["totalEvents"] > 0
    end = await api.get("chat", path, next=page["result"]["next"] + 10**12)
    check(end, COMMS, path, 200, patch=_nullable_event_times)
    check(await api.get("chat", path, next=0), COMMS, path, 400)
    chat = next(iter(api.wb.state.chats.values()))
    path = "/api/v1/seller/message"
    sent = await api.call(
        "POST",
        "chat",
        path,
        files=[("replySign", (None, chat.reply_sign)), ("message", (None, "Ок"))],
    )
    check(sent, COMMS, path, 200, method="post")
    refused = await api.call(
        "POST", "chat", path, files=[("replySign", (None, "1:bad")), ("message", (None, "Ок"))]
    )
    check(refused, COMMS, path, 400, method="post", media="application/problem+json")
    path = "/api/v1/seller/download/{id}"
    atts = {a.moderation: a for a in api.wb.state.attachments.values()}
    pending = await api.get("chat", f"/api/v1/seller/download/{atts['pending'].download_id}")
    check(pending, COMMS, path, 202)
    blocked = await api.get("chat", f"/api/v1/seller/download/{atts['blocked'].download_id}")
    check(blocked, COMMS, path, 451, media="application/problem+json")
    check(await api.get("chat", "/api/v1/seller/download/zzz"), COMMS, path, 400)
    ok = await api.get("chat", f"/api/v1/seller/download/{atts['ok'].download_id}")
    assert ok.status_code == 200
    content = _resolve(_spec(COMMS), _spec(COMMS)["paths"][path]["get"]["responses"]["200"])
    assert ok.headers["content-type"].split(";")[0] in content["content"]


# --------------------------------------------------------------------------- content & prices


async def test_cards_and_prices(api: Api) -> None:
    path = "/content/v2/get/cards/list"
    body = {
        "settings": {
            "sort": {"ascending": True},
            "filter": {"withPhoto": -1},
            "cursor": {"limit": 100},
        }
    }
    cards = check(
        await api.call("POST", "content", path, json=body), PRODUCTS, path, 200, method="post"
    )
    assert cards["cards"] and cards["cursor"]["total"] == len(cards["cards"])
    over = await api.call("POST", "content", path, json={"settings": {"cursor": {"limit": 500}}})
    check(over, PRODUCTS, path, 400, method="post")
    path = "/api/v2/list/goods/filter"
    goods = check(await api.get("prices", path, limit=1000), PRODUCTS, path, 200)
    assert goods["data"]["listGoods"]
    check(await api.get("prices", path, limit=5000), PRODUCTS, path, 400)
    nm = goods["data"]["listGoods"][0]["nmID"]
    posted = await api.call("POST", "prices", path, json={"nmList": [nm]})
    check(posted, PRODUCTS, path, 200, method="post")
