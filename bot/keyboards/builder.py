"""A keyboard builder without aiogram's deep copy on export."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder


class Keyboard(InlineKeyboardBuilder):
    """`InlineKeyboardBuilder` whose `as_markup` takes the rows as they are.

    aiogram's `export` deep-copies every button (pydantic models, field by field), so the
    builder stays usable after export; ours are built for one markup and dropped. The copy was
    the largest item of a reviews-list press's CPU profile (issue 17)."""

    def export(self) -> list[list[InlineKeyboardButton]]:
        return [list(row) for row in self._markup]
