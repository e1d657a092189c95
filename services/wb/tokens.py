"""Reading WB API tokens (JWTs) without verifying them.

WB signs tokens with ES256 and we cannot check the signature; we only read the payload to show
the seller what the token opens (categories, read-only, type, expiry) and to key rate limits by
seller account (``sid``). Facts: ``wb-api.md`` §2.3.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

TokenType = Literal["base", "test", "personal", "service"]

#: Bit position -> category name (``s`` claim, mask ``1 << bit``), wb-api.md §2.3.
CATEGORY_BITS: Final[Mapping[int, str]] = {
    1: "content",
    2: "analytics",
    3: "prices",
    4: "marketplace",
    5: "statistics",
    6: "promotion",
    7: "feedbacks",
    8: "recommendations",  # third-party decoders only; WB's 2026 table dropped it
    9: "chat",
    10: "supplies",
    11: "returns",
    12: "documents",
    13: "finance",
    16: "users",
}
READ_ONLY_BIT: Final = 30

#: What the bot needs from a token, per feature, in the order the help names them.
BOT_CATEGORY_ORDER: Final[tuple[str, ...]] = ("feedbacks", "chat", "content")
BOT_CATEGORIES: Final[frozenset[str]] = frozenset(BOT_CATEGORY_ORDER)

_SANDBOX_TYPES: Final = frozenset({"test"})
_TYPE_WARNINGS: Final[Mapping[str, str]] = {"base": "base_token_limits", "test": "test_token"}

#: Warn about expiry this long ahead (the owner is reminded 14 and 3 days before).
EXPIRES_SOON: Final = timedelta(days=14)

TOKEN_SHAPE: Final = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
"""A WB token (a JWT: base64url header, always `eyJ`, payload, signature) anywhere in a text:
what is scrubbed from logs and errors, and what the bot deletes from a chat."""


class TokenFormatError(ValueError):
    """The text is not a WB token (not a JWT with a JSON payload). Never carries the token."""


@dataclass(frozen=True, repr=False)
class TokenInfo:
    """What the payload of a WB token says. Holds no part of the token itself."""

    token_type: TokenType
    categories: frozenset[str]
    read_only: bool
    expires_at: datetime | None
    seller_id: str | None
    token_id: str | None
    scope_mask: int | None = None
    service_id: str | None = None
    legacy: bool = False  # payload without `acc` (tokens of 2023-2024)

    def is_expired(self, now: datetime | None = None) -> bool:
        if self.expires_at is None:
            return False
        return self.expires_at <= (now or datetime.now(UTC))

    def has(self, category: str) -> bool:
        return category in self.categories

    @property
    def sandbox_only(self) -> bool:
        """Test tokens work only on WB's sandbox hosts."""
        return self.token_type in _SANDBOX_TYPES

    def __repr__(self) -> str:
        cats = ",".join(sorted(self.categories))
        return (
            f"TokenInfo(type={self.token_type}, categories={{{cats}}}, "
            f"read_only={self.read_only}, expires_at={self.expires_at}, "
            f"seller_id={self.seller_id})"
        )


def _b64url_json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        return json.loads(raw)
    except (binascii.Error, ValueError, UnicodeError) as exc:
        raise TokenFormatError("token payload is not base64url-encoded JSON") from exc


_BEARER: Final = re.compile(r"\A\s*bearer\s+", re.IGNORECASE)


def bare_token(text: str) -> str:
    """The token itself: without surrounding white space and a pasted `Bearer ` prefix (the
    seller portal's examples show one). What is stored and sent: the WB client adds `Bearer`
    itself, and a stored prefix would reach WB as "Bearer Bearer …" ("token is malformed")."""
    return _BEARER.sub("", text.strip(), count=1).strip()


def _decode_payload(token: str) -> dict[str, Any]:
    text = bare_token(token)
    if not text:
        raise TokenFormatError("token is empty")
    parts = text.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise TokenFormatError("token is not a JWT (expected three dot-separated parts)")
    header = _b64url_json(parts[0])
    if not isinstance(header, dict):
        raise TokenFormatError("token header is not a JSON object")
    payload = _b64url_json(parts[1])
    if not isinstance(payload, dict):
        raise TokenFormatError("token payload is not a JSON object")
    return payload


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1"}
    return bool(value)


def _token_type(payload: Mapping[str, Any]) -> tuple[TokenType, bool]:
    """Type from ``acc`` (current tokens) or, without it, from ``for``/``t``/``sandbox``.

    A payload without ``acc`` and without any marker is taken as a base token: those are the
    pre-reform tokens, which WB now serves with base limits; assuming less keeps us from 429s
    and makes the bot ask for a personal token.
    """
    acc = _as_int(payload.get("acc"))
    by_acc: dict[int, TokenType] = {1: "base", 2: "test", 3: "personal", 4: "service"}
    if acc in by_acc:
        return by_acc[acc], False
    legacy = acc is None
    if _truthy(payload.get("t")) or _truthy(payload.get("sandbox")):
        return "test", legacy
    purpose = payload.get("for")
    if purpose == "self":
        return "personal", legacy
    if isinstance(purpose, str) and purpose.startswith("asid:"):
        return "service", legacy
    return "base", legacy


def inspect_token(token: str) -> TokenInfo:
    """Decode a WB token's payload (no signature check). Raises :class:`TokenFormatError`."""
    payload = _decode_payload(token)
    token_type, legacy = _token_type(payload)

    mask = _as_int(payload.get("s"))
    categories: frozenset[str] = frozenset()
    read_only = False
    if mask is not None and mask >= 0:
        categories = frozenset(name for bit, name in CATEGORY_BITS.items() if mask & (1 << bit))
        read_only = bool(mask & (1 << READ_ONLY_BIT))

    expires_at: datetime | None = None
    exp = payload.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        try:
            expires_at = datetime.fromtimestamp(float(exp), tz=UTC)
        except (OverflowError, OSError, ValueError):
            expires_at = None

    purpose = payload.get("for")
    service_id: str | None = None
    if isinstance(purpose, str) and purpose.startswith("asid:"):
        service_id = purpose.removeprefix("asid:")
    sid = payload.get("sid")
    tid = payload.get("id")
    return TokenInfo(
        token_type=token_type,
        categories=categories,
        read_only=read_only,
        expires_at=expires_at,
        seller_id=str(sid) if isinstance(sid, str) and sid else None,
        token_id=str(tid) if isinstance(tid, str | int) and not isinstance(tid, bool) else None,
        scope_mask=mask,
        service_id=service_id,
        legacy=legacy,
    )


def missing_categories(info: TokenInfo, required: Iterable[str]) -> frozenset[str]:
    """Categories of ``required`` the token does not open."""
    return frozenset(required) - info.categories


def warnings(info: TokenInfo, now: datetime | None = None) -> list[str]:
    """Codes of what the seller should know about a token; texts are rendered elsewhere.

    Codes: ``expired``, ``expires_soon``, ``base_token_limits``, ``test_token``,
    ``read_only``, ``legacy_token``, ``no_expiry``.
    """
    now = now or datetime.now(UTC)
    out: list[str] = []
    if info.expires_at is None:
        out.append("no_expiry")
    elif info.expires_at <= now:
        out.append("expired")
    elif info.expires_at - now <= EXPIRES_SOON:
        out.append("expires_soon")
    type_warning = _TYPE_WARNINGS.get(info.token_type)
    if type_warning is not None:
        out.append(type_warning)
    if info.read_only:
        out.append("read_only")
    if info.legacy:
        out.append("legacy_token")
    return out
