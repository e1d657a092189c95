"""One seller's data inside the WB emulator, with the indexes the endpoints page over.

Feedback model (wb-api.md §4.2, §4.8). A feedback is *archived* when it is answered, when it is
unanswered and older than the archive age (30 days), or when it has no text, pros, cons and no
photos. From that:

* ``isAnswered=false`` lists unanswered feedbacks that are not archived (the portal's "waiting
  for an answer" tab); its size is ``countUnanswered``;
* ``isAnswered=true`` lists every answered feedback;
* ``/feedbacks/archive`` lists every archived one; its size is ``countArchive``.

So an answered feedback shows in both the answered list and the archive (clients dedupe by
id), while unanswered feedbacks that aged out or are empty are reachable only through the
archive. ``/feedbacks/count`` counts exactly what the list with the same filters would return.
Lists are ordered by ``createdDate`` then id, newest first unless ``order=dateAsc``; date
filters are inclusive Unix seconds.

Questions: ``isAnswered=false`` is state ``suppliersPortalSynch``; ``isAnswered=true`` is
``wbRu`` (answered) or ``none`` (rejected by the seller).

Chat events form one per-seller stream ordered by ``addTimestamp`` (ms). A page holds the
events strictly after ``next``; a page is never cut between two events with the same
timestamp, so ``next`` = the last event's timestamp never skips one.

Cards page in (``updatedAt``, ``nmID``) order; a cursor means "strictly after this key" in the
requested direction.

Nothing here reads the clock: callers pass times (epoch seconds, ms, us or ns as named).
"""

from __future__ import annotations

import base64
import secrets
import uuid
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Literal

MSK = timezone(timedelta(hours=3))
DAY = 86400

FeedbackKind = Literal["unanswered", "answered", "archive"]


# --------------------------------------------------------------------------- time formats


@lru_cache(maxsize=1 << 20)
def fmt_msk(ts: int) -> str:
    """Feedback times: ``2024-09-26T10:20:48+03:00`` (cached: every page repeats them)."""
    return datetime.fromtimestamp(ts, MSK).isoformat()


def fmt_utc(ts: int) -> str:
    """Second-precision UTC: ``2023-10-23T05:02:20Z``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fmt_utc_ms(ms: int) -> str:
    """Millisecond UTC: ``2023-10-23T08:02:19.594Z``."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S") + (
        f".{ms % 1000:03d}Z"
    )


