"""Pieces the cards share: the text source, cutting escaped text to a budget."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from bot.render import MESSAGE_LIMIT
from bot.render import clip as clip  # re-exported: the cards' one clipping helper
from bot.render import size as size


class Texts(Protocol):
    """What a card needs from i18n: an `I18nContext` fits."""

    def get(self, key: str, locale: str | None = None, /, **kwargs: Any) -> str: ...


CARD_BUDGET = MESSAGE_LIMIT - 96
"""What a card may take; the rest is slack for a note above it."""


def share(needs: Sequence[int], budget: int) -> list[int]:
    """Split `budget` among parts that need `needs`: small parts get all they need, the big
    ones split the rest evenly (so a long text never pushes pros and cons off the card)."""
    result = [0] * len(needs)
    left = max(0, budget)
    order = sorted(range(len(needs)), key=lambda i: needs[i])
    for pos, i in enumerate(order):
        fair = left // (len(needs) - pos)
        result[i] = min(needs[i], fair)
        left -= result[i]
    return result
