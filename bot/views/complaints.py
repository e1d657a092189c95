"""The complaint card: the text to copy and what finds the review in the WB portal."""

from __future__ import annotations

from bot.render import fmt_date, stars
from bot.views.common import CARD_BUDGET, Texts, clip, size
from services.records import ComplaintCard


def render_complaint_card(
    t: Texts, card: ComplaintCard, *, note: str = "", budget: int = CARD_BUDGET
) -> str:
    """Reason, the text in a copyable block, the review's article, date, author and rating."""
    c = card.complaint
    lines = [
        t.get("cp-card-title", status=t.get(f"cp-status-{c.status}")),
        t.get("cp-card-reason", reason=clip(f"{c.reason_id} · {c.reason_name}", 200)),
    ]
    if note:
        lines.insert(0, note + "\n")
    find = [
        "",
        t.get("cp-card-find"),
        t.get(
            "cp-card-product",
            name=clip(c.product_name or "—", 150),
            article=clip(c.product_vendor_code or "—", 60),
            nm=clip(card.nm_id or "—", 20),
        ),
        t.get(
            "cp-card-review",
            stars=stars(c.review_rating),
            date=fmt_date(c.review_date),
            author=clip(card.author or "—", 80),
        ),
    ]
    if c.sent_at:
        find.append(t.get("cp-card-sent", date=fmt_date(c.sent_at)))
    if c.regenerated_count:
        find.append(t.get("cp-card-regenerated", count=c.regenerated_count))
    if c.status == "draft":
        find.append(t.get("cp-card-howto"))
    fixed = "\n".join(lines + find) + "\n<pre></pre>\n\n<i></i>"
    room = budget - size(fixed)
    text_part = clip(c.complaint_text, max(200, room - min(400, room // 3)))
    review_room = budget - size(fixed) - size(text_part)
    review_text = clip(c.review_text or "", max(0, min(400, review_room)))
    body = [*lines, f"<pre>{text_part}</pre>", *find]
    if review_text:
        body.append(f"\n<i>{review_text}</i>")
    return "\n".join(body)


def render_complaint_line(t: Texts, index: int, card: ComplaintCard) -> str:
    c = card.complaint
    return (
        f"<b>{index}.</b> {stars(c.review_rating)} {fmt_date(c.review_date, with_time=False)}"
        f" · {clip(c.product_name or '—', 40)}\n"
        f"<i>{clip(c.reason_name, 40)}:</i> {clip(c.complaint_text, 90)}"
    )
