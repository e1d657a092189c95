"""Pydantic models of the WB responses the bot reads (wb-api.md §3-7, wb-openapi/).

Tolerant on purpose: WB adds and drops fields monthly. Unknown fields are kept
(``extra="allow"``), fields WB documents as nullable or that real responses omit are optional,
and a ``null`` where WB promises a string reads as ``""``. Attribute names are snake_case;
WB's names are the aliases, so ``model_validate(wb_json)`` is the way in.

Items that sync stores verbatim (cards -> ``products.wb_api_data``; feedbacks and questions)
keep the exact dict WB sent in ``raw`` (not part of the model's fields or dumps).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    model_validator,
)


def _none_to_empty(value: Any) -> Any:
    return "" if value is None else value


def _empty_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _none_to_list(value: Any) -> Any:
    return [] if value is None else value


#: A string WB promises but sometimes sends as null.
Str = Annotated[str, BeforeValidator(_none_to_empty)]
#: A timestamp that may be null, missing or "".
OptDatetime = Annotated[datetime | None, BeforeValidator(_empty_to_none)]


class WBModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class RawModel(WBModel):
    """A model that remembers the dict it was read from."""

    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_raw(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        model = handler(data)
        if isinstance(data, dict):
            model._raw = data
        return model

    @property
    def raw(self) -> dict[str, Any]:
        """The item exactly as WB sent it (empty when built by hand)."""
        return self._raw


# --- common ---------------------------------------------------------------------------------


class Ping(WBModel):
    ts: str | None = Field(default=None, alias="TS")
    status: str = Field(alias="Status")


class SellerInfo(WBModel):
    name: Str = ""
    sid: str
    trade_mark: Str = Field(default="", alias="tradeMark")
    tin: str | None = None


# --- feedbacks ------------------------------------------------------------------------------


class ProductDetails(WBModel):
    nm_id: int = Field(alias="nmId")
    imt_id: int | None = Field(default=None, alias="imtId")
    product_name: Str = Field(default="", alias="productName")
    supplier_article: str | None = Field(default=None, alias="supplierArticle")
    supplier_name: str | None = Field(default=None, alias="supplierName")
    brand_name: str | None = Field(default=None, alias="brandName")
    size: str | None = None


class FeedbackAnswer(WBModel):
    text: Str = ""
    state: str | None = None  # none | wbRu | reviewRequired | rejected
    editable: bool | None = None


class PhotoLink(WBModel):
    full_size: str | None = Field(default=None, alias="fullSize")
    mini_size: str | None = Field(default=None, alias="miniSize")


class Video(WBModel):
    preview_image: str | None = Field(default=None, alias="previewImage")
    link: str | None = None
    duration_sec: int | None = Field(default=None, alias="durationSec")


class Feedback(RawModel):
    id: str
    text: Str = ""
    pros: Str = ""
    cons: Str = ""
    product_valuation: int = Field(alias="productValuation")
    created_date: datetime = Field(alias="createdDate")
    answer: FeedbackAnswer | None = None
    state: Str = ""
    product_details: ProductDetails = Field(alias="productDetails")
    photo_links: list[PhotoLink] | None = Field(default=None, alias="photoLinks")
    video: Video | None = None
    was_viewed: bool = Field(default=False, alias="wasViewed")
    user_name: Str = Field(default="", alias="userName")
    order_status: str | None = Field(default=None, alias="orderStatus")
    matching_size: str | None = Field(default=None, alias="matchingSize")
    is_able_supplier_feedback_valuation: bool | None = Field(
        default=None, alias="isAbleSupplierFeedbackValuation"
    )
    supplier_feedback_valuation: int | None = Field(default=None, alias="supplierFeedbackValuation")
    is_able_supplier_product_valuation: bool | None = Field(
        default=None, alias="isAbleSupplierProductValuation"
    )
    supplier_product_valuation: int | None = Field(default=None, alias="supplierProductValuation")
    is_able_return_product_orders: bool | None = Field(
        default=None, alias="isAbleReturnProductOrders"
    )
    return_product_orders_date: str | None = Field(default=None, alias="returnProductOrdersDate")
    bables: list[str] | None = None
    last_order_shk_id: int | None = Field(default=None, alias="lastOrderShkId")
    last_order_created_at: str | None = Field(default=None, alias="lastOrderCreatedAt")
    color: str | None = None
    subject_id: int | None = Field(default=None, alias="subjectId")
    subject_name: str | None = Field(default=None, alias="subjectName")
    parent_feedback_id: str | None = Field(default=None, alias="parentFeedbackId")
    child_feedback_id: str | None = Field(default=None, alias="childFeedbackId")


class FeedbackList(WBModel):
    """``data`` of the list and archive methods (the archive has no counters)."""

    count_unanswered: int = Field(default=0, alias="countUnanswered")
    count_archive: int = Field(default=0, alias="countArchive")
    feedbacks: Annotated[list[Feedback], BeforeValidator(_none_to_list)] = Field(
        default_factory=list
    )


class UnansweredCount(WBModel):
    count_unanswered: int = Field(default=0, alias="countUnanswered")
    count_unanswered_today: int = Field(default=0, alias="countUnansweredToday")


# --- questions ------------------------------------------------------------------------------


class QuestionAnswer(WBModel):
    text: Str = ""
    editable: bool | None = None
    create_date: OptDatetime = Field(default=None, alias="createDate")


class QuestionProductDetails(WBModel):
    nm_id: int = Field(alias="nmId")
    imt_id: int | None = Field(default=None, alias="imtId")
    product_name: Str = Field(default="", alias="productName")
    supplier_article: str | None = Field(default=None, alias="supplierArticle")
    supplier_name: str | None = Field(default=None, alias="supplierName")
    brand_name: str | None = Field(default=None, alias="brandName")


class Question(RawModel):
    id: str
    text: Str = ""
    created_date: datetime = Field(alias="createdDate")
    state: Str = ""  # suppliersPortalSynch (new) | wbRu (answered) | none (rejected)
    answer: QuestionAnswer | None = None
    product_details: QuestionProductDetails = Field(alias="productDetails")
    was_viewed: bool = Field(default=False, alias="wasViewed")
    is_warned: bool = Field(default=False, alias="isWarned")


class QuestionList(WBModel):
    count_unanswered: int = Field(default=0, alias="countUnanswered")
    count_archive: int = Field(default=0, alias="countArchive")
    questions: Annotated[list[Question], BeforeValidator(_none_to_list)] = Field(
        default_factory=list
    )


# --- buyer chat -----------------------------------------------------------------------------


class GoodCard(WBModel):
    nm_id: int | None = Field(default=None, alias="nmID")
    price: float | None = None
    price_currency: str | None = Field(default=None, alias="priceCurrency")
    rid: str | None = None
    size: str | None = None


class LastMessage(WBModel):
    text: Str = ""
    add_timestamp: int | None = Field(default=None, alias="addTimestamp")


class Chat(WBModel):
    chat_id: str = Field(alias="chatID")
    reply_sign: Str = Field(default="", alias="replySign")
    client_name: Str = Field(default="", alias="clientName")
    good_card: GoodCard | None = Field(default=None, alias="goodCard")
    last_message: LastMessage | None = Field(default=None, alias="lastMessage")


class ChatFile(WBModel):
    content_type: str | None = Field(default=None, alias="contentType")
    date: str | None = None
    download_id: str | None = Field(default=None, alias="downloadID")
    name: str | None = None
    url: str | None = None
    size: int | None = None


class ChatImage(WBModel):
    date: str | None = None
    download_id: str | None = Field(default=None, alias="downloadID")
    url: str | None = None


class EventAttachments(WBModel):
    good_card: GoodCard | None = Field(default=None, alias="goodCard")
    files: Annotated[list[ChatFile], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    images: Annotated[list[ChatImage], BeforeValidator(_none_to_list)] = Field(default_factory=list)


class EventMessage(WBModel):
    text: str | None = None
    attachments: EventAttachments | None = None


class ChatEvent(WBModel):
    chat_id: str = Field(alias="chatID")
    event_id: str = Field(alias="eventID")
    event_type: str = Field(default="message", alias="eventType")
    is_new_chat: bool = Field(default=False, alias="isNewChat")
    message: EventMessage | None = None
    source: str | None = None
    add_timestamp: int = Field(alias="addTimestamp")  # Unix ms
    add_time: OptDatetime = Field(default=None, alias="addTime")
    reply_sign: str | None = Field(default=None, alias="replySign")  # only when isNewChat
    sender: str = "client"  # client | seller | wb
    client_name: str | None = Field(default=None, alias="clientName")


class EventsPage(WBModel):
    """One page of the events stream; call again with ``next`` until ``total_events == 0``."""

    next: int | None = None
    newest_event_time: OptDatetime = Field(default=None, alias="newestEventTime")
    oldest_event_time: OptDatetime = Field(default=None, alias="oldestEventTime")
    total_events: int = Field(default=0, alias="totalEvents")
    events: Annotated[list[ChatEvent], BeforeValidator(_none_to_list)] = Field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.total_events == 0


class SendResult(WBModel):
    """``result`` of a sent chat message; ``errors`` are WB's file-upload errors."""

    add_time: int | None = Field(default=None, alias="addTime")  # Unix ms
    chat_id: str | None = Field(default=None, alias="chatID")
    sign: str | None = None
    errors: list[str] = Field(default_factory=list)


