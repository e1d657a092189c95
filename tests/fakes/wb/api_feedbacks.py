"""Feedbacks and questions (host `feedbacks-api`, wb-api.md §4-5).

The list model (what is archived, what each list holds) is described in `state.py`.
Error texts WB documents are used verbatim; where WB documents only the status, the text here
is ours and says what was wrong.

Writes WB does not validate are accepted silently, as WB does: an answer to an unknown or
already answered feedback, or an edit that is no longer allowed, returns 204 and changes
nothing; such calls are listed in `stats.ignored_writes` so tests can still catch them.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, time
from typing import Any

from aiohttp import web

from tests.fakes.wb.context import Ctx, Handler, Route
from tests.fakes.wb.responses import dumps, envelope, envelope_error, envelope_of_items, fbapi_error
from tests.fakes.wb.state import MSK, Feedback, FeedbackKind, QuestionAnswer

FEEDBACK_TAKE_MAX = 5000
FEEDBACK_SKIP_MAX = 199990
QUESTION_WINDOW_MAX = 10000
ANSWER_MIN, ANSWER_MAX = 2, 5000

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}
_MIME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class BadParam(Exception):
    """A query parameter failed to parse; str(self) is the errorText."""


def parse_bool(value: str | None) -> bool | None:
    """Go's strconv.ParseBool, as WB's services use."""
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


def _int(
    query: Any, name: str, *, required: bool = False, lo: int | None = None, hi: int | None = None
) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        if required:
            raise BadParam(f"Плохой формат {name}")
        return None
    try:
        value = int(raw, 10)
    except ValueError:
        raise BadParam(f"Плохой формат {name}") from None
    if lo is not None and value < lo:
        raise BadParam(f"Плохой формат {name}: минимум {lo}")
    if hi is not None and value > hi:
        raise BadParam(f"Плохой формат {name}: максимум {hi}")
    return value


def _bool(query: Any, name: str, *, default: bool | None = None) -> bool:
    raw = query.get(name)
    if raw is None and default is not None:
        return default
    value = parse_bool(raw)
    if value is None:
        raise BadParam(f"Плохой формат {name}")
    return value


def _order_desc(query: Any) -> bool:
    order = query.get("order")
    if order in (None, "", "dateDesc"):
        return True
    if order == "dateAsc":
        return False
    raise BadParam("Плохой формат order")


def _today_start(ctx: Ctx) -> int:
    """Midnight in Moscow: WB's "today" for the *Today counters."""
    day = ctx.now.astimezone(MSK).date()
    return int(datetime.combine(day, time(0), MSK).timestamp())


def _guard(handler: Handler) -> Handler:
    """Turn a `BadParam` raised while parsing the query into WB's 400 envelope."""

    async def wrapped(ctx: Ctx) -> web.StreamResponse:
        try:
            return await handler(ctx)
        except BadParam as exc:
            return envelope_error(400, str(exc))

    return wrapped


# --------------------------------------------------------------------------- feedbacks


def _encoded(fb: Feedback, now: int, edit_window: int) -> bytes:
    """`fb.to_json` as served, encoded once per shown state.

    A benchmark shop of 200,000 reviews is served several times over (the archive repeats the
    answered list); encoding each time was most of the emulator's work, and the emulator
    shares the machine's cores with the sync it serves.
    """
    state = fb.shown_state(now, edit_window)
    if fb.encoded is None or fb.encoded[0] != state:
        fb.encoded = (state, dumps(fb.to_json(now, edit_window), fast=True))
    return fb.encoded[1]


@_guard
async def list_feedbacks(ctx: Ctx) -> web.StreamResponse:
    q = ctx.request.query
    answered = _bool(q, "isAnswered")
    take = _int(q, "take", required=True, lo=0, hi=FEEDBACK_TAKE_MAX)
    skip = _int(q, "skip", required=True, lo=0, hi=FEEDBACK_SKIP_MAX)
    assert take is not None and skip is not None
    kind: FeedbackKind = "answered" if answered else "unanswered"
    cutoff = ctx.archive_cutoff
    page = ctx.seller.feedback_page(
        kind,
        cutoff=cutoff,
        skip=skip,
        take=take,
        descending=_order_desc(q),
        nm_id=_int(q, "nmId"),
        date_from=_int(q, "dateFrom"),
        date_to=_int(q, "dateTo"),
    )
    now, window = ctx.now_ts, ctx.config.edit_window
    return envelope_of_items(
        {
            "countUnanswered": ctx.seller.count_feedbacks("unanswered", cutoff=cutoff),
            "countArchive": ctx.seller.count_feedbacks("archive", cutoff=cutoff),
        },
        "feedbacks",
        [_encoded(fb, now, window) for fb in page],
    )


