"""The review card and the compact lines of a review list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from bot.render import fmt_date, stars
from bot.views.common import CARD_BUDGET, Texts, clip, share, size
from services.ai.guard import describe_problems
from services.records import ReviewCard, ReviewLine


class RenderedCard(NamedTuple):
    text: str
    draft_cut: bool


DRAFT_NEIGHBOUR_ROOM = 120
"""Characters each other section keeps on a card beside a long draft."""


def media_counts(photo_links: Any, video: Any) -> tuple[int, bool]:
    photos = len(photo_links) if isinstance(photo_links, list) else 0
    return photos, bool(video)


def answer_text(answer: Any) -> str:
    if isinstance(answer, dict):
        return str(answer.get("text") or "")
    return str(answer or "")


def complaint_label(t: Texts, status: str | None) -> str:
    return t.get(f"cp-status-{status or 'not_sent'}")


def status_line(t: Texts, card: ReviewCard) -> str:
    r = card.review
    parts = [t.get("rv-answered") if r.has_answer else t.get("rv-not-answered")]
    parts.append(t.get("rv-complaint", status=complaint_label(t, r.complaint_status)))
    if r.review_status_wb and r.review_status_wb != "unknown":
        parts.append(t.get(f"rv-wb-{r.review_status_wb}"))
    photos, video = media_counts(r.photo_links, r.video)
    if photos:
        parts.append(t.get("rv-photos", count=photos))
    if video:
        parts.append(t.get("rv-video"))
    return " · ".join(parts)


def render_review_card(
    t: Texts,
    card: ReviewCard,
    *,
    problems: Sequence[str] = (),
    note: str = "",
    budget: int = CARD_BUDGET,
) -> RenderedCard:
    """The whole review, cut to fit one message with its keyboard; `problems` are the guard's
    objections to the draft reply (shown under it); `note` goes on top (an error, a result).
    `draft_cut` says the draft did not fit whole: Publish would send text nobody saw."""
    r = card.review
    head = [
        f"{stars(r.rating)} · {fmt_date(r.date)}",
        t.get(
            "rv-card-product",
            name=clip(card.product_name, 200),
            article=clip(card.vendor_code or "—", 60),
            nm=clip(card.nm_id or "—", 20),
        ),
        t.get("rv-card-author", author=clip(r.author or "—", 100)),
        status_line(t, card),
    ]
    if note:
        head.insert(0, note + "\n")
    labels = {
        "text": t.get("rv-card-text"),
        "pros": t.get("rv-card-pros"),
        "cons": t.get("rv-card-cons"),
        "answer": t.get("rv-card-answer"),
        "draft": t.get("rv-card-draft"),
    }
    bodies = {
        "text": r.text,
        "pros": r.pros or "",
        "cons": r.cons or "",
        "answer": answer_text(r.answer) if r.has_answer else "",
        "draft": "" if r.has_answer else (r.draft_reply or ""),
    }
    tail: list[str] = []
    if bodies["draft"] and problems:
        tail.append(t.get("rv-draft-problems"))
        tail.extend(f"• {clip(p, 200)}" for p in describe_problems(list(problems)))
        tail.append(t.get("rv-draft-fix"))
    if not r.text and not r.pros and not r.cons:
        head.append(t.get("rv-card-no-text"))
    names = [k for k, v in bodies.items() if v.strip()]
    if "draft" in names:  # said up front, in case the draft cannot be shown whole
        tail.append(t.get("rv-draft-too-long"))
    fixed = "\n".join(head + tail) + "".join(f"\n\n<b>{labels[k]}</b>\n" for k in names)
    room = budget - size(fixed) - 2 * len(names)
    needs = [size(clip(bodies[k], 10**6)) for k in names]
    parts = _parts(names, needs, room)
    draft_cut = "draft" in names and parts[names.index("draft")] < needs[names.index("draft")]
    if "draft" in names and not draft_cut:
        tail.pop()
    sections = [
        f"<b>{labels[k]}</b>\n{clip(bodies[k], n)}" for k, n in zip(names, parts, strict=True)
    ]
    text = "\n\n".join(["\n".join(head), *sections]) + ("\n" + "\n".join(tail) if tail else "")
    return RenderedCard(text, draft_cut)


def _parts(names: list[str], needs: list[int], room: int) -> list[int]:
    """Room per section. The draft is what Publish sends, so it is shown whole whenever it
    fits beside a few lines of each other section; the others share what is left."""
    if "draft" not in names:
        return share(needs, room)
    i = names.index("draft")
    others = [n for j, n in enumerate(needs) if j != i]
    draft = min(needs[i], max(0, room - min(sum(others), DRAFT_NEIGHBOUR_ROOM * len(others))))
    rest = share(others, room - draft)
    return [*rest[:i], draft, *rest[i:]]


def render_review_line(t: Texts, index: int, line: ReviewLine) -> str:
    """One compact line of a list: number, stars, date, product, the start of the text."""
    marks = []
    if line.has_answer:
        marks.append("💬")
    if line.complaint_status and line.complaint_status != "not_sent":
        marks.append(t.get(f"cp-mark-{line.complaint_status}"))
    if line.photos:
        marks.append(f"📷{line.photos}")
    return (
        f"<b>{index}.</b> {stars(line.rating)} {fmt_date(line.date, with_time=False)}"
        f" · {clip(line.product_name, 40)}{' ' + ' '.join(marks) if marks else ''}\n"
        f"<i>{clip(line.excerpt, 120) or '—'}</i>"
    )
