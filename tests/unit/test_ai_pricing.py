"""Cost math: prices per million tokens, Decimal rounded half-up to 6 places."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.ai.pricing import DEFAULT_PRICING, Pricing
from services.settings import load_settings


def test_cost_of_a_typical_call() -> None:
    p = Pricing.of("0.27", "1.10")
    # 1000 * 0.27 / 1e6 + 500 * 1.10 / 1e6 = 0.00027 + 0.00055
    assert p.cost(1000, 500) == Decimal("0.000820")


def test_rounds_half_up_to_six_places() -> None:
    p = Pricing.of("1", "0")
    assert p.cost(1, 0) == Decimal("0.000001")
    assert Pricing.of("0.5", "0").cost(1, 0) == Decimal("0.000001")  # 0.0000005 -> up
    assert Pricing.of("0.4", "0").cost(1, 0) == Decimal("0.000000")
    assert p.cost(0, 0).as_tuple().exponent == -6


def test_floats_from_settings_do_not_leak_binary_noise() -> None:
    s = load_settings(ai_price_input_per_m=0.27, ai_price_output_per_m=1.1)
    p = Pricing.from_settings(s)
    assert p.input_per_m == Decimal("0.27")
    assert p.cost(1_000_000, 1_000_000) == Decimal("1.370000")


def test_large_counts_fit_the_column() -> None:
    # DECIMAL(10, 6): at most 9999.999999
    assert DEFAULT_PRICING.cost(10_000_000, 2_000_000) == Decimal("4.900000")


@pytest.mark.parametrize("args", [("-1", "1"), ("1", "-0.5")])
def test_negative_prices_are_refused(args: tuple[str, str]) -> None:
    with pytest.raises(ValueError):
        Pricing.of(*args)


def test_negative_tokens_are_refused() -> None:
    with pytest.raises(ValueError):
        DEFAULT_PRICING.cost(-1, 0)