@_guard
async def archive_feedbacks(ctx: Ctx) -> web.StreamResponse:
    q = ctx.request.query
    take = _int(q, "take", required=True, lo=0, hi=FEEDBACK_TAKE_MAX)
    skip = _int(q, "skip", required=True, lo=0, hi=FEEDBACK_SKIP_MAX)
    assert take is not None and skip is not None
    page = ctx.seller.feedback_page(
        "archive",
        cutoff=ctx.archive_cutoff,
        skip=skip,
        take=take,
        descending=_order_desc(q),
        nm_id=_int(q, "nmId"),
    )
    now, window = ctx.now_ts, ctx.config.edit_window
    return envelope_of_items({}, "feedbacks", [_encoded(fb, now, window) for fb in page])


@_guard
async def count_feedbacks(ctx: Ctx) -> web.StreamResponse:
    q = ctx.request.query
    answered = _bool(q, "isAnswered", default=True)
    count = ctx.seller.count_feedbacks(
        "answered" if answered else "unanswered",
        cutoff=ctx.archive_cutoff,
        date_from=_int(q, "dateFrom"),
        date_to=_int(q, "dateTo"),
    )
    return envelope(count)


async def count_unanswered_feedbacks(ctx: Ctx) -> web.StreamResponse:
    cutoff = ctx.archive_cutoff
    return envelope(
        {
            "countUnanswered": ctx.seller.count_feedbacks("unanswered", cutoff=cutoff),
            "countUnansweredToday": ctx.seller.unanswered_since(cutoff, _today_start(ctx)),
        }
    )


async def new_feedbacks_questions(ctx: Ctx) -> web.StreamResponse:
    s = ctx.seller
    return envelope(
        {
            "hasNewQuestions": any(not q.was_viewed for q in s.questions.values()),
            "hasNewFeedbacks": s.has_unviewed_feedbacks(),
        }
    )


async def get_feedback(ctx: Ctx) -> web.StreamResponse:
    fb = ctx.seller.feedbacks.get(ctx.request.query.get("id", ""))
    if fb is None:
        return envelope_error(422, "Невозможно получить отзыв по id")
    return envelope(fb.to_json(ctx.now_ts, ctx.config.edit_window))


async def _answer_body(ctx: Ctx) -> tuple[str, str] | web.Response:
    """Content-Type and body checks of the answer endpoints, with WB's fbapi 400 texts."""
    header = ctx.request.headers.get("Content-Type", "").strip()
    if not header:
        return fbapi_error("content-type header not specified")
    mime = header.split(";", 1)[0].strip()
    if not _MIME.match(mime):
        return fbapi_error(f"content-type is not a valid mime-type: {mime}")
    if mime.lower() != "application/json" and not mime.lower().endswith("+json"):
        return fbapi_error(f"not a json content-type: {mime}")
    try:
        body = json.loads(await ctx.request.read())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return fbapi_error("Неверный синтаксис JSON")
    if not isinstance(body, dict):
        return fbapi_error("Неверный синтаксис JSON")
    fid, text = body.get("id"), body.get("text")
    if not isinstance(fid, str) or not fid:
        return fbapi_error("id: обязательное поле")
    if not isinstance(text, str) or not ANSWER_MIN <= len(text) <= ANSWER_MAX:
        return fbapi_error(f"text: длина должна быть от {ANSWER_MIN} до {ANSWER_MAX} символов")
    return fid, text


async def answer_feedback(ctx: Ctx) -> web.StreamResponse:
    parsed = await _answer_body(ctx)
    if isinstance(parsed, web.Response):
        return parsed
    fid, text = parsed
    if ctx.seller.answer_feedback(fid, text, at=ctx.now_ts, state=ctx.config.answer_state):
        ctx.stats.feedback_answers.append((ctx.seller.sid, fid, text))
    else:
        ctx.stats.ignored_writes.append((ctx.seller.sid, "feedback_answer", fid))
    return web.Response(status=204)


async def edit_feedback_answer(ctx: Ctx) -> web.StreamResponse:
    parsed = await _answer_body(ctx)
    if isinstance(parsed, web.Response):
        return parsed
    fid, text = parsed
    if ctx.seller.edit_feedback_answer(fid, text, at=ctx.now_ts, window=ctx.config.edit_window):
        ctx.stats.feedback_edits.append((ctx.seller.sid, fid, text))
    else:
        ctx.stats.ignored_writes.append((ctx.seller.sid, "feedback_edit", fid))
    return web.Response(status=204)


# --------------------------------------------------------------------------- questions


