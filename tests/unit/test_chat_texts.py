"""Chat screens' texts and protocol: every code has a text in both languages, WB's refusals of
a send map to their own codes, and every chat button fits Telegram's 64 bytes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.callbacks import (
    ChatAct,
    ChatBoardCb,
    ChatCb,
    ChatCol,
    ChatListAct,
    ChatListCb,
    decode_chat_id,
    encode_chat_id,
)
from bot.i18n import LOCALES_DIR, create_core
from services.ai.chat_tags import CHAT_TAGS
from services.chats.service import (
    ChatErrorCode,
    ChatStatus,
    CompletionReason,
    _send_error,
)
from services.wb.errors import (
    WBAuthError,
    WBRateLimited,
    WBRequestError,
    WBServerError,
    WBTimeout,
)

KEY = re.compile(r"^([a-z][\w-]*) =", re.MULTILINE)


def keys(lang: str) -> set[str]:
    return set(KEY.findall((Path(LOCALES_DIR) / lang / "chats.ftl").read_text("utf-8")))


def test_both_languages_have_the_same_chat_keys() -> None:
    assert keys("ru") == keys("en")


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_every_code_has_a_text(lang: str) -> None:
    have = keys(lang)
    wanted = (
        {f"ch-error-{c.value}" for c in ChatErrorCode}
        | {f"ch-col-{s.value}" for s in ChatStatus}
        | {f"ch-reason-{r.value}" for r in CompletionReason}
        | {f"ch-tag-{t}" for t in CHAT_TAGS}
        | {f"ch-strategy-{s}" for s in ("upgrade_to_5", "delete", "both")}
    )
    assert wanted <= have, sorted(wanted - have)
    core = create_core()
    for key in sorted(wanted):
        text = core.get(key, lang, problems="x", detail="y")
        assert text and text != key


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (WBRequestError("Invalid signature", endpoint="message", status=400), "invalid_signature"),
        (WBRequestError("moderation error", endpoint="message", status=451), "moderation"),
        (WBRateLimited(3.0, endpoint="message"), "rate_limited"),
        (WBAuthError("token expired", endpoint="message", status=401), "auth"),
        (WBTimeout("timeout", endpoint="message", outcome_unknown=True), "outcome_unknown"),
        (WBServerError("HTTP 503", endpoint="message", status=503), "wb_unavailable"),
        (
            WBRequestError('Invalid value for "message"', endpoint="message", status=400),
            "wb_refused",
        ),
    ],
)
def test_wb_refusals_map_to_their_codes(error: Exception, code: str) -> None:
    assert _send_error(error).code.value == code  # type: ignore[arg-type]


def test_chat_buttons_fit_64_bytes_and_ids_round_trip() -> None:
    chat_id = "1:4019cd7d-cca8-4e90-8b11-f78afbea42e3"
    assert decode_chat_id(encode_chat_id(chat_id)) == chat_id
    longest = [
        ChatCb(act=act, chat=encode_chat_id(chat_id), arg="abcdef12").pack() for act in ChatAct
    ]
    longest.append(ChatBoardCb(store="0f0e0d0c-0b0a-0908-0706-050403020100").pack())
    longest += [
        ChatListCb(act=a, col=c, arg="0f0e0d0c-0b0a-0908-0706-050403020100").pack()
        for a in ChatListAct
        for c in ChatCol
    ]
    assert max(len(x.encode()) for x in longest) <= 64


def test_a_full_card_fits_one_message_with_its_draft() -> None:
    from datetime import UTC, datetime

    from bot.render import MESSAGE_LIMIT, fit, size
    from bot.views.chats import render_card
    from services.ai.prompting import ProductRulesInfo, ReviewInfo
    from services.chats.service import ChatCard, Message

    now = datetime.now(UTC)
    long = "<б>" + "Очень длинное сообщение покупателя & " * 40
    card = ChatCard(
        id="1:x",
        store_id="s",
        store_name="Магазин " * 10,
        client_name="Анна " * 20,
        status=ChatStatus.INBOX,
        completion_reason=None,
        tag="deletion_candidate",
        product_name="Плед " * 40,
        vendor_code="PL-200",
        nm_id="123456",
        price=1990,
        rules=ProductRulesInfo(
            offer_compensation=True, compensation_type="кешбэк", max_compensation="300"
        ),
        review=ReviewInfo(id="r", rating=2, text=long, date=now),
        messages=[Message(f"m{i}", "client", long, now, False) for i in range(10)],
        older=(now, "m0"),
        draft="Ответ " * 166,
        draft_problems=[],
        has_sign=True,
        send_state=None,
        buyer_messages=10,
        sequence=None,
    )
    core = create_core()

    class I18n:
        def get(self, key: str, **kw: object) -> str:
            return core.get(key, "ru", **kw)

    text = render_card(I18n(), card)  # type: ignore[arg-type]
    assert size(text) <= MESSAGE_LIMIT and fit(text) == text
    assert "&lt;б&gt;" in text and "<б>" not in text
    assert "Ответ Ответ" in text and "</pre>" in text
