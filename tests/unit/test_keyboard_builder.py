"""The project's keyboard builder gives the markup aiogram's would, without the deep copy."""

from __future__ import annotations

from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import MenuCb
from bot.keyboards.builder import Keyboard


def test_same_markup_as_aiogram_builder_without_copying_buttons() -> None:
    ours, theirs = Keyboard(), InlineKeyboardBuilder()
    for kb in (ours, theirs):
        for section in ("stores", "reviews", "complaints", "help", "settings"):
            kb.button(text=section, callback_data=MenuCb(section=section))
        kb.adjust(2, 2, 1)
    markup = ours.as_markup()
    assert markup == theirs.as_markup()
    assert markup.inline_keyboard[0][0] is ours._markup[0][0], "buttons are not deep-copied"
    assert markup.inline_keyboard[0] is not ours._markup[0], "rows are the markup's own lists"
