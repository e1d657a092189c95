"""Pieces the cards share: the text source, cutting escaped text to a budget, access checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from bot.render import MESSAGE_LIMIT
from bot.render import clip as clip  # re-exported: the cards' one clipping helper
from bot.render import size as size
from services.members import Role, store_of, store_role
from services.records import Conn, UserRow


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


async def may_act(conn: Conn, user: UserRow | None, entity: str, entity_id: str) -> str | None:
    """The store of the object if this person may act on it, else None (unknown or not theirs:
    the caller shows one refusal for both, so a forged id learns nothing)."""
    if user is None or not entity_id:
        return None
    store_id = await store_of(conn, entity, entity_id)
    if store_id is None:
        return None
    return store_id if await store_role(conn, user.id, store_id) else None


async def store_access(conn: Conn, user: UserRow | None, store_id: str) -> Role | None:
    if user is None or not store_id:
        return None
    return await store_role(conn, user.id, store_id)