def fmt_nano(ns: int) -> str:
    """Question times: ``2022-02-01T11:18:08.769513469Z`` (always 9 fractional digits)."""
    seconds, frac = divmod(ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def fmt_card_time(us: int) -> str:
    """Card times like Go's RFC3339Nano: ``2023-12-06T11:17:00.96577Z`` (zeros trimmed)."""
    seconds, frac = divmod(us, 1_000_000)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        base += "." + f"{frac:06d}".rstrip("0")
    return base + "Z"


def parse_time_us(value: str) -> int:
    """Any ISO-8601 time with offset or ``Z`` -> epoch microseconds (ValueError if bad)."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    delta = parsed - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * DAY + delta.seconds) * 1_000_000 + delta.microseconds


def random_id(length: int = 20) -> str:
    """A WB-looking id (base64url alphabet): 20 chars like ``YX52RZEBhH9mrcYdEJuD``."""
    raw = base64.urlsafe_b64encode(secrets.token_bytes((length * 3 + 3) // 4)).decode()
    return raw[:length]


def _num(value: float) -> float | int:
    """Whole floats as ints, as Go prints float64 (``350`` not ``350.0``)."""
    return int(value) if value == int(value) else round(value, 2)


# --------------------------------------------------------------------------- data classes


@dataclass(slots=True)
class Seller:
    sid: str
    name: str = "ИП Иванова А. С."
    trade_mark: str = "Уютный дом"
    tin: str = "771234567890"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "sid": self.sid, "tradeMark": self.trade_mark, "tin": self.tin}


@dataclass(slots=True)
class ProductDetails:
    """`productDetails` of a feedback or question (shared between many of them)."""

    nm_id: int
    imt_id: int
    product_name: str
    supplier_article: str | None
    supplier_name: str | None
    brand_name: str | None
    size: str = "0"

    def to_json(self) -> dict[str, Any]:
        return {
            "nmId": self.nm_id,
            "imtId": self.imt_id,
            "productName": self.product_name,
            "supplierArticle": self.supplier_article,
            "supplierName": self.supplier_name,
            "brandName": self.brand_name,
            "size": self.size,
        }

    def to_question_json(self) -> dict[str, Any]:
        """Questions carry no size, and WB's schema has no nulls there: missing is ``""``."""
        return {
            "nmId": self.nm_id,
            "imtId": self.imt_id,
            "productName": self.product_name,
            "supplierArticle": self.supplier_article or "",
            "supplierName": self.supplier_name or "",
            "brandName": self.brand_name or "",
        }


@dataclass(slots=True)
class FeedbackAnswer:
    text: str
    created: int  # epoch seconds
    state: str = "wbRu"  # none | wbRu | reviewRequired | rejected
    edited: bool = False


@dataclass(slots=True)
class Feedback:
    """A review. Field names are Pythonic; `to_json` gives WB's shape (wb-api.md §4.1)."""

    id: str
    text: str
    created: int  # epoch seconds
    product: ProductDetails
    valuation: int = 5
    pros: str = ""
    cons: str = ""
    answer: FeedbackAnswer | None = None
    photo_links: list[tuple[str, str]] | None = None  # (fullSize, miniSize)
    video: dict[str, Any] | None = None
    was_viewed: bool = False
    user_name: str = "Покупатель"
    order_status: str = "buyout"
    matching_size: str = ""
    able_feedback_valuation: bool = True
    feedback_valuation: int = 0
    able_product_valuation: bool = True
    product_valuation: int = 0
    able_return: bool = False
    return_date: str | None = None
    bables: list[str] | None = None
    last_order_shk_id: int = 0
    last_order_created: int = 0  # epoch seconds; 0 = three days before `created`
    color: str = ""
    subject_id: int = 0
    subject_name: str = ""
    parent_id: str | None = None
    child_id: str | None = None
    encoded: tuple[tuple[Any, ...], bytes] | None = field(default=None, repr=False, compare=False)
    """`to_json` as served, with the `shown_state` it was encoded in (see api_feedbacks)."""

    @property
    def answered(self) -> bool:
        return self.answer is not None

    @property
    def empty(self) -> bool:
        """No text and no photos: archived at once (wb-api.md §4.8)."""
        return not (self.text or self.pros or self.cons or self.photo_links)

    def answer_editable(self, now: int, edit_window: int) -> bool:
        a = self.answer
        return a is not None and not a.edited and now - a.created <= edit_window

    def shown_state(self, now: int, edit_window: int) -> tuple[Any, ...]:
        """What of `to_json` may change once the feedback is in a shop.

        The emulator's own writes change only these (answers, edits, valuations, viewed);
        any other field changes through `SellerState.update_feedback`, which drops the encoding.
        """
        a = self.answer
        return (
            None if a is None else (a.text, a.state, self.answer_editable(now, edit_window)),
            self.was_viewed,
            self.feedback_valuation,
            self.able_feedback_valuation,
            self.product_valuation,
            self.able_product_valuation,
        )

    def to_json(self, now: int, edit_window: int) -> dict[str, Any]:
        a = self.answer
        return {
            "id": self.id,
            "text": self.text,
            "pros": self.pros,
            "cons": self.cons,
            "productValuation": self.valuation,
            "createdDate": fmt_msk(self.created),
            "answer": None
            if a is None
            else {
                "text": a.text,
                "state": a.state,
                "editable": not a.edited and now - a.created <= edit_window,
            },
            "state": "none" if a is None else "wbRu",
            "productDetails": self.product.to_json(),
            "video": self.video,
            "wasViewed": self.was_viewed,
            "photoLinks": None
            if self.photo_links is None
            else [{"fullSize": f, "miniSize": m} for f, m in self.photo_links],
            "userName": self.user_name,
            "orderStatus": self.order_status,
            "matchingSize": self.matching_size,
            "isAbleSupplierFeedbackValuation": self.able_feedback_valuation,
            "supplierFeedbackValuation": self.feedback_valuation,
            "isAbleSupplierProductValuation": self.able_product_valuation,
            "supplierProductValuation": self.product_valuation,
            "isAbleReturnProductOrders": self.able_return,
            "returnProductOrdersDate": self.return_date,
            "bables": self.bables,
            "lastOrderShkId": self.last_order_shk_id,
            "lastOrderCreatedAt": fmt_msk(self.last_order_created or self.created - 3 * DAY),
            "color": self.color,
            "subjectId": self.subject_id,
            "subjectName": self.subject_name,
            "parentFeedbackId": self.parent_id,
            "childFeedbackId": self.child_id,
        }


QUESTION_NEW = "suppliersPortalSynch"


@dataclass(slots=True)
class QuestionAnswer:
    text: str
    created_ns: int
    edited: bool = False


@dataclass(slots=True)
class Question:
    id: str
    text: str
    created_ns: int  # epoch nanoseconds
    product: ProductDetails
    state: str = QUESTION_NEW  # suppliersPortalSynch | wbRu | none
    answer: QuestionAnswer | None = None
    was_viewed: bool = False
    is_warned: bool = False

    @property
    def created(self) -> int:
        return self.created_ns // 1_000_000_000

    @property
    def answered(self) -> bool:
        return self.state != QUESTION_NEW

    def to_json(self, now: int, edit_window: int) -> dict[str, Any]:
        a = self.answer
        return {
            "id": self.id,
            "text": self.text,
            "createdDate": fmt_nano(self.created_ns),
            "state": self.state,
            "answer": None
            if a is None
            else {
                "text": a.text,
                "editable": self.state == "wbRu"
                and not a.edited
                and now - a.created_ns // 1_000_000_000 <= edit_window,
                "createDate": fmt_nano(a.created_ns),
            },
            "productDetails": self.product.to_question_json(),
            "wasViewed": self.was_viewed,
            "isWarned": self.is_warned,
        }


@dataclass(slots=True)
class GoodCard:
    nm_id: int
    price: int
    rid: str
    size: str = "0"
    currency: str = "RUB"

    def to_json(self) -> dict[str, Any]:
        return {
            "nmID": self.nm_id,
            "price": self.price,
            "priceCurrency": self.currency,
            "rid": self.rid,
            "size": self.size,
        }


ModerationState = Literal["ok", "pending", "blocked"]


@dataclass(slots=True)
class Attachment:
    """A chat file or image that `/seller/download/{id}` serves."""

    download_id: str
    name: str
    content_type: str
    date_ms: int
    data: bytes | None = None  # None: a small valid file of `content_type` is made on demand
    moderation: ModerationState = "ok"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def size(self) -> int:
        return len(self.body())

    @property
    def url(self) -> str:
        ext = {"application/pdf": "pdf", "image/png": "png"}.get(self.content_type, "jpg")
        return (
            f"https://chat-basket-01.wbbasket.ru/vol0/part{self.date_ms % 9000 + 1000}/"
            f"{self.download_id}/{ext}/{self.download_id}.{ext}"
        )

    def body(self) -> bytes:
        if self.data is None:
            self.data = sample_file(self.content_type, self.download_id)
        return self.data

    def to_json(self) -> dict[str, Any]:
        if self.is_image:
            return {
                "date": fmt_utc_ms(self.date_ms),
                "downloadID": self.download_id,
                "url": self.url,
            }
        return {
            "contentType": self.content_type,
            "date": fmt_utc_ms(self.date_ms),
            "downloadID": self.download_id,
            "name": self.name,
            "url": self.url,
            "size": self.size,
        }


_PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
_JPEG_HEAD = bytes.fromhex("ffd8ffe000104a46494600010100000100010000")


def sample_file(content_type: str, seed: str) -> bytes:
    """A tiny file that starts with the right magic bytes."""
    if content_type == "image/png":
        return _PNG_1PX
    if content_type == "application/pdf":
        return (
            b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% "
            + seed.encode()
            + b"\ntrailer<<>>\n%%EOF\n"
        )
    return _JPEG_HEAD + seed.encode() + b"\xff\xd9"


Sender = Literal["client", "seller", "wb"]


@dataclass(slots=True)
class Chat:
    chat_id: str
    reply_sign: str
    client_name: str
    good_card: GoodCard | None = None
    last_text: str | None = None
    last_ts: int = 0  # ms of the last event that carried a message

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "chatID": self.chat_id,
            "replySign": self.reply_sign,
            "clientName": self.client_name,
        }
        if self.good_card is not None:
            data["goodCard"] = self.good_card.to_json()
        if self.last_text is not None:
            data["lastMessage"] = {"text": self.last_text, "addTimestamp": self.last_ts}
        return data


