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


def test_column_lays_buttons_out_then_its_rows() -> None:
    from aiogram.types import InlineKeyboardButton

    from bot.keyboards.builder import button, column

    menu = InlineKeyboardButton(text="menu", callback_data="m")
    buttons = [(s, MenuCb(section=s)) for s in ("stores", "reviews", "help")]
    markup = column(buttons, [], [button("back", MenuCb(section="home")), menu], width=2)
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [
        ["stores", "reviews"],
        ["help"],
        ["back", "menu"],  # an empty row is left out
    ]
    assert markup.inline_keyboard[0][1].callback_data == MenuCb(section="reviews").pack()
    assert column((), [menu]).inline_keyboard == [[menu]]


def test_buttons_are_aiograms_with_only_the_fields_given() -> None:
    """A button gets the fields given, not aiogram's dozen Nones (validating those cost more
    than the button); what is sent is the same."""
    ours, theirs = Keyboard(), InlineKeyboardBuilder()
    for kb in (ours, theirs):
        kb.button(text="Меню", callback_data=MenuCb(section="home"))
        kb.button(text="raw", callback_data="x:1")
        kb.button(text="WB", url="https://seller.wildberries.ru")
    markup, expected = ours.as_markup(), theirs.as_markup()
    assert markup == expected
    assert markup.model_dump(exclude_none=True) == expected.model_dump(exclude_none=True)
    assert ours._markup[0][0].model_fields_set == {"text", "callback_data"}
    assert theirs._markup[0][0].model_fields_set != {"text", "callback_data"}
