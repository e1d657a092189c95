"""WB-style API tokens for the emulator and for tests (wb-api.md §2.3).

A WB token is an ES256 JWT whose payload says who the seller is (`sid`), which API
categories it opens (bitmask `s`, bit N = mask ``1 << N``), whether it is read-only (bit 30),
its type (`acc`/`for`/`t`) and when it expires (`exp`). The emulator never checks signatures
(nobody outside WB can), so `make_token` writes a random base64url blob there.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

CATEGORY_BITS: Mapping[str, int] = {
    "content": 1,
    "analytics": 2,
    "prices": 3,
    "marketplace": 4,
    "statistics": 5,
    "promotion": 6,
    "feedbacks": 7,
    "chat": 9,
    "supplies": 10,
    "returns": 11,
    "documents": 12,
    "finance": 13,
    "users": 16,
}
READ_ONLY_BIT = 30
TOKEN_LIFETIME = timedelta(days=180)
DEFAULT_CATEGORIES: tuple[str, ...] = ("content", "feedbacks", "prices", "chat")
_HEADER = {"alg": "ES256", "kid": "20250120v1", "typ": "JWT"}


class TokenError(ValueError):
    """The token cannot be parsed; the message follows WB's `token is malformed: ...` detail."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(part: str, segment: str = "segment") -> bytes:
    if not part:
        raise TokenError(f"could not base64 decode {segment}: empty")
    try:
        padded = (part + "=" * (-len(part) % 4)).encode("ascii")
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise TokenError(f"could not base64 decode {segment}: illegal base64 data") from None


def scope_mask(categories: Iterable[str], *, read_only: bool = False) -> int:
    """The `s` claim for these category names (see `CATEGORY_BITS`)."""
    mask = 0
    for name in categories:
        try:
            mask |= 1 << CATEGORY_BITS[name]
        except KeyError:
            raise ValueError(f"unknown token category {name!r}") from None
    if read_only:
        mask |= 1 << READ_ONLY_BIT
    return mask


def make_token(
    sid: str | None = None,
    *,
    categories: Iterable[str] = DEFAULT_CATEGORIES,
    read_only: bool = False,
    acc: int = 3,
    expires_at: datetime | None = None,
    token_id: str | None = None,
) -> str:
    """Build a token shaped like a production one.

    `acc`: 1 base, 2 test (sandbox; the emulator rejects it like production does),
    3 personal (default, `for: "self"`), 4 service (`for: "asid:<n>"`).
    """
    exp = expires_at or datetime.now(UTC) + TOKEN_LIFETIME
    payload: dict[str, Any] = {
        "ent": 1,
        "exp": int(exp.timestamp()),
        "id": token_id or str(uuid.uuid4()),
        "iid": 45789123,
        "oid": 1234567,
        "s": scope_mask(categories, read_only=read_only),
        "sid": sid or str(uuid.uuid4()),
        "t": acc == 2,
        "uid": 98765432,
        "acc": acc,
    }
    if acc == 3:
        payload["for"] = "self"
    elif acc == 4:
        payload["for"] = "asid:" + str(uuid.uuid4())
    header = _b64url(json.dumps(_HEADER, separators=(",", ":")).encode())
    body = _b64url(json.dumps(payload, separators=(",", ":")).encode())
    signature = _b64url(secrets.token_bytes(64))  # ES256 signatures are 64 bytes
    return f"{header}.{body}.{signature}"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What the emulator reads from a token."""

    token_id: str
    sid: str
    scopes: int
    expires_at: int | None
    acc: int | None
    test: bool

    def has_category(self, name: str) -> bool:
        return bool(self.scopes & (1 << CATEGORY_BITS[name]))

    @property
    def read_only(self) -> bool:
        return bool(self.scopes & (1 << READ_ONLY_BIT))

    @property
    def is_test(self) -> bool:
        return self.test or self.acc == 2

    @property
    def kind(self) -> str:
        """Rate-limit type: `base`, `service` or `personal` (wb-api.md §2.4)."""
        if self.acc == 1:
            return "base"
        if self.acc == 4:
            return "service"
        return "personal"


def decode_token(token: str) -> TokenInfo:
    """Read header and payload without verifying the signature."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError(f"token contains an invalid number of segments ({len(parts)})")
    header_raw = _b64url_decode(parts[0], "header")
    payload_raw = _b64url_decode(parts[1], "claims")
    _b64url_decode(parts[2], "signature")
    try:
        header = json.loads(header_raw)
        payload = json.loads(payload_raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TokenError("could not JSON decode header or claims") from None
    if not isinstance(header, dict) or header.get("typ", "JWT") != "JWT":
        raise TokenError("header is not a JWT header")
    if not isinstance(payload, dict):
        raise TokenError("payload is not a JSON object")
    sid = payload.get("sid")
    scopes = payload.get("s", 0)
    exp = payload.get("exp")
    acc = payload.get("acc")
    if not isinstance(sid, str) or not sid:
        raise TokenError("claim sid is missing")
    if not isinstance(scopes, int) or isinstance(scopes, bool) or scopes < 0:
        raise TokenError("claim s is not an unsigned integer")
    if exp is not None and (not isinstance(exp, int | float) or isinstance(exp, bool)):
        raise TokenError("claim exp is not a NumericDate")
    if acc is not None and (not isinstance(acc, int) or isinstance(acc, bool)):
        raise TokenError("claim acc is not an integer")
    test = payload.get("t") is True or payload.get("sandbox") is True
    return TokenInfo(
        token_id=str(payload.get("id", "")),
        sid=sid,
        scopes=scopes,
        expires_at=None if exp is None else int(exp),
        acc=acc,
        test=test,
    )


def payload_of(token: str) -> dict[str, Any]:
    """The raw payload (for tests that look at claims)."""
    data = json.loads(_b64url_decode(token.split(".")[1]))
    if not isinstance(data, dict):
        raise TokenError("payload is not a JSON object")
    return data