class DownloadedFile(WBModel):
    content: bytes
    content_type: str


class DownloadPending(WBModel):
    """202: the file is under moderation; ask again after ``retry_seconds``."""

    moderation_state: str = Field(default="pending", alias="moderationState")
    retry_seconds: int = Field(default=30, alias="retrySeconds")


class DownloadRejected(WBModel):
    """451: moderation failed; the file will never be available."""

    detail: str = ""


DownloadResult = DownloadedFile | DownloadPending | DownloadRejected


# --- content cards --------------------------------------------------------------------------


class CardPhoto(WBModel):
    big: str | None = None
    c246x328: str | None = None
    c516x688: str | None = None
    square: str | None = None
    tm: str | None = None


class Characteristic(WBModel):
    id: int | None = None
    name: str | None = None
    value: Any = None  # WB sends a list of strings, a number or a string


class CardSize(WBModel):
    chrt_id: int | None = Field(default=None, alias="chrtID")
    tech_size: str | None = Field(default=None, alias="techSize")
    wb_size: str | None = Field(default=None, alias="wbSize")
    skus: Annotated[list[str], BeforeValidator(_none_to_list)] = Field(default_factory=list)


class CardTag(WBModel):
    id: int | None = None
    name: str | None = None
    color: str | None = None


class Card(RawModel):
    nm_id: int = Field(alias="nmID")
    imt_id: int | None = Field(default=None, alias="imtID")
    nm_uuid: str | None = Field(default=None, alias="nmUUID")
    subject_id: int | None = Field(default=None, alias="subjectID")
    subject_name: str | None = Field(default=None, alias="subjectName")
    vendor_code: Str = Field(default="", alias="vendorCode")
    brand: str | None = None
    title: Str = ""
    description: str | None = None
    need_kiz: bool | None = Field(default=None, alias="needKiz")
    kiz_marked: bool | None = Field(default=None, alias="kizMarked")
    photos: Annotated[list[CardPhoto], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    video: str | None = None
    characteristics: Annotated[list[Characteristic], BeforeValidator(_none_to_list)] = Field(
        default_factory=list
    )
    sizes: Annotated[list[CardSize], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    tags: Annotated[list[CardTag], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    created_at: OptDatetime = Field(default=None, alias="createdAt")
    updated_at: OptDatetime = Field(default=None, alias="updatedAt")


class CardsCursor(WBModel):
    """Paging position. ``updated_at`` stays the exact string WB sent, to be echoed back."""

    updated_at: str | None = Field(default=None, alias="updatedAt")
    nm_id: int | None = Field(default=None, alias="nmID")
    total: int = 0


class CardsPage(WBModel):
    cards: Annotated[list[Card], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    cursor: CardsCursor = Field(default_factory=CardsCursor)

    def is_last(self, limit: int) -> bool:
        """WB's end rule: ``cursor.total`` below the requested ``limit``."""
        return self.cursor.total < limit


# --- prices ---------------------------------------------------------------------------------


class PriceSize(WBModel):
    size_id: int | None = Field(default=None, alias="sizeID")
    price: int | None = None
    discounted_price: float | None = Field(default=None, alias="discountedPrice")
    club_discounted_price: float | None = Field(default=None, alias="clubDiscountedPrice")
    tech_size_name: str | None = Field(default=None, alias="techSizeName")


class GoodsPrice(WBModel):
    nm_id: int = Field(alias="nmID")
    vendor_code: Str = Field(default="", alias="vendorCode")
    sizes: Annotated[list[PriceSize], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    currency_iso_code_4217: str | None = Field(default=None, alias="currencyIsoCode4217")
    discount: int | None = None
    club_discount: int | None = Field(default=None, alias="clubDiscount")
    editable_size_price: bool | None = Field(default=None, alias="editableSizePrice")
    is_bad_turnover: bool | None = Field(default=None, alias="isBadTurnover")


class GoodsPriceList(WBModel):
    list_goods: Annotated[list[GoodsPrice], BeforeValidator(_none_to_list)] = Field(
        default_factory=list, alias="listGoods"
    )


HostName = Literal["feedbacks", "chat", "content", "common", "prices"]