@dataclass(slots=True)
class ChatEvent:
    chat_id: str
    event_id: str
    ts_ms: int
    sender: Sender
    source: str = "rusite"
    text: str | None = None
    is_new_chat: bool = False
    reply_sign: str | None = None  # only shown when is_new_chat
    client_name: str | None = None
    good_card: GoodCard | None = None
    files: list[Attachment] = field(default_factory=list)
    images: list[Attachment] = field(default_factory=list)

    @property
    def has_message(self) -> bool:
        return (
            self.text is not None
            or self.good_card is not None
            or bool(self.files)
            or bool(self.images)
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "chatID": self.chat_id,
            "eventID": self.event_id,
            "eventType": "message",
        }
        if self.is_new_chat:
            data["isNewChat"] = True
        if self.has_message:
            message: dict[str, Any] = {}
            attachments: dict[str, Any] = {}
            if self.good_card is not None:
                attachments["goodCard"] = self.good_card.to_json()
            if self.files:
                attachments["files"] = [f.to_json() for f in self.files]
            if self.images:
                attachments["images"] = [i.to_json() for i in self.images]
            if attachments:
                message["attachments"] = attachments
            if self.text is not None:
                message["text"] = self.text
            data["message"] = message
            data["source"] = self.source
        data["addTimestamp"] = self.ts_ms
        data["addTime"] = fmt_utc(self.ts_ms // 1000)
        if self.is_new_chat and self.reply_sign:
            data["replySign"] = self.reply_sign
        data["sender"] = self.sender
        if self.client_name is not None and self.sender == "client":
            data["clientName"] = self.client_name
        return data


@dataclass(slots=True)
class CardSize:
    chrt_id: int
    tech_size: str
    wb_size: str
    skus: list[str]


@dataclass(slots=True)
class Card:
    nm_id: int
    imt_id: int
    vendor_code: str
    title: str
    brand: str
    subject_id: int
    subject_name: str
    created_us: int
    updated_us: int
    sizes: list[CardSize]
    nm_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    description: str = ""
    photo_count: int = 3
    video: str = ""
    characteristics: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    need_kiz: bool = False
    kiz_marked: bool = False
    dimensions: tuple[int, int, int, float] = (30, 20, 10, 0.5)
    in_trash: bool = False

    def photos(self) -> list[dict[str, str]]:
        nm = self.nm_id
        base = f"https://basket-10.wbbasket.ru/vol{nm // 100000}/part{nm // 1000}/{nm}/images"
        return [
            {k: f"{base}/{k}/{i}.webp" for k in ("big", "c246x328", "c516x688", "square", "tm")}
            for i in range(1, self.photo_count + 1)
        ]

    def to_json(self) -> dict[str, Any]:
        length, width, height, weight = self.dimensions
        return {
            "nmID": self.nm_id,
            "imtID": self.imt_id,
            "nmUUID": self.nm_uuid,
            "subjectID": self.subject_id,
            "subjectName": self.subject_name,
            "vendorCode": self.vendor_code,
            "brand": self.brand,
            "title": self.title,
            "description": self.description,
            "needKiz": self.need_kiz,
            "kizMarked": self.kiz_marked,
            "photos": self.photos(),
            "video": self.video,
            "wholesale": {"enabled": False, "quantum": 0},
            "dimensions": {
                "length": length,
                "width": width,
                "height": height,
                "weightBrutto": weight,
                "isValid": True,
            },
            "characteristics": self.characteristics,
            "sizes": [
                {"chrtID": s.chrt_id, "techSize": s.tech_size, "wbSize": s.wb_size, "skus": s.skus}
                for s in self.sizes
            ],
            "tags": self.tags,
            "createdAt": fmt_card_time(self.created_us),
            "updatedAt": fmt_card_time(self.updated_us),
        }


@dataclass(slots=True)
class PriceSize:
    size_id: int  # = chrtID
    price: int
    tech_size_name: str


@dataclass(slots=True)
class Price:
    nm_id: int
    vendor_code: str
    sizes: list[PriceSize]
    discount: int = 0
    club_discount: int = 0
    editable_size_price: bool = False
    is_bad_turnover: bool = False
    currency: str = "RUB"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "nmID": self.nm_id,
            "vendorCode": self.vendor_code,
            "sizes": [
                {
                    "sizeID": s.size_id,
                    "price": s.price,
                    "discountedPrice": _num(s.price * (100 - self.discount) / 100),
                    "clubDiscountedPrice": _num(
                        s.price * (100 - self.discount) * (100 - self.club_discount) / 10000
                    ),
                    "techSizeName": s.tech_size_name,
                }
                for s in self.sizes
            ],
            "currencyIsoCode4217": self.currency,
            "discount": self.discount,
            "clubDiscount": self.club_discount,
            "editableSizePrice": self.editable_size_price,
        }
        if self.is_bad_turnover:
            data["isBadTurnover"] = True
        return data


