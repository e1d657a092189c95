"""Rendering of the questions list and card (escaped HTML; buyers' text is clipped)."""

from __future__ import annotations

from datetime import datetime

from aiogram_i18n import I18nContext

from bot.render import clip, esc, fmt_date
from services.questions import QuestionCard, QuestionPage

LINE_TEXT = 90
CARD_TEXT = 1200
DRAFT_TEXT = 1500


def age(i18n: I18nContext, created: datetime, now: datetime) -> str:
    minutes = max(0, int((now - created).total_seconds() // 60))
    if minutes < 60:
        return i18n.get("q-age-min", n=minutes)
    if minutes < 60 * 24:
        return i18n.get("q-age-h", n=minutes // 60)
    return i18n.get("q-age-d", n=minutes // (60 * 24))


def render_list(
    i18n: I18nContext, store_name: str, page: QuestionPage, now: datetime, first: int
) -> str:
    lines = [i18n.get("q-list-title", store=clip(store_name, 60), count=page.unanswered), ""]
    if not page.items:
        lines.append(i18n.get("q-list-empty"))
    for n, item in enumerate(page.items, first):
        mark = "✅" if item.answered else "❓"
        lines.append(
            f"{mark} <b>{n}.</b> {clip(item.product_name, 50)} · {esc(age(i18n, item.created_date, now))}"
        )
        lines.append(f"   {clip(item.text, LINE_TEXT)}")
    return "\n".join(lines)


def render_card(
    i18n: I18nContext, card: QuestionCard, now: datetime, problems: list[str] | None = None
) -> str:
    p = card.product
    lines = [
        i18n.get("q-card-title"),
        "",
        f"📦 <b>{clip(p.name, 150)}</b>",
    ]
    facts = []
    if p.brand:
        facts.append(i18n.get("q-fact-brand", value=clip(p.brand, 60)))
    if p.vendor_code:
        facts.append(i18n.get("q-fact-article", value=clip(p.vendor_code, 60)))
    if p.wb_product_id:
        facts.append(i18n.get("q-fact-nm", value=clip(p.wb_product_id, 20)))
    lines += facts
    for name, value in p.characteristics[:6]:
        lines.append(f"• {clip(name, 40)}: {clip(value, 80)}")
    lines += [
        "",
        i18n.get(
            "q-card-asked",
            date=esc(fmt_date(card.created_date)),
            age=esc(age(i18n, card.created_date, now)),
        ),
        f"<blockquote>{clip(card.text, CARD_TEXT)}</blockquote>",
    ]
    if card.answered:
        lines += [
            "",
            i18n.get("q-card-answered"),
            f"<blockquote>{clip(card.answer_text, DRAFT_TEXT)}</blockquote>",
        ]
    elif card.draft:
        lines += [
            "",
            i18n.get("q-card-draft"),
            f"<blockquote>{clip(card.draft, DRAFT_TEXT)}</blockquote>",
        ]
        if problems:
            lines.append(i18n.get("q-card-guard", problems=esc("; ".join(problems))))
    else:
        lines += ["", i18n.get("q-card-no-draft")]
    if card.publish_state == "publishing":
        lines += ["", i18n.get("q-card-publishing")]
    elif card.publish_state == "unknown":
        lines += ["", i18n.get("q-card-unknown")]
    return "\n".join(lines)
