"""The one rule for text from outside: control characters and lone surrogates out."""

from __future__ import annotations

import json
import random

import msgspec
import pytest

from services.emails import normalize
from services.untrusted import (
    clean_json,
    clean_outgoing,
    clean_text,
    has_controls,
    is_invisible,
    strip_invisible,
)
from services.wb.records import decode_feedback_page


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plain текст", "plain текст"),
        ("a\x00b", "ab"),
        ("line\nnext\ttab", "line\nnext\ttab"),
        ("dos\r\nline", "dos\nline"),
        ("old\rmac", "old\nmac"),
        ("bell\x07 del\x7f c1\x85\x9f", "bell del c1"),
        ("lone \ud800 surrogate \udfff", "lone  surrogate "),
        ("emoji 😀 stays", "emoji 😀 stays"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean
    assert has_controls(raw) == (raw != clean)


def test_clean_json_reads_as_clean_text_of_what_was_sent() -> None:
    """Whatever a JSON string holds, cleaning the body equals cleaning the decoded string."""
    alphabet = [*list('aя\\"\n\t\r/u0«'), "\x00", "\x01", "\x08", "\x0c", "\x1f", "\x7f"]
    alphabet += ["\x85", "\x9f", "\ud800", "\udfff", "😀", "\u2028"]
    rng = random.Random(7)
    for _ in range(5000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        has_surrogate = any(0xD800 <= ord(c) <= 0xDFFF for c in s)
        for ascii_only in (True,) if has_surrogate else (True, False):
            body = json.dumps({"t": s, "l": [s]}, ensure_ascii=ascii_only).encode()
            sent = json.loads(body)["t"]
            assert json.loads(clean_json(body)) == {
                "t": clean_text(sent),
                "l": [clean_text(sent)],
            }, repr(s)


def test_clean_json_keeps_a_backslash_before_text_that_looks_like_an_escape() -> None:
    body = json.dumps({"t": "C:\\u0000\\b"}).encode()
    assert json.loads(clean_json(body)) == {"t": "C:\\u0000\\b"}


def test_a_feedback_page_with_nul_decodes_clean_raw_fields_included() -> None:
    page = {
        "data": {
            "feedbacks": [
                {
                    "id": "f1",
                    "productValuation": 1,
                    "createdDate": "2026-01-01T00:00:00Z",
                    "productDetails": {"nmId": 1, "productName": "Плед\x00"},
                    "text": "брак\x00",
                    "answer": {"text": "Извините\x00", "state": "wbRu"},
                }
            ]
        }
    }
    records = decode_feedback_page(clean_json(json.dumps(page).encode()))
    assert records is not None
    (fb,) = records.feedbacks
    assert fb.text == "брак" and fb.product_details.product_name == "Плед"
    assert msgspec.json.decode(fb.answer)["text"] == "Извините"


@pytest.mark.parametrize(
    ("raw", "sent"),
    [
        ("Спасибо за от\u200bзыв", "Спасибо за отзыв"),  # zero-width space
        ("Уда\u200dлите", "Удалите"),  # a joiner between letters
        ("\ufeffПривет\u2060!", "Привет!"),  # BOM, word joiner
        ("abc\u202eтекст\u202c", "abcтекст"),  # a bidi override and its end
        ("мяг\u00adкий", "мягкий"),  # soft hyphen
        ("ok\x00\x07 done\r\n", "ok done\n"),  # controls, as `clean_text`
        ("и\u0306", "й"),  # NFC: looks the same, one character
        ("\u2764\ufe0f и 1\ufe0f\u20e3", "\u2764\ufe0f и 1\ufe0f\u20e3"),  # an emoji's own stay
        (
            "\U0001f468\u200d\U0001f469\u200d\U0001f467",
            "\U0001f468\u200d\U0001f469\u200d\U0001f467",
        ),
        ("\U0001f44d\U0001f3fb", "\U0001f44d\U0001f3fb"),  # a skin tone
        ("a\ufe0fb", "ab"),  # a selector after a letter hides nothing an emoji needs
        ("\u3164", ""),  # a Hangul filler shows as nothing
    ],
)
def test_clean_outgoing(raw: str, sent: str) -> None:
    assert clean_outgoing(raw) == sent
    assert clean_outgoing(sent) == sent  # idempotent


def test_the_invisible_table_is_one() -> None:
    """What the email form, the fence and the guard's copy drop is one table."""
    for ch in ("\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u3164", "\ufe0f"):
        assert is_invisible(ch)
        assert strip_invisible(f"а{ch}б") == "аб"
        assert normalize(f"iv{ch}an@example.com") == "ivan@example.com"
