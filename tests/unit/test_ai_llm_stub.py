"""The LLM stub answers the real `openai` SDK like DeepSeek does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import openai
import pytest

from tests.fakes.llm import REASONS, LLMStub, count_tokens

COMPLAINT_SYSTEM = 'Верни JSON {"reason_id": ..., "reason_name": ..., "complaint_text": ...}'


@pytest.fixture
async def llm() -> AsyncIterator[LLMStub]:
    async with LLMStub() as stub:
        yield stub


@pytest.fixture
async def sdk(llm: LLMStub) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(
        api_key="sk-test", base_url=llm.base_url, max_retries=0, timeout=2.0
    )
    yield client
    await client.close()


def msgs(system: str, user: str) -> Any:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


async def test_complaint_json_by_default(llm: LLMStub, sdk: openai.AsyncOpenAI) -> None:
    r = await sdk.chat.completions.create(
        model="deepseek-chat",
        messages=msgs(COMPLAINT_SYSTEM, "Оценка: 1 из 5\nТекст: курьер опоздал на неделю"),
        response_format={"type": "json_object"},
    )
    data = json.loads(r.choices[0].message.content or "")
    assert data["reason_id"] == 11 and data["reason_name"] == REASONS[11]
    assert "доставку" in data["complaint_text"] and len(data["complaint_text"]) <= 900
    assert r.usage is not None
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    assert r.usage.completion_tokens == count_tokens(r.choices[0].message.content or "")
    rec = llm.requests[0]
    assert rec.model == "deepseek-chat" and rec.json_mode and rec.has_auth
    assert rec.response_format == {"type": "json_object"}
    assert rec.api_key_sha256 is not None and "sk-test" not in rec.api_key_sha256


async def test_usage_is_deterministic(sdk: openai.AsyncOpenAI) -> None:
    usages = []
    for _ in range(2):
        r = await sdk.chat.completions.create(model="m", messages=msgs("s", "Задача: ответ"))
        assert r.usage is not None
        usages.append((r.usage.prompt_tokens, r.usage.completion_tokens))
    assert usages[0] == usages[1] and usages[0][0] > 0


async def test_tag_json_and_plain_reply(sdk: openai.AsyncOpenAI) -> None:
    r = await sdk.chat.completions.create(
        model="m",
        messages=msgs(
            'Теги: active, refund_requested. JSON {"tag": "..."}',
            "Покупатель: верните деньги, товар сломан",
        ),
        response_format={"type": "json_object"},
    )
    assert json.loads(r.choices[0].message.content or "") == {"tag": "refund_requested"}
    r = await sdk.chat.completions.create(
        model="m", messages=msgs("s", "Задача: ответ на отзыв\nТовар: Кружка\nОценка: 2 из 5")
    )
    text = r.choices[0].message.content or ""
    assert "Кружка" in text and "Здравствуйте" in text


async def test_deepseek_style_base_url(llm: LLMStub) -> None:
    client = openai.AsyncOpenAI(api_key="k", base_url=llm.root_url, max_retries=0)
    try:
        await client.chat.completions.create(model="m", messages=msgs("s", "u"))
    finally:
        await client.close()
    assert llm.requests[0].path == "/chat/completions"


async def test_json_mode_needs_the_word_json(sdk: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        await sdk.chat.completions.create(
            model="m", messages=msgs("s", "u"), response_format={"type": "json_object"}
        )


async def test_missing_key_is_401(llm: LLMStub) -> None:
    # The SDK refuses to send without a key, so a bare HTTP call.
    async with aiohttp.ClientSession() as http:
        body = {"model": "m", "messages": msgs("s", "u")}
        async with http.post(f"{llm.base_url}/chat/completions", json=body) as resp:
            assert resp.status == 401
            assert (await resp.json())["error"]["type"] == "authentication_error"
    assert not llm.requests[0].has_auth


async def test_fail_next_then_recovers(llm: LLMStub, sdk: openai.AsyncOpenAI) -> None:
    llm.fail_next(2, status=503)
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            await sdk.chat.completions.create(model="m", messages=msgs("s", "u"))
    await sdk.chat.completions.create(model="m", messages=msgs("s", "u"))
    assert [r.status for r in llm.requests] == [503, 503, 200]


async def test_hang_outlives_the_client_timeout(llm: LLMStub) -> None:
    client = openai.AsyncOpenAI(api_key="k", base_url=llm.base_url, max_retries=0, timeout=0.2)
    llm.hang_next()
    try:
        with pytest.raises(openai.APITimeoutError):
            await client.chat.completions.create(model="m", messages=msgs("s", "u"))
        r = await client.chat.completions.create(model="m", messages=msgs("s", "u"))
        assert r.choices[0].message.content
    finally:
        await client.close()
    assert llm.requests[0].outcome == "hang"


async def test_invalid_json_and_wrong_keys(llm: LLMStub, sdk: openai.AsyncOpenAI) -> None:
    llm.invalid_json_next()
    llm.wrong_keys_next()
    kwargs: Any = {"response_format": {"type": "json_object"}}
    r1 = await sdk.chat.completions.create(
        model="m", messages=msgs(COMPLAINT_SYSTEM, "u"), **kwargs
    )
    with pytest.raises(ValueError):
        json.loads(r1.choices[0].message.content or "")
    r2 = await sdk.chat.completions.create(
        model="m", messages=msgs(COMPLAINT_SYSTEM, "u"), **kwargs
    )
    assert "reason_id" not in json.loads(r2.choices[0].message.content or "")
    r3 = await sdk.chat.completions.create(
        model="m", messages=msgs(COMPLAINT_SYSTEM, "u"), **kwargs
    )
    assert "reason_id" in json.loads(r3.choices[0].message.content or "")


async def test_script_of_strings_and_callables(llm: LLMStub, sdk: openai.AsyncOpenAI) -> None:
    llm.script("первый", lambda body: f"модель {body['model']}")
    out = []
    for _ in range(3):
        r = await sdk.chat.completions.create(model="deepseek-chat", messages=msgs("s", "u"))
        out.append(r.choices[0].message.content)
    assert out[:2] == ["первый", "модель deepseek-chat"]
    assert out[2] and out[2] != "первый"  # back to the default responder


async def test_latency_and_max_in_flight(llm: LLMStub, sdk: openai.AsyncOpenAI) -> None:
    llm.set_latency(0.05)
    await asyncio.gather(
        *(sdk.chat.completions.create(model="m", messages=msgs("s", "u")) for _ in range(4))
    )
    assert llm.max_in_flight == 4 and llm.in_flight == 0
    assert list(llm.max_in_flight_by_key.values()) == [4]


async def test_reset_clears_records_and_faults(llm: LLMStub, sdk: openai.AsyncOpenAI) -> None:
    llm.fail_next(5)
    llm.script("x")
    llm.reset()
    r = await sdk.chat.completions.create(model="m", messages=msgs("s", "u"))
    assert r.choices[0].message.content != "x" and len(llm.requests) == 1
