"""Cost of an LLM call from its token usage, in USD, as the schema's DECIMAL(10, 6)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.settings import Settings

_MILLION = Decimal(1_000_000)
_SIX_PLACES = Decimal("0.000001")
ZERO_COST = Decimal("0.000000")


def _dec(value: Decimal | float | int | str) -> Decimal:
    # Through str so that 0.27 stays 0.27 and not 0.27000000000000001776...
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True, slots=True)
class Pricing:
    """Prices per million input (prompt) and output (completion) tokens."""

    input_per_m: Decimal
    output_per_m: Decimal

    @classmethod
    def of(cls, input_per_m: Decimal | float | str, output_per_m: Decimal | float | str) -> Pricing:
        inp, out = _dec(input_per_m), _dec(output_per_m)
        if inp < 0 or out < 0:
            raise ValueError("prices must not be negative")
        return cls(inp, out)

    @classmethod
    def from_settings(cls, settings: Settings) -> Pricing:
        """`AI_PRICE_INPUT_PER_M` and `AI_PRICE_OUTPUT_PER_M`."""
        return cls.of(settings.ai_price_input_per_m, settings.ai_price_output_per_m)

    def cost(self, prompt_tokens: int, completion_tokens: int) -> Decimal:
        """USD rounded half-up to 6 places (what `ai_logs.cost` holds)."""
        if prompt_tokens < 0 or completion_tokens < 0:
            raise ValueError("token counts must not be negative")
        raw = (
            Decimal(prompt_tokens) * self.input_per_m
            + Decimal(completion_tokens) * self.output_per_m
        ) / _MILLION
        return raw.quantize(_SIX_PLACES, rounding=ROUND_HALF_UP)


DEFAULT_PRICING = Pricing.of("0.27", "1.10")