# --------------------------------------------------------------------------- seller state

_Key = tuple[int, str]  # (created seconds, id)


class SellerState:
    """All of one seller's data plus sorted indexes; mutate it only through these methods."""

    def __init__(self, seller: Seller | None = None) -> None:
        self.seller = seller or Seller(sid=str(uuid.uuid4()))
        self.feedbacks: dict[str, Feedback] = {}
        self.questions: dict[str, Question] = {}
        self.chats: dict[str, Chat] = {}
        self.events: list[ChatEvent] = []
        self.attachments: dict[str, Attachment] = {}
        self.cards: dict[int, Card] = {}
        self.prices: dict[int, Price] = {}
        self.version = 0
        # feedback indexes, each sorted by (created, id)
        self._fb_open: list[_Key] = []  # unanswered, not empty (archived once old)
        self._fb_empty: list[_Key] = []  # unanswered, empty (always archived)
        self._fb_answered: list[_Key] = []
        self._fb_views: dict[tuple[Any, ...], list[_Key]] = {}
        self._q_open: list[_Key] = []
        self._q_answered: list[_Key] = []
        self._event_ts: list[int] = []
        self._chat_by_sign: dict[str, str] = {}
        self._card_keys: list[tuple[int, int]] = []  # (updated_us, nm_id), cards not in trash
        self._price_order: list[int] | None = None

    @property
    def sid(self) -> str:
        return self.seller.sid

    def _changed(self, *, feedbacks: bool = False) -> None:
        self.version += 1
        if feedbacks:
            self._fb_views.clear()

    # ----------------------------------------------------------------- feedbacks: writes

    def _fb_index(self, fb: Feedback) -> list[_Key]:
        if fb.answer is not None:
            return self._fb_answered
        return self._fb_empty if fb.empty else self._fb_open

    def add_feedback(self, fb: Feedback) -> Feedback:
        """Add (or replace by id) one feedback."""
        if fb.id in self.feedbacks:
            self.remove_feedback(fb.id)
        self.feedbacks[fb.id] = fb
        insort(self._fb_index(fb), (fb.created, fb.id))
        self._changed(feedbacks=True)
        return fb

    def add_feedbacks(self, items: Iterable[Feedback]) -> None:
        """Bulk load (ids must be new): one sort per index instead of an insort each."""
        for fb in items:
            self.feedbacks[fb.id] = fb
            self._fb_index(fb).append((fb.created, fb.id))
        for index in (self._fb_open, self._fb_empty, self._fb_answered):
            index.sort()
        self._changed(feedbacks=True)

    def remove_feedback(self, feedback_id: str) -> Feedback | None:
        """The review vanishes (deleted by WB or by the buyer)."""
        fb = self.feedbacks.pop(feedback_id, None)
        if fb is not None:
            index = self._fb_index(fb)
            pos = bisect_left(index, (fb.created, fb.id))
            if pos < len(index) and index[pos] == (fb.created, fb.id):
                del index[pos]
            self._changed(feedbacks=True)
        return fb

    def update_feedback(self, feedback_id: str, **changes: Any) -> Feedback:
        """Change any fields (e.g. ``feedback_valuation=11``, ``text=""``) and reindex."""
        fb = self.remove_feedback(feedback_id)
        if fb is None:
            raise KeyError(feedback_id)
        for name, value in changes.items():
            if not hasattr(fb, name):
                raise AttributeError(name)
            setattr(fb, name, value)
        fb.encoded = None
        return self.add_feedback(fb)

    def set_feedback_valuation(
        self,
        feedback_id: str,
        *,
        feedback_valuation: int | None = None,
        product_valuation: int | None = None,
    ) -> Feedback:
        """What WB shows after a complaint was filed in the portal (wb-api.md §4.9)."""
        fb = self.feedbacks[feedback_id]
        if feedback_valuation is not None:
            fb.feedback_valuation = feedback_valuation
            fb.able_feedback_valuation = False
        if product_valuation is not None:
            fb.product_valuation = product_valuation
            fb.able_product_valuation = False
        self._changed(feedbacks=True)
        return fb

    def answer_feedback(self, feedback_id: str, text: str, *, at: int, state: str = "wbRu") -> bool:
        """First answer. False (nothing changes) if unknown or already answered."""
        fb = self.feedbacks.get(feedback_id)
        if fb is None or fb.answer is not None:
            return False
        self.update_feedback(feedback_id, answer=FeedbackAnswer(text, at, state), was_viewed=True)
        return True

    def edit_feedback_answer(self, feedback_id: str, text: str, *, at: int, window: int) -> bool:
        """The one edit WB allows within `window` seconds of the answer."""
        fb = self.feedbacks.get(feedback_id)
        if fb is None or not fb.answer_editable(at, window):
            return False
        assert fb.answer is not None
        fb.answer.text = text
        fb.answer.edited = True
        self._changed(feedbacks=True)
        return True

    def land_feedback(
        self,
        text: str = "Отличный товар, рекомендую!",
        *,
        valuation: int = 5,
        created: int,
        nm_id: int | None = None,
        feedback_id: str | None = None,
        photos: int = 0,
        **fields: Any,
    ) -> Feedback:
        """A new buyer review arrives; product details come from the seller's card `nm_id`."""
        product = self.product_details(nm_id)
        fid = feedback_id or random_id()
        links = (
            [
                (
                    f"https://feedback04.wbbasket.ru/vol{i}/part{i}/{fid}/photos/fs.webp",
                    f"https://feedback04.wbbasket.ru/vol{i}/part{i}/{fid}/photos/ms.webp",
                )
                for i in range(1, photos + 1)
            ]
            if photos
            else None
        )
        card = self.cards.get(product.nm_id)
        fb = Feedback(
            id=fid,
            text=text,
            created=created,
            product=product,
            valuation=valuation,
            photo_links=links,
            subject_id=card.subject_id if card else 0,
            subject_name=card.subject_name if card else "",
            **fields,
        )
        return self.add_feedback(fb)

    def product_details(self, nm_id: int | None = None, size: str = "0") -> ProductDetails:
        """Details as WB puts them into feedbacks/questions for a card of this seller."""
        card = self.cards.get(nm_id) if nm_id is not None else next(iter(self.cards.values()), None)
        if card is None:
            nm = nm_id if nm_id is not None else 100000001
            return ProductDetails(nm, nm + 7, "Товар", None, self.seller.name, None, size)
        return ProductDetails(
            card.nm_id,
            card.imt_id,
            card.title,
            card.vendor_code,
            self.seller.name,
            card.brand,
            card.sizes[0].tech_size if card.sizes else size,
        )

    # ----------------------------------------------------------------- feedbacks: reads

    def _fb_view(self, kind: FeedbackKind, nm_id: int | None, cutoff: int) -> list[_Key]:
        """Sorted keys of one list; unanswered feedbacks created before `cutoff` are archived."""
        cut = bisect_left(self._fb_open, (cutoff,))
        cache_key = (kind, nm_id, cut)
        view = self._fb_views.get(cache_key)
        if view is not None:
            return view
        if kind == "unanswered":
            view = self._fb_open[cut:]
        elif kind == "answered":
            view = self._fb_answered
        else:
            view = sorted(self._fb_answered + self._fb_empty + self._fb_open[:cut])
        if nm_id is not None:
            feedbacks = self.feedbacks
            view = [k for k in view if feedbacks[k[1]].product.nm_id == nm_id]
        if len(self._fb_views) > 64:
            self._fb_views.clear()
        self._fb_views[cache_key] = view
        return view

    def feedback_page(
        self,
        kind: FeedbackKind,
        *,
        cutoff: int,
        skip: int,
        take: int,
        descending: bool = True,
        nm_id: int | None = None,
        date_from: int | None = None,
        date_to: int | None = None,
    ) -> list[Feedback]:
        view = self._fb_view(kind, nm_id, cutoff)
        lo, hi = self._window(view, date_from, date_to)
        return [self.feedbacks[k[1]] for k in _page(view, lo, hi, skip, take, descending)]

    def count_feedbacks(
        self,
        kind: FeedbackKind,
        *,
        cutoff: int,
        date_from: int | None = None,
        date_to: int | None = None,
    ) -> int:
        if kind == "archive" and date_from is None and date_to is None:
            # without building the merged archive view (that is paid only when paging it)
            aged = bisect_left(self._fb_open, (cutoff,))
            return len(self._fb_answered) + len(self._fb_empty) + aged
        lo, hi = self._window(self._fb_view(kind, None, cutoff), date_from, date_to)
        return hi - lo

    def unanswered_since(self, cutoff: int, since: int) -> int:
        """Unanswered, not archived, created at or after `since`."""
        return len(self._fb_open) - bisect_left(self._fb_open, (max(cutoff, since),))

    def has_unviewed_feedbacks(self) -> bool:
        return any(not fb.was_viewed for fb in self.feedbacks.values())

    @staticmethod
    def _window(view: list[_Key], date_from: int | None, date_to: int | None) -> tuple[int, int]:
        lo = 0 if date_from is None else bisect_left(view, (date_from,))
        hi = len(view) if date_to is None else bisect_left(view, (date_to + 1,))
        return lo, max(lo, hi)

    # ----------------------------------------------------------------- questions

    def _q_index(self, q: Question) -> list[_Key]:
        return self._q_answered if q.answered else self._q_open

    def add_question(self, q: Question) -> Question:
        if q.id in self.questions:
            self.remove_question(q.id)
        self.questions[q.id] = q
        insort(self._q_index(q), (q.created, q.id))
        self._changed()
        return q

    def add_questions(self, items: Iterable[Question]) -> None:
        for q in items:
            self.questions[q.id] = q
            self._q_index(q).append((q.created, q.id))
        self._q_open.sort()
        self._q_answered.sort()
        self._changed()

    def remove_question(self, question_id: str) -> Question | None:
        q = self.questions.pop(question_id, None)
        if q is not None:
            index = self._q_index(q)
            pos = bisect_left(index, (q.created, q.id))
            if pos < len(index) and index[pos] == (q.created, q.id):
                del index[pos]
            self._changed()
        return q

    def update_question(self, question_id: str, **changes: Any) -> Question:
        q = self.remove_question(question_id)
        if q is None:
            raise KeyError(question_id)
        for name, value in changes.items():
            if not hasattr(q, name):
                raise AttributeError(name)
            setattr(q, name, value)
        return self.add_question(q)

    def land_question(
        self,
        text: str = "Подскажите, какой размер выбрать?",
        *,
        created_ns: int,
        nm_id: int | None = None,
        question_id: str | None = None,
    ) -> Question:
        return self.add_question(
            Question(question_id or random_id(), text, created_ns, self.product_details(nm_id))
        )

    def question_page(
        self,
        answered: bool,
        *,
        skip: int,
        take: int,
        descending: bool = True,
        nm_id: int | None = None,
        date_from: int | None = None,
        date_to: int | None = None,
    ) -> list[Question]:
        view = self._q_answered if answered else self._q_open
        if nm_id is not None:
            view = [k for k in view if self.questions[k[1]].product.nm_id == nm_id]
        lo, hi = self._window(view, date_from, date_to)
        return [self.questions[k[1]] for k in _page(view, lo, hi, skip, take, descending)]

    def count_questions(
        self, answered: bool, *, date_from: int | None = None, date_to: int | None = None
    ) -> int:
        lo, hi = self._window(self._q_answered if answered else self._q_open, date_from, date_to)
        return hi - lo

    def unanswered_questions_since(self, since: int) -> int:
        return len(self._q_open) - bisect_left(self._q_open, (since,))

    # ----------------------------------------------------------------- chats

    def add_chat(self, chat: Chat) -> Chat:
        self.chats[chat.chat_id] = chat
        self._chat_by_sign[chat.reply_sign] = chat.chat_id
        self._changed()
        return chat

    def chat_by_sign(self, reply_sign: str) -> Chat | None:
        chat_id = self._chat_by_sign.get(reply_sign)
        return None if chat_id is None else self.chats.get(chat_id)

    def add_event(self, event: ChatEvent) -> ChatEvent:
        """Insert an event in timestamp order (after any with the same timestamp)."""
        pos = bisect_right(self._event_ts, event.ts_ms)
        self._event_ts.insert(pos, event.ts_ms)
        self.events.insert(pos, event)
        for att in (*event.files, *event.images):
            self.attachments[att.download_id] = att
        chat = self.chats.get(event.chat_id)
        if chat is not None and event.has_message and event.ts_ms >= chat.last_ts:
            chat.last_ts = event.ts_ms
            chat.last_text = event.text or ""
        self._changed()
        return event

    def add_events(self, events: Iterable[ChatEvent]) -> None:
        """Bulk load: one sort."""
        for event in events:
            self.events.append(event)
            for att in (*event.files, *event.images):
                self.attachments[att.download_id] = att
        self.events.sort(key=lambda e: e.ts_ms)
        self._event_ts = [e.ts_ms for e in self.events]
        for event in self.events:
            chat = self.chats.get(event.chat_id)
            if chat is not None and event.has_message:
                chat.last_ts = event.ts_ms
                chat.last_text = event.text or ""
        self._changed()

    def next_event_ts(self, at_ms: int) -> int:
        """`at_ms`, moved past the newest event so a live stream never goes back in time."""
        return max(at_ms, self._event_ts[-1] + 1) if self._event_ts else at_ms

    def new_chat(
        self,
        client_name: str,
        text: str,
        *,
        at_ms: int,
        nm_id: int | None = None,
        price: int = 1990,
        source: str = "rusite",
    ) -> tuple[Chat, ChatEvent]:
        """A buyer opens a chat: the chat plus its first (`isNewChat`) event."""
        chat_uuid = str(uuid.uuid4())
        chat_id = f"1:{chat_uuid}"
        sign = f"{chat_id}:{secrets.randbelow(10**8)}:{secrets.token_hex(64)}"
        nm = nm_id if nm_id is not None else next(iter(self.cards), 100000001)
        card = GoodCard(nm, price, secrets.token_hex(16), "0")
        chat = self.add_chat(Chat(chat_id, sign, client_name, card))
        event = ChatEvent(
            chat_id=chat_id,
            event_id=str(uuid.uuid4()),
            ts_ms=self.next_event_ts(at_ms),
            sender="client",
            source=source,
            text=text,
            is_new_chat=True,
            reply_sign=sign,
            client_name=client_name,
            good_card=card,
        )
        return chat, self.add_event(event)

    def client_message(
        self,
        chat_id: str,
        text: str | None,
        *,
        at_ms: int,
        files: Iterable[Attachment] = (),
        images: Iterable[Attachment] = (),
        source: str = "rusite",
    ) -> ChatEvent:
        """A new buyer message in an existing chat."""
        chat = self.chats[chat_id]
        return self.add_event(
            ChatEvent(
                chat_id=chat_id,
                event_id=str(uuid.uuid4()),
                ts_ms=self.next_event_ts(at_ms),
                sender="client",
                source=source,
                text=text,
                client_name=chat.client_name,
                files=list(files),
                images=list(images),
            )
        )

    def seller_message(
        self,
        chat_id: str,
        text: str | None,
        *,
        at_ms: int,
        attachments: Iterable[Attachment] = (),
        source: str = "seller-public-api",
    ) -> ChatEvent:
        atts = list(attachments)
        return self.add_event(
            ChatEvent(
                chat_id=chat_id,
                event_id=str(uuid.uuid4()),
                ts_ms=self.next_event_ts(at_ms),
                sender="seller",
                source=source,
                text=text,
                files=[a for a in atts if not a.is_image],
                images=[a for a in atts if a.is_image],
            )
        )

    def events_after(self, after_ms: int | None, limit: int) -> list[ChatEvent]:
        ts = self._event_ts
        start = 0 if after_ms is None else bisect_right(ts, after_ms)
        end = min(len(ts), start + max(1, limit))
        while start < end < len(ts) and ts[end] == ts[end - 1]:
            end += 1
        return self.events[start:end]

    def add_attachment(self, attachment: Attachment) -> Attachment:
        self.attachments[attachment.download_id] = attachment
        return attachment

    # ----------------------------------------------------------------- cards and prices

    def add_card(self, card: Card, price: Price | None = None) -> Card:
        old = self.cards.get(card.nm_id)
        if old is not None:
            self._unindex_card(old)
        self.cards[card.nm_id] = card
        if not card.in_trash:
            insort(self._card_keys, (card.updated_us, card.nm_id))
        if price is not None:
            self.set_price(price)
        self._changed()
        return card

    def add_cards(self, cards: Iterable[Card]) -> None:
        for card in cards:
            self.cards[card.nm_id] = card
        self._card_keys = sorted(
            (c.updated_us, c.nm_id) for c in self.cards.values() if not c.in_trash
        )
        self._changed()

    def _unindex_card(self, card: Card) -> None:
        key = (card.updated_us, card.nm_id)
        pos = bisect_left(self._card_keys, key)
        if pos < len(self._card_keys) and self._card_keys[pos] == key:
            del self._card_keys[pos]

    def update_card(self, nm_id: int, *, at_us: int, **changes: Any) -> Card:
        """Edit a card: `updatedAt` moves to `at_us`, so incremental syncs see it again."""
        card = self.cards[nm_id]
        self._unindex_card(card)
        for name, value in changes.items():
            if not hasattr(card, name):
                raise AttributeError(name)
            setattr(card, name, value)
        card.updated_us = at_us
        if not card.in_trash:
            insort(self._card_keys, (card.updated_us, card.nm_id))
        self._changed()
        return card

    def trash_card(self, nm_id: int, *, at_us: int) -> Card:
        return self.update_card(nm_id, at_us=at_us, in_trash=True)

    def cards_page(
        self,
        *,
        ascending: bool,
        limit: int,
        after: tuple[int, int] | None,
        match: Callable[[Card], bool],
    ) -> list[Card]:
        keys = self._card_keys
        out: list[Card] = []
        if ascending:
            start = 0 if after is None else bisect_right(keys, after)
            positions: Iterable[int] = range(start, len(keys))
        else:
            stop = len(keys) if after is None else bisect_left(keys, after)
            positions = range(stop - 1, -1, -1)
        for pos in positions:
            card = self.cards[keys[pos][1]]
            if match(card):
                out.append(card)
                if len(out) >= limit:
                    break
        return out

    def set_price(self, price: Price) -> Price:
        self.prices[price.nm_id] = price
        self._price_order = None
        self._changed()
        return price

    def prices_sorted(self) -> list[int]:
        if self._price_order is None:
            self._price_order = sorted(self.prices)
        return self._price_order


def _page(view: list[_Key], lo: int, hi: int, skip: int, take: int, descending: bool) -> list[_Key]:
    if descending:
        end = hi - skip
        start = max(lo, end - take)
        return view[start:end][::-1] if end > lo else []
    start = lo + skip
    return view[start : min(hi, start + take)] if start < hi else []
