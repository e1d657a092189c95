"""Errors of the AI layer; messages are safe to show to a person and never carry a key."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum


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


class AIErrorCode(StrEnum):
    """Stable codes of AI errors the bot maps to text keys."""

    BUDGET_REACHED = "budget_reached"


class AIBudgetExceeded(AIError):
    """The owner's monthly cap (`user_settings.ai_monthly_cap_usd`) is reached: no paid call.

    Templates (star-only reviews) make no call and still work.
    """

    code = AIErrorCode.BUDGET_REACHED

    def __init__(self, spent: Decimal, cap: Decimal) -> None:
        super().__init__(
            f"Месячный лимит расходов на ИИ исчерпан: ${spent:.2f} из ${cap:.2f}."
            " Шаблоны работают; лимит можно поднять в настройках ИИ."
        )
        self.spent = spent
        self.cap = cap
