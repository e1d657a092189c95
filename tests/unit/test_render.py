"""`clip` and `fit` (bot/render.py): what they return is valid Telegram HTML within the limit,
counted as Telegram counts (UTF-16 units of the visible text)."""

from __future__ import annotations

from bot.render import clip, fit, size, visible
from tests.fakes.telegram import parse_html, utf16_len


def accepted(html_text: str, limit: int) -> bool:
    return utf16_len(parse_html(html_text).text) <= limit


def test_clip_counts_utf16_and_escapes_whole() -> None:
    assert clip("😀" * 10, 5) == "😀😀…"  # two units each, the ellipsis one
    assert clip("a&b", 3) == "a&amp;b"  # counted as shown: "&" is one character on screen
    assert clip("a&b", 2) == "a…", "an entity is never sliced"
    assert clip("<" * 100, 100) == "&lt;" * 100, "escaping does not shorten what fits"
    assert clip("  hi  ", 2) == "hi"
    assert clip(None, 3) == "" and clip("abc", 0) == ""
    for budget in range(1, 30):
        out = clip("<&>😀\nx" * 10, budget)
        assert size(out) <= budget and accepted(out, budget)


def test_fit_measures_visible_utf16() -> None:
    # 2100 emoji: 2100 code points (old len() check passed it), 4200 units for Telegram.
    text = "<b>t</b>\n" + "😀" * 2100
    out = fit(text)
    assert accepted(out, 4096) and out.startswith("<b>t</b>")
    short = "<i>" + "&amp;" * 1000 + "</i>"  # 5000 source chars, 1000 visible
    assert fit(short) == short


def test_fit_never_cuts_inside_a_tag_spanning_lines() -> None:
    body = "\n".join(["строка &lt;x&gt; 😀"] * 400)
    text = "<b>Title</b>\nline\n\n<i>" + body + "</i>\nafter"
    out = fit(text, 1000)
    assert accepted(out, 1000)
    assert out == "<b>Title</b>\nline\n…", "stops at the last line where every tag is closed"


def test_fit_without_a_safe_line_sends_plain_text() -> None:
    text = "<code>" + "a&amp;b😀\n" * 1000 + "</code>"
    out = fit(text, 500)
    assert accepted(out, 500) and "<code>" not in out
    assert visible(out).startswith("a&b😀")
    one_line = "<i>" + "&lt;" * 5000 + "</i>"
    out = fit(one_line, 100)
    assert accepted(out, 100) and out.startswith("&lt;")


def test_last_n_days_start_at_moscow_midnight_when_fetched() -> None:
    from datetime import UTC, datetime

    from bot.views.lists import ReviewListFilter, days_back
    from services.msk import MSK

    now = datetime(2024, 3, 10, 22, 30, tzinfo=UTC)  # 01:30 on 11 March in Moscow
    assert days_back(7, now) == datetime(2024, 3, 4, tzinfo=MSK)
    assert days_back(0, now) is None
    stale = {"d": "7", "since": "2020-01-01T00:00:00+00:00"}  # a view saved by the old code
    assert ReviewListFilter.model_validate(stale).query(now).date_from == datetime(
        2024, 3, 4, tzinfo=MSK
    )
