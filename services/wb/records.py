"""Feedback pages as reviews sync reads them: the stored fields only, decoded by msgspec.

Sync reads hundreds of thousands of feedbacks per store, and the whole-path target (10,000
reviews/s on two cores shared with PostgreSQL) leaves no room for building every field of
every feedback as pydantic does. msgspec decodes the body straight into these structs in one
pass, skipping the fields sync does not store without building them; that is about three
times cheaper than pydantic's parser plus a validation of the parsed objects.

The checks are those of the pydantic `Feedback` for the same fields (a test compares both on
the same pages): `answer`, `photoLinks` and `video` are kept as the exact JSON WB sent (sync
stores them verbatim) and their shapes are checked separately; a `null` string stays `None`
and is read as `""`. Everything else the client returns stays a pydantic model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

NULL = msgspec.Raw(b"null")


class _Record(msgspec.Struct, rename="camel"):
    """Struct base: WB's camelCase keys; unknown keys are skipped unread."""


class FeedbackAnswerShape(_Record):
    text: str | None = ""
    state: str | None = None
    editable: bool | None = None


class _Photo(_Record):
    full_size: str | None = None
    mini_size: str | None = None


class _Video(_Record):
    preview_image: str | None = None
    link: str | None = None
    duration_sec: int | None = None


class FeedbackProduct(_Record):
    nm_id: int
    product_name: str | None = ""
    supplier_article: str | None = None


class FeedbackRecord(_Record):
    """One feedback's stored fields; `answer`, `photo_links`, `video` are raw JSON."""

    id: str
    product_valuation: int
    created_date: datetime
    product_details: FeedbackProduct
    text: str | None = ""
    pros: str | None = ""
    cons: str | None = ""
    answer: msgspec.Raw = NULL
    photo_links: msgspec.Raw = NULL
    video: msgspec.Raw = NULL
    user_name: str | None = ""
    supplier_feedback_valuation: int | None = None
    supplier_product_valuation: int | None = None


class _Page(_Record):
    feedbacks: list[FeedbackRecord] | None = None


class _Envelope(_Record):
    data: _Page | None = None
    error: Any = None


@dataclass(slots=True)
class FeedbackRecords:
    """A feedbacks page for sync, and each one's checked answer (same order)."""

    feedbacks: list[FeedbackRecord]
    answers: list[FeedbackAnswerShape | None]


class RecordsShapeError(ValueError):
    """The page decoded as JSON but a stored field has the wrong shape; `where` says which."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


_ENVELOPE = msgspec.json.Decoder(_Envelope, strict=False)
_ANSWER = msgspec.json.Decoder(FeedbackAnswerShape | None, strict=False)
_PHOTOS = msgspec.json.Decoder(list[_Photo] | None, strict=False)
_VIDEO = msgspec.json.Decoder(_Video | None, strict=False)
_PATH_PART = re.compile(r"\[(\d+)\]")
_ERROR_AT = re.compile(r"^(?P<message>.*) - at `\$(?P<path>[^`]*)`$")


def json_text(raw: msgspec.Raw) -> str | None:
    """The raw JSON as text for a jsonb staging column, or None for a JSON null."""
    if raw is NULL:
        return None
    data = bytes(raw)
    return None if data == b"null" else data.decode()


def _dotted(path: str) -> str:
    """msgspec's ``.data.feedbacks[3].answer`` as ``feedbacks.3.answer``."""
    return _PATH_PART.sub(r".\1", path).removeprefix(".data.").lstrip(".")


def decode_feedback_page(body: bytes) -> FeedbackRecords | None:
    """The page's records; None when the body is not a plain success envelope.

    The caller reads a None the general way (JSON errors, WB's error envelopes). A success
    envelope whose stored fields have the wrong shape raises `RecordsShapeError`.
    """
    try:
        envelope = _ENVELOPE.decode(body)
    except msgspec.ValidationError as exc:
        raise _shape_error(str(exc), "") from None
    except msgspec.DecodeError:
        return None
    if envelope.error is True or envelope.data is None:
        return None
    items = envelope.data.feedbacks or []
    answers: list[FeedbackAnswerShape | None] = [None] * len(items)
    for i, fb in enumerate(items):
        if fb.answer is not NULL:
            answers[i] = _check(_ANSWER, fb.answer, f"[{i}].answer")
        if fb.photo_links is not NULL:
            _check(_PHOTOS, fb.photo_links, f"[{i}].photoLinks")
        if fb.video is not NULL:
            _check(_VIDEO, fb.video, f"[{i}].video")
    return FeedbackRecords(items, answers)


def _check(decoder: msgspec.json.Decoder[Any], raw: msgspec.Raw, where: str) -> Any:
    """A raw field decoded as its shape; `where` is its place in the page's feedbacks."""
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise _shape_error(str(exc), f".data.feedbacks{where}") from None


def _shape_error(text: str, prefix: str) -> RecordsShapeError:
    match = _ERROR_AT.match(text)
    message, path = (match["message"], match["path"]) if match else (text, "")
    return RecordsShapeError(_dotted(prefix + path), message)
