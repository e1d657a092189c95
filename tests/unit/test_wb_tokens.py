"""Reading WB tokens without verifying them (wb-api.md §2.3)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.wb.tokens import (
    TokenFormatError,
    bare_token,
    inspect_token,
    missing_categories,
    warnings,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SID = "e8923014-e233-47a8-898e-3cc86d67ea61"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(payload: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    head = header or {"alg": "ES256", "kid": "20250120v1", "typ": "JWT"}
    return ".".join(
        [_b64(json.dumps(head).encode()), _b64(json.dumps(payload).encode()), _b64(b"sig" * 20)]
    )


def payload(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ent": 1,
        "exp": int((NOW + timedelta(days=100)).timestamp()),
        "id": "0d4b5c1e-0000-4000-8000-000000000001",
        "iid": 1,
        "oid": 2,
        "s": (1 << 1) | (1 << 3) | (1 << 7) | (1 << 9),
        "sid": SID,
        "t": False,
        "uid": 3,
    }
    base.update(extra)
    return base


def test_personal_token() -> None:
    info = inspect_token(jwt(payload(acc=3, **{"for": "self"})))
    assert info.token_type == "personal"
    assert info.categories == {"content", "prices", "feedbacks", "chat"}
    assert not info.read_only
    assert info.seller_id == SID
    assert info.token_id == "0d4b5c1e-0000-4000-8000-000000000001"
    assert info.expires_at == NOW + timedelta(days=100)
    assert not info.legacy
    assert warnings(info, NOW) == []


def test_base_token_warns_about_limits() -> None:
    info = inspect_token(jwt(payload(acc=1)))
    assert info.token_type == "base"
    assert "base_token_limits" in warnings(info, NOW)


def test_test_token() -> None:
    info = inspect_token(jwt(payload(acc=2, t=True)))
    assert info.token_type == "test"
    assert "test_token" in warnings(info, NOW)


def test_service_token_keeps_service_id() -> None:
    info = inspect_token(jwt(payload(acc=4, **{"for": "asid:12345"})))
    assert info.token_type == "service"
    assert info.service_id == "12345"


def test_old_sandbox_tokens_without_acc() -> None:
    sandbox = inspect_token(jwt({k: v for k, v in payload(sandbox=True).items() if k != "t"}))
    assert sandbox.token_type == "test"
    assert sandbox.legacy
    old = {k: v for k, v in payload(sandbox=False).items() if k != "t"}
    info = inspect_token(jwt(old))
    assert info.token_type == "base"  # pre-reform tokens get base limits
    assert info.legacy
    assert "legacy_token" in warnings(info, NOW)


def test_real_world_mask_example() -> None:
    # wb-api.md: s = 1073741926 = bits 1, 2, 5, 6, 30
    info = inspect_token(jwt(payload(acc=3, s=1073741926)))
    assert info.categories == {"content", "analytics", "statistics", "promotion"}
    assert info.read_only
    assert "read_only" in warnings(info, NOW)
    assert missing_categories(info, {"feedbacks", "chat", "content"}) == {"feedbacks", "chat"}


def test_every_documented_bit() -> None:
    bits = {
        1: "content",
        2: "analytics",
        3: "prices",
        4: "marketplace",
        5: "statistics",
        6: "promotion",
        7: "feedbacks",
        9: "chat",
        10: "supplies",
        11: "returns",
        12: "documents",
        13: "finance",
        16: "users",
    }
    for bit, name in bits.items():
        assert inspect_token(jwt(payload(acc=3, s=1 << bit))).categories == {name}


def test_expiry_warnings() -> None:
    soon = inspect_token(jwt(payload(acc=3, exp=int((NOW + timedelta(days=3)).timestamp()))))
    assert "expires_soon" in warnings(soon, NOW)
    past = inspect_token(jwt(payload(acc=3, exp=int((NOW - timedelta(days=1)).timestamp()))))
    assert past.is_expired(NOW)
    assert "expired" in warnings(past, NOW)
    no_exp = inspect_token(jwt({k: v for k, v in payload(acc=3).items() if k != "exp"}))
    assert no_exp.expires_at is None
    assert "no_expiry" in warnings(no_exp, NOW)


def test_bearer_prefix_is_accepted() -> None:
    token = jwt(payload(acc=3))
    assert inspect_token(f"Bearer {token}").seller_id == SID


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not-a-token",
        "a.b",
        "abc.def.ghi",
        "!!!.@@@.###",
        _b64(b"{}") + "." + _b64(b"[1,2]") + ".sig",
        _b64(b"{}") + "." + _b64(b"not json") + ".sig",
    ],
)
def test_garbage_raises_clear_error_without_the_token(garbage: str) -> None:
    with pytest.raises(TokenFormatError) as exc_info:
        inspect_token(garbage)
    if garbage:
        assert garbage not in str(exc_info.value)


def test_repr_never_shows_the_token() -> None:
    token = jwt(payload(acc=3))
    info = inspect_token(token)
    assert token not in repr(info)
    assert token.split(".")[1] not in repr(info)


def test_works_with_emulator_tokens() -> None:
    from tests.fakes.wb.tokens import make_token

    token = make_token(SID, categories=("feedbacks",), read_only=True, acc=1)
    info = inspect_token(token)
    assert (info.token_type, info.categories, info.read_only, info.seller_id) == (
        "base",
        frozenset({"feedbacks"}),
        True,
        SID,
    )


@pytest.mark.parametrize(
    "pasted",
    ["{t}", "Bearer {t}", "bearer {t}", "BEARER\t{t}", "  Bearer   {t}\n", "\nBearer {t}  "],
)
def test_bare_token_drops_a_pasted_bearer_prefix(pasted: str) -> None:
    token = "eyJhbGciOiJFUzI1NiJ9.eyJzIjoxfQ.c2ln"
    assert bare_token(pasted.format(t=token)) == token


def test_bare_token_keeps_a_token_that_only_starts_like_bearer() -> None:
    assert bare_token("Bearerish") == "Bearerish"
