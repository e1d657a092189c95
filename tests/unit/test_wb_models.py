"""The response models read WB's own examples (wb-openapi/) and the tolerated oddities."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.wb.models import (
    CardsPage,
    Chat,
    EventsPage,
    Feedback,
    FeedbackList,
    GoodsPriceList,
    Ping,
    Question,
    QuestionList,
    SellerInfo,
)

SPECS = Path(os.environ.get("WB_OPENAPI_DIR", "/work/shared/wb-openapi"))


@cache
def spec(name: str) -> dict[str, Any]:
    path = SPECS / name
    if not path.exists():
        pytest.skip(f"{path} not found")
    with path.open(encoding="utf-8") as fh:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data: dict[str, Any] = yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader
    return data


def example(name: str, path: str, method: str = "get") -> Any:
    response = spec(name)["paths"][path][method]["responses"]["200"]
    return response["content"]["application/json"]["example"]


def test_feedback_examples() -> None:
    listed = FeedbackList.model_validate(
        example("09-communications.yaml", "/api/v1/feedbacks")["data"]
    )
    assert listed.feedbacks
    fb = listed.feedbacks[0]
    assert fb.id and fb.product_details.nm_id
    assert fb.raw["id"] == fb.id
    single = Feedback.model_validate(example("09-communications.yaml", "/api/v1/feedback")["data"])
    assert single.created_date.tzinfo is not None
    archive = FeedbackList.model_validate(
        example("09-communications.yaml", "/api/v1/feedbacks/archive")["data"]
    )
    assert archive.count_unanswered == 0


def test_question_examples() -> None:
    listed = QuestionList.model_validate(
        example("09-communications.yaml", "/api/v1/questions")["data"]
    )
    assert listed.count_archive == 508
    q = listed.questions[0]
    assert q.state == "suppliersPortalSynch" and q.answer is None
    assert q.created_date.microsecond == 769513  # nanoseconds truncated
    Question.model_validate(example("09-communications.yaml", "/api/v1/question")["data"])


def test_events_example_with_missing_parts() -> None:
    page = EventsPage.model_validate(
        example("09-communications.yaml", "/api/v1/seller/events")["result"]
    )
    assert page.total_events == 4 and not page.done
    first, _, seller, bare = page.events
    assert first.is_new_chat and first.reply_sign and first.client_name == "Алёна"
    assert first.message is not None and first.message.attachments is not None
    assert first.message.attachments.files[0].download_id
    assert seller.client_name is None and seller.sender == "seller"
    assert bare.message is None


def test_cards_example_keeps_raw_and_cursor_string() -> None:
    page = CardsPage.model_validate(
        example("02-products.yaml", "/content/v2/get/cards/list", "post")
    )
    assert page.cards
    assert page.cards[0].raw["nmID"] == page.cards[0].nm_id
    assert page.cursor.updated_at is None or isinstance(page.cursor.updated_at, str)


def test_seller_info_example() -> None:
    info = SellerInfo.model_validate(example("01-general.yaml", "/api/v1/seller-info"))
    assert info.trade_mark == "Flax Store" and info.tin == "1234567890"


def test_tolerated_oddities() -> None:
    fb = Feedback.model_validate(
        {
            "id": "x",
            "text": None,
            "productValuation": 1,
            "createdDate": "2024-09-26T10:20:48+03:00",
            "productDetails": {"nmId": 1, "supplierArticle": None, "brandName": None},
            "photoLinks": None,
            "bables": None,
            "brandNewField": {"a": 1},
        }
    )
    assert fb.text == "" and fb.model_extra == {"brandNewField": {"a": 1}}
    empty = EventsPage.model_validate(
        {
            "next": 1,
            "newestEventTime": None,
            "oldestEventTime": "",
            "totalEvents": 0,
            "events": None,
        }
    )
    assert empty.done and empty.events == [] and empty.oldest_event_time is None
    chat = Chat.model_validate({"chatID": "1:x", "replySign": "s", "clientName": None})
    assert chat.client_name == "" and chat.good_card is None
    page = CardsPage.model_validate(
        {"cards": [{"nmID": 1, "updatedAt": None, "sizes": None}], "cursor": {"total": 1}}
    )
    assert page.cards[0].updated_at is None and page.cards[0].sizes == []
    prices = GoodsPriceList.model_validate(
        {
            "listGoods": [
                {"nmID": 1, "sizes": [{"sizeID": 2, "price": None, "discountedPrice": 350.5}]}
            ]
        }
    )
    assert prices.list_goods[0].sizes[0].discounted_price == 350.5
    assert Ping.model_validate({"TS": "2024-08-16T11:19:05+03:00", "Status": "OK"}).status == "OK"
