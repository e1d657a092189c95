"""Errors of the AI layer; messages are safe to show to a person and never carry a key."""

from __future__ import annotations


class AIError(Exception):
    """Base of every error the AI layer raises."""


class AIConfigError(AIError):
    """Nothing to call with: no DeepSeek key for the store owner and no operator default."""


class AICallError(AIError):
    """The LLM call failed after the bounded retries (timeout, 5xx, connection, 4xx).

    `kind` is a stable code: timeout, connection, server_error, rate_limited, auth,
    payment_required, bad_request, empty_response.
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        attempts: int,
        duration_ms: int,
        status: int | None = None,
    ) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.attempts = attempts
        self.duration_ms = duration_ms
        self.status = status


class AIInvalidOutput(AIError):
    """The model answered twice with output that fails validation; nothing may be saved."""

    def __init__(self, reason: str, *, attempts: int) -> None:
        super().__init__(f"invalid model output after {attempts} attempts: {reason}")
        self.reason = reason
        self.attempts = attempts
