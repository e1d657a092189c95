"""AIClient against the LLM stub through the real SDK: retries, timeouts, keys, concurrency."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from services.ai.client import AIClient, AIConfig
from services.ai.errors import AICallError, AIConfigError
from services.ai.leases import AI_LEASE_TTL, lease_ttl
from services.settings import load_settings
from tests.fakes.llm import LLMStub
from tests.support.ai import ai_config

MSGS = [{"role": "system", "content": "s"}, {"role": "user", "content": "Задача: ответ"}]


def sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@pytest.fixture
async def llm() -> AsyncIterator[LLMStub]:
    async with LLMStub() as stub:
        yield stub


def make_client(llm: LLMStub, **overrides: object) -> AIClient:
    fields = {"default_api_key": "sk-operator", "attempts": 3, "backoff_max_seconds": 0.05}
    return AIClient(ai_config(llm.base_url, **{**fields, **overrides}))


@pytest.fixture
async def client(llm: LLMStub) -> AsyncIterator[AIClient]:
    c = make_client(llm)
    yield c
    await c.aclose()


async def test_success_returns_text_usage_and_model(llm: LLMStub, client: AIClient) -> None:
    c = await client.complete(MSGS, owner_id="u1", temperature=0.5, max_tokens=100)
    assert c.content and c.model == "deepseek-chat" and c.attempts == 1
    assert c.total_tokens == c.prompt_tokens + c.completion_tokens > 0
    assert c.duration_ms >= 0 and c.finish_reason == "stop"
    body = llm.requests[0].body
    assert body["temperature"] == 0.5 and body["max_tokens"] == 100
    assert "response_format" not in body


async def test_json_mode_is_requested(llm: LLMStub, client: AIClient) -> None:
    await client.complete(
        [{"role": "system", "content": 'JSON {"tag": ...}'}, {"role": "user", "content": "u"}],
        owner_id="u1",
        json_mode=True,
    )
    assert llm.requests[0].response_format == {"type": "json_object"}


async def test_500_then_success_is_retried(llm: LLMStub, client: AIClient) -> None:
    llm.fail_next(2, status=500)
    c = await client.complete(MSGS, owner_id="u1")
    assert c.attempts == 3
    assert [r.status for r in llm.requests] == [500, 500, 200]


async def test_429_is_retried(llm: LLMStub, client: AIClient) -> None:
    llm.fail_next(1, status=429)
    assert (await client.complete(MSGS, owner_id="u1")).attempts == 2


async def test_5xx_beyond_the_attempts_raises(llm: LLMStub, client: AIClient) -> None:
    llm.fail_next(5, status=502)
    with pytest.raises(AICallError) as info:
        await client.complete(MSGS, owner_id="u1")
    assert info.value.kind == "server_error" and info.value.status == 502
    assert info.value.attempts == 3 and len(llm.requests) == 3


async def test_4xx_is_not_retried(llm: LLMStub, client: AIClient) -> None:
    llm.fail_next(1, status=401)
    with pytest.raises(AICallError) as info:
        await client.complete(MSGS, owner_id="u1")
    assert info.value.kind == "auth" and info.value.attempts == 1
    llm.fail_next(1, status=402)
    with pytest.raises(AICallError) as info:
        await client.complete(MSGS, owner_id="u1")
    assert info.value.kind == "payment_required"
    assert len(llm.requests) == 2


async def test_hang_times_out_and_is_retried_then_reported(llm: LLMStub) -> None:
    client = make_client(llm, timeout_seconds=0.2, attempts=2)
    llm.hang_next(2)
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(AICallError) as info:
            await client.complete(MSGS, owner_id="u1")
        elapsed = loop.time() - started
    finally:
        await client.aclose()
    assert info.value.kind == "timeout" and info.value.attempts == 2
    assert 0.35 < elapsed < 2.0
    assert info.value.duration_ms >= 350


async def test_hang_once_then_answer(llm: LLMStub) -> None:
    client = make_client(llm, timeout_seconds=0.2)
    llm.hang_next(1)
    try:
        c = await client.complete(MSGS, owner_id="u1")
    finally:
        await client.aclose()
    assert c.attempts == 2


async def test_connection_refused_is_a_connection_error() -> None:
    async with LLMStub() as stub:
        url = stub.base_url
    client = AIClient(
        AIConfig(
            base_url=url,
            default_api_key="k",
            attempts=2,
            backoff_base_seconds=0.01,
            timeout_seconds=1.0,
        )
    )
    try:
        with pytest.raises(AICallError) as info:
            await client.complete(MSGS, owner_id="u1")
    finally:
        await client.aclose()
    assert info.value.kind == "connection" and info.value.attempts == 2


async def test_missing_key_is_a_config_error_before_any_request(llm: LLMStub) -> None:
    client = make_client(llm, default_api_key=None)
    with pytest.raises(AIConfigError) as info:
        await client.complete(MSGS, owner_id="u1", owner_api_key="   ")
    assert "DEEPSEEK_API_KEY" in str(info.value)
    assert llm.requests == [] and client.cached_clients == 0


async def test_owner_key_wins_over_operator_key(llm: LLMStub, client: AIClient) -> None:
    await client.complete(MSGS, owner_id="u1", owner_api_key="sk-owner")
    await client.complete(MSGS, owner_id="u2")
    assert [r.api_key_sha256 for r in llm.requests] == [sha("sk-owner"), sha("sk-operator")]


async def test_one_sdk_client_per_distinct_key(llm: LLMStub, client: AIClient) -> None:
    for owner, key in [("u1", "a"), ("u2", "a"), ("u3", "b"), ("u4", None), ("u5", None)]:
        await client.complete(MSGS, owner_id=owner, owner_api_key=key)
    assert client.cached_clients == 3
    await client.aclose()
    assert client.cached_clients == 0


async def test_keys_never_reach_logs_or_errors(
    llm: LLMStub, client: AIClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    llm.fail_next(3, status=500)
    with pytest.raises(AICallError) as info:
        await client.complete(MSGS, owner_id="u1", owner_api_key="sk-secret-owner-key")
    assert "sk-secret" not in str(info.value)
    assert "sk-secret" not in caplog.text and "sk-operator" not in caplog.text
    assert "retry" in caplog.text
    assert "sk-operator" not in repr(client.config)


async def test_concurrency_is_bounded_per_owner(llm: LLMStub, client: AIClient) -> None:
    llm.set_latency(0.05)
    await asyncio.gather(*(client.complete(MSGS, owner_id="u1", concurrency=3) for _ in range(12)))
    assert llm.max_in_flight == 3


async def test_owners_do_not_share_a_bound(llm: LLMStub, client: AIClient) -> None:
    llm.set_latency(0.05)
    calls = [
        client.complete(MSGS, owner_id="u1", owner_api_key="ka", concurrency=2) for _ in range(6)
    ]
    calls += [
        client.complete(MSGS, owner_id="u2", owner_api_key="kb", concurrency=2) for _ in range(6)
    ]
    await asyncio.gather(*calls)
    assert llm.max_in_flight == 4
    assert llm.max_in_flight_by_key == {sha("ka"): 2, sha("kb"): 2}


async def test_default_concurrency_is_five(llm: LLMStub, client: AIClient) -> None:
    llm.set_latency(0.05)
    await asyncio.gather(*(client.complete(MSGS, owner_id="u1") for _ in range(12)))
    assert llm.max_in_flight == 5


async def test_semaphore_is_recreated_when_the_setting_changes(
    llm: LLMStub, client: AIClient
) -> None:
    s3 = client.semaphore_for("u1", 3)
    assert client.semaphore_for("u1", 3) is s3
    s1 = client.semaphore_for("u1", 1)
    assert s1 is not s3
    llm.set_latency(0.03)
    await asyncio.gather(*(client.complete(MSGS, owner_id="u1", concurrency=1) for _ in range(4)))
    assert llm.max_in_flight == 1
    assert client.semaphore_for("u1", 0) is not s1  # 0 or None -> the default 5


async def test_calls_in_flight_are_bounded_per_process(llm: LLMStub) -> None:
    """Ten owners at their own limit of 5: the process still sends at most its bound."""
    client = make_client(llm, max_in_flight=4)
    llm.set_latency(0.05)
    try:
        await asyncio.gather(
            *(client.complete(MSGS, owner_id=f"u{n % 10}", concurrency=5) for n in range(40))
        )
    finally:
        await client.aclose()
    assert len(llm.completed) == 40
    assert llm.max_in_flight == 4


async def test_one_owner_queue_does_not_hold_the_process_slots(llm: LLMStub) -> None:
    """An owner's calls beyond their own limit wait for their owner's slot, not the process's:
    another owner's call still goes out while the first owner's queue is long."""
    client = make_client(llm, max_in_flight=3)
    llm.set_latency(0.4)
    try:
        busy = [client.complete(MSGS, owner_id="u1", concurrency=2) for _ in range(8)]
        queue = asyncio.gather(*busy)
        await asyncio.sleep(0.05)
        started = asyncio.get_running_loop().time()
        await client.complete(MSGS, owner_id="u2", concurrency=2)
        waited = asyncio.get_running_loop().time() - started
        await queue
    finally:
        await client.aclose()
    assert waited < 0.8, f"another owner waited {waited:.2f} s behind u1's queue"
    assert llm.max_in_flight == 3


def test_config_from_settings() -> None:
    s = load_settings(
        deepseek_api_key="sk-x",
        ai_max_retries=1,
        ai_timeout_seconds=7,
        deepseek_base_url="http://127.0.0.1:1",
        ai_model="deepseek-chat",
    )
    cfg = AIConfig.from_settings(s)
    assert cfg.default_api_key == "sk-x" and cfg.attempts == 2 and cfg.timeout_seconds == 7
    assert "sk-x" not in repr(cfg)
    assert cfg.max_in_flight == 8, "AI_MAX_IN_FLIGHT's default"
    assert AIConfig.from_settings(load_settings(ai_max_in_flight=3)).max_in_flight == 3
    assert AIConfig.from_settings(load_settings(deepseek_api_key=None)).default_api_key is None
    with pytest.raises(ValueError):
        AIConfig(attempts=0)
    with pytest.raises(ValueError):
        AIConfig(max_in_flight=0)


def test_a_drafting_lease_outlasts_the_slowest_job() -> None:
    assert lease_ttl(AIConfig()) == AI_LEASE_TTL, "the defaults fit in 10 minutes"
    slow = AIConfig(timeout_seconds=300, attempts=3, backoff_max_seconds=20)
    assert lease_ttl(slow) == timedelta(seconds=2 * 3 * 320)
