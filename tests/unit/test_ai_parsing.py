"""Pure output handling: complaint JSON validation, cutting to 900, tags, empty-review templates."""

from __future__ import annotations

import json

import pytest

from services.ai.guard import check_text
from services.ai.prompting import ReviewInfo
from services.ai.reasons import COMPLAINT_REASONS, is_valid_reason, reason_name, reasons_table
from services.ai.tasks import (
    EMPTY_REVIEW_TEMPLATES,
    Invalid,
    ParsedComplaint,
    clean_text,
    cut_to_sentence,
    needs_template,
    parse_complaint,
    parse_tag,
    template_for,
)

GOOD_TEXT = (
    "Отзыв не относится к товару: автор описывает работу пункта выдачи. Просим проверить его."
)


def complaint(**fields: object) -> str:
    body: dict[str, object] = {"reason_id": 11, "reason_name": "x", "complaint_text": GOOD_TEXT}
    body.update(fields)
    return json.dumps(body, ensure_ascii=False)


def test_reasons_table_is_exactly_the_domain_one() -> None:
    assert list(COMPLAINT_REASONS) == list(range(11, 21))
    assert reason_name(16) == "Нецензурная лексика, угрозы, оскорбления"
    assert reason_name(20) == "Другое"
    assert reasons_table().splitlines()[0] == "11 — Отзыв не относится к товару"
    assert is_valid_reason(11) and not is_valid_reason(21) and not is_valid_reason(True)


def test_valid_complaint_takes_the_name_from_the_table() -> None:
    parsed = parse_complaint(complaint(reason_id=12, reason_name="Конкуренты!!!"))
    assert isinstance(parsed, ParsedComplaint)
    assert parsed.reason_id == 12 and parsed.reason_name == "Отзыв оставили конкуренты"
    assert parsed.text == GOOD_TEXT and not parsed.truncated


def test_reason_id_as_digit_string_is_accepted() -> None:
    parsed = parse_complaint(complaint(reason_id="19"))
    assert isinstance(parsed, ParsedComplaint) and parsed.reason_id == 19


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("просто текст", "not a JSON object"),
        ("[1, 2]", "not a JSON object"),
        ('{"reason_id": 11, "complaint_text": "оборван', "not a JSON object"),
        (json.dumps({"category": "spam", "text": "x"}), "missing reason_id"),
        (complaint(reason_id=42), "reason_id 42 not in 11..20"),
        (complaint(reason_id=10), "reason_id 10 not in 11..20"),
        (complaint(reason_id=11.5), "reason_id is not an integer"),
        (complaint(reason_id=True), "reason_id is not an integer"),
        (complaint(reason_id=None), "reason_id is not an integer"),
        (complaint(complaint_text=None), "missing complaint_text"),
        (complaint(complaint_text="   "), "complaint_text is empty"),
        (complaint(complaint_text="**  **"), "complaint_text is empty"),
    ],
)
def test_invalid_complaints_say_why(content: str, reason: str) -> None:
    assert parse_complaint(content) == Invalid(reason)


def test_guard_problems_make_a_complaint_invalid() -> None:
    result = parse_complaint(complaint(complaint_text="Отзыв Ивана от 12.03.2025 не о товаре."))
    assert result == Invalid("complaint_text fails the guard: review_reference")
    result = parse_complaint(complaint(complaint_text="Ссылка в отзыве: https://spam.ru, уберите."))
    assert isinstance(result, Invalid) and "link" in result.reason


def test_fenced_or_chatty_json_is_still_read() -> None:
    fenced = "```json\n" + complaint() + "\n```"
    assert isinstance(parse_complaint(fenced), ParsedComplaint)
    chatty = "Вот жалоба: " + complaint() + " Надеюсь, поможет."
    assert isinstance(parse_complaint(chatty), ParsedComplaint)


def test_markdown_and_greeting_are_cleaned_off() -> None:
    raw = (
        "Уважаемые модераторы! **Отзыв не относится к товару**: речь о доставке. Просим проверить."
    )
    parsed = parse_complaint(complaint(complaint_text=raw))
    assert isinstance(parsed, ParsedComplaint)
    assert parsed.text == "Отзыв не относится к товару: речь о доставке. Просим проверить."
    parsed = parse_complaint(complaint(complaint_text="Здравствуйте, " + GOOD_TEXT))
    assert isinstance(parsed, ParsedComplaint) and parsed.text == GOOD_TEXT


def test_long_complaint_is_cut_at_a_sentence_end() -> None:
    sentence = "Автор описывает доставку, а не свойства товара и его качество. "  # 64 chars
    raw = sentence * 20
    parsed = parse_complaint(complaint(complaint_text=raw))
    assert isinstance(parsed, ParsedComplaint)
    assert parsed.truncated and len(parsed.text) <= 900
    assert parsed.text.endswith("качество.")
    assert len(parsed.text) > 800


def test_cut_to_sentence_edges() -> None:
    assert cut_to_sentence("Коротко.", 900) == ("Коротко.", False)
    text, cut = cut_to_sentence("Первое. Второе! Третье? Четвёртое…", 24)
    assert (text, cut) == ("Первое. Второе! Третье?", True)
    # an end exactly at the limit counts
    assert cut_to_sentence("Ровно десять. И ещё", 13) == ("Ровно десять.", True)
    # no sentence end in reach: back to a whole word, with an ellipsis, within the limit
    text, cut = cut_to_sentence("слово " * 50, 40)
    assert cut and len(text) <= 40 and text.endswith("слово…")
    text, cut = cut_to_sentence("длинноеслово" * 10, 20)
    assert cut and len(text) == 20


def test_never_mid_word() -> None:
    words = "Отзыв содержит утверждения без доказательств и обвинения в адрес продавца " * 20
    text, _ = cut_to_sentence(words, 900)
    assert len(text) <= 900
    body = text.removesuffix("…")
    assert words.startswith(body) and words[len(body)] == " "


def test_clean_text() -> None:
    assert clean_text("«Спасибо за отзыв!»") == "Спасибо за отзыв!"
    assert clean_text("## Ответ\n**Спасибо**  за   отзыв") == "Ответ\nСпасибо за отзыв"
    assert clean_text("a\n\n\n\nb") == "a\n\nb"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"tag": "spam"}', "spam"),
        ('{"tag": " Deletion_Agreed "}', "deletion_agreed"),
        ('```json\n{"tag": "active"}\n```', "active"),
        ('{"tag": "angry"}', Invalid("unknown tag 'angry'")),
        ('{"label": "spam"}', Invalid("missing tag")),
        ("spam", Invalid("not a JSON object")),
    ],
)
def test_parse_tag(content: str, expected: str | Invalid) -> None:
    assert parse_tag(content) == expected


def test_templates_are_stable_valid_and_spread() -> None:
    assert template_for("review-1") == template_for("review-1")
    picked = {template_for(f"r{i}") for i in range(200)}
    assert len(picked) == len(EMPTY_REVIEW_TEMPLATES) >= 3
    for reason_id, text in EMPTY_REVIEW_TEMPLATES:
        assert reason_id in COMPLAINT_REASONS
        assert len(text) <= 900
        assert check_text(text, channel="complaint", rating=1).ok, text


def test_needs_template_only_for_star_only_low_reviews() -> None:
    assert needs_template(ReviewInfo(id="r", rating=3, text="  ", pros=None, cons=""))
    assert not needs_template(ReviewInfo(id="r", rating=4, text=""))
    assert not needs_template(ReviewInfo(id="r", rating=1, text="", cons="линяет"))
    assert not needs_template(ReviewInfo(id="r", rating=2, text="Плохо"))
