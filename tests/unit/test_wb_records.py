"""Sync's reader of feedback pages (`services.wb.records`): what it keeps, what it refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.wb.records import RecordsShapeError, decode_feedback_page, json_text

BASE: dict[str, Any] = {
    "id": "a",
    "productValuation": 2,
    "createdDate": "2024-09-26T10:20:48+03:00",
    "productDetails": {"nmId": 7},
}


def body(*feedbacks: dict[str, Any], **envelope: Any) -> bytes:
    return json.dumps({"data": {"feedbacks": list(feedbacks)}, "error": False, **envelope}).encode()


def test_absent_and_null_fields_read_as_wb_decides() -> None:
    absent = BASE
    nulls = {**BASE, "id": "b", "text": None, "answer": None, "photoLinks": None, "video": None}
    page = decode_feedback_page(body(absent, nulls))
    assert page is not None
    for fb in page.feedbacks:
        assert fb.product_details.product_name == "" and fb.product_details.supplier_article is None
        assert [json_text(fb.answer), json_text(fb.photo_links), json_text(fb.video)] == [None] * 3
    assert page.feedbacks[0].text == "" and page.feedbacks[1].text is None
    assert page.answers == [None, None]


def test_media_and_answer_are_kept_as_sent() -> None:
    raw = (
        '{"data":{"feedbacks":[{"id":"a","productValuation":1,'
        '"createdDate":"2024-09-26T10:20:48+03:00","productDetails":{"nmId":7},'
        '"answer":{"text":"\\u003cb\\u003e \\u0026 😊","state":"wbRu","future":[1]},'
        '"photoLinks":[{"fullSize":"f","miniSize":"m","x":null}],'
        '"video":{"link":"l","durationSec":3}}]},"error":false}'
    ).encode()
    page = decode_feedback_page(raw)
    assert page is not None
    fb = page.feedbacks[0]
    assert json.loads(json_text(fb.answer) or "") == {
        "text": "<b> & 😊",
        "state": "wbRu",
        "future": [1],
    }
    assert json.loads(json_text(fb.photo_links) or "") == [
        {"fullSize": "f", "miniSize": "m", "x": None}
    ]
    assert page.answers[0] is not None and page.answers[0].text == "<b> & 😊"


def test_a_page_without_feedbacks_is_empty() -> None:
    page = decode_feedback_page(b'{"data":{"feedbacks":null},"error":false}')
    assert page is not None and page.feedbacks == [] and page.answers == []


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b'{"data":null,"error":false}',
        b'{"data":null,"error":true,"errorText":"bad"}',
        b'{"data":{"feedbacks":[]},"error":true,"errorText":"bad"}',
    ],
)
def test_anything_but_a_success_page_is_left_to_the_general_path(raw: bytes) -> None:
    assert decode_feedback_page(raw) is None


@pytest.mark.parametrize(
    ("patch", "where"),
    [
        ({"id": 5}, "feedbacks.1.id"),
        ({"productDetails": {}}, "feedbacks.1.productDetails"),
        ({"createdDate": "yesterday"}, "feedbacks.1.createdDate"),
        ({"answer": {"text": 5}}, "feedbacks.1.answer.text"),
        ({"photoLinks": [{}, {"miniSize": []}]}, "feedbacks.1.photoLinks.1.miniSize"),
        ({"video": []}, "feedbacks.1.video"),
    ],
)
def test_a_wrong_shape_names_where(patch: dict[str, Any], where: str) -> None:
    with pytest.raises(RecordsShapeError) as exc_info:
        decode_feedback_page(body(BASE, {**BASE, **patch}))
    assert exc_info.value.where == where
