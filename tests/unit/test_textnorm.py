"""The matching copy the guard reads (services/untrusted.py, services/ai/textnorm.py): what it undoes and keeps."""

from __future__ import annotations

import pytest

from services.ai.textnorm import language_profile
from services.untrusted import fold, strip_invisible


@pytest.mark.parametrize(
    ("raw", "folded", "mixed"),
    [
        ("Удaлите oтзыв", "удалите отзыв", True),  # Latin a, o
        ("ОТЗЫB", "отзыв", True),  # Latin B
        ("οтзыв", "отзыв", True),  # Greek omicron
        ("0тзыв", "отзыв", True),  # zero for "о"
        ("от3ыв", "отзыв", True),
        ("rеfund", "refund", True),  # Cyrillic е in an English word
        ("уд@лите", "удалите", True),
        ("Уда\u200bлите от\u2060зыв", "удалите отзыв", False),
        ("Удали\u00adте", "удалите", False),  # soft hyphen
        ("Ｕｄａｌｉｔｅ", "udalite", False),  # full-width, NFKC
        ("у д а л и т е  о-т-з-ы-в", "удалите  отзыв", False),
        ("Ёлка", "елка", False),
        ("№ 5", "№ 5", False),  # NFKC would write "No"
        ("Xiaomi Redmi, USB-C, 100х300см", "xiaomi redmi, usb-c, 100х300см", False),
        ("и т.д. и т.п.", "и т.д. и т.п.", False),
    ],
)
def test_fold(raw: str, folded: str, mixed: bool) -> None:
    result = fold(raw)
    assert result.text == folded
    assert bool(result.mixed_words) is mixed


def test_strip_invisible_keeps_lines_and_emoji() -> None:
    assert strip_invisible("а\u200bб\n\tв\x00г\x07") == "аб\n\tвг"
    assert strip_invisible("❤️") == "❤"  # the variation selector goes, the heart stays


@pytest.mark.parametrize(
    ("text", "russian"),
    [
        ("Спасибо за отзыв о Xiaomi Redmi Note 12 Pro Max!", True),
        ("Олексій, спасибо за отзыв! Мы проверим партию.", True),
        ("Размер: XL", True),
        ("👍", True),
        ("Thank you for your review!", False),
        ("Please Delete Your Review Now", False),  # capitalised, but no Russian at all
        ("Дякуємо за відгук! Ми перевіримо товар.", False),
        ("Спасибо! We will pay you back if you change your rating.", False),
    ],
)
def test_language_profile(text: str, russian: bool) -> None:
    assert language_profile(text).is_russian is russian