@_guard
async def list_questions(ctx: Ctx) -> web.StreamResponse:
    q = ctx.request.query
    answered = _bool(q, "isAnswered")
    take = _int(q, "take", required=True, lo=0, hi=QUESTION_WINDOW_MAX)
    skip = _int(q, "skip", required=True, lo=0, hi=QUESTION_WINDOW_MAX)
    assert take is not None and skip is not None
    if take + skip > QUESTION_WINDOW_MAX:
        raise BadParam(f"Плохой формат take: take + skip не больше {QUESTION_WINDOW_MAX}")
    page = ctx.seller.question_page(
        answered,
        skip=skip,
        take=take,
        descending=_order_desc(q),
        nm_id=_int(q, "nmId"),
        date_from=_int(q, "dateFrom"),
        date_to=_int(q, "dateTo"),
    )
    now, window = ctx.now_ts, ctx.config.edit_window
    return envelope(
        {
            "countUnanswered": ctx.seller.count_questions(False),
            "countArchive": ctx.seller.count_questions(True),
            "questions": [item.to_json(now, window) for item in page],
        }
    )


async def get_question(ctx: Ctx) -> web.StreamResponse:
    item = ctx.seller.questions.get(ctx.request.query.get("id", ""))
    if item is None:
        return envelope_error(422, "Невозможно получить вопрос по id")
    return envelope(item.to_json(ctx.now_ts, ctx.config.edit_window))


@_guard
async def count_questions(ctx: Ctx) -> web.StreamResponse:
    q = ctx.request.query
    answered = _bool(q, "isAnswered", default=True)
    return envelope(
        ctx.seller.count_questions(
            answered, date_from=_int(q, "dateFrom"), date_to=_int(q, "dateTo")
        )
    )


async def count_unanswered_questions(ctx: Ctx) -> web.StreamResponse:
    return envelope(
        {
            "countUnanswered": ctx.seller.count_questions(False),
            "countUnansweredToday": ctx.seller.unanswered_questions_since(_today_start(ctx)),
        }
    )


async def patch_question(ctx: Ctx) -> web.StreamResponse:
    """The three body variants: mark viewed, answer/edit (`wbRu`), reject (`none`)."""
    try:
        body = json.loads(await ctx.request.read())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return envelope_error(400, "failed to decode JSON request.")
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        return envelope_error(400, "Неправильный id в запросе")
    seller, qid = ctx.seller, body["id"]
    answer, state, viewed = body.get("answer"), body.get("state"), body.get("wasViewed")
    if answer is None and isinstance(viewed, bool):
        variant = "view"
    elif (
        isinstance(answer, dict)
        and isinstance(answer.get("text"), str)
        and answer["text"].strip()
        and state in ("wbRu", "none")
    ):
        variant = "answer" if state == "wbRu" else "reject"
    else:
        return envelope_error(400, "Something went wrong")
    item = seller.questions.get(qid)
    if item is None:
        return envelope_error(404, "Не найден вопрос")
    if variant == "view":
        item.was_viewed = bool(viewed)
    else:
        assert isinstance(answer, dict)
        text: str = answer["text"]
        at_ns = ctx.now_ts * 1_000_000_000
        if variant == "answer" and item.state == "wbRu" and item.answer is not None:
            a = item.answer
            if a.edited or ctx.now_ts - a.created_ns // 1_000_000_000 > ctx.config.edit_window:
                ctx.stats.ignored_writes.append((seller.sid, "question_edit", qid))
                return envelope_error(422, "Не удалось отредактировать вопрос")
            a.text, a.edited = text, True
            seller.update_question(qid)
        else:
            seller.update_question(
                qid, state=state, answer=QuestionAnswer(text, at_ns), was_viewed=True
            )
    ctx.stats.question_patches.append((seller.sid, qid, body))
    return envelope(None)


ROUTES = [
    Route("feedbacks", "GET", "/api/v1/feedbacks", list_feedbacks, "feedbacks"),
    Route("feedbacks", "GET", "/api/v1/feedbacks/archive", archive_feedbacks, "feedbacks"),
    Route("feedbacks", "GET", "/api/v1/feedbacks/count", count_feedbacks, "feedbacks"),
    Route(
        "feedbacks",
        "GET",
        "/api/v1/feedbacks/count-unanswered",
        count_unanswered_feedbacks,
        "feedbacks",
    ),
    Route(
        "feedbacks", "GET", "/api/v1/new-feedbacks-questions", new_feedbacks_questions, "feedbacks"
    ),
    Route("feedbacks", "GET", "/api/v1/feedback", get_feedback, "feedbacks"),
    Route("feedbacks", "POST", "/api/v1/feedbacks/answer", answer_feedback, "feedbacks", True),
    Route(
        "feedbacks", "PATCH", "/api/v1/feedbacks/answer", edit_feedback_answer, "feedbacks", True
    ),
    Route("feedbacks", "GET", "/api/v1/questions", list_questions, "feedbacks"),
    Route("feedbacks", "GET", "/api/v1/question", get_question, "feedbacks"),
    Route("feedbacks", "GET", "/api/v1/questions/count", count_questions, "feedbacks"),
    Route(
        "feedbacks",
        "GET",
        "/api/v1/questions/count-unanswered",
        count_unanswered_questions,
        "feedbacks",
    ),
    Route("feedbacks", "PATCH", "/api/v1/questions", patch_question, "feedbacks", True),
]
