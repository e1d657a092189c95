"""The services' `Notifier` for Telegram: renders alerts, digests and notices, paces sends.

Pacing keeps within Telegram's limits: about 25 messages a second overall and one a second
per chat, shared by every replica when Redis is configured (`Pacer`). A 429 (`TelegramRetryAfter`) pauses every send for the time Telegram asks, then the
message is tried again. This loop is the only retry layer for the notifier's sends: they go
straight to the session's `make_request`, past the session middlewares (RetryAfterMiddleware
retries the interactive screens only), so a 429 always reaches the pacer's global pause; a person who blocked the bot (`TelegramForbiddenError`) is marked in
`telegram_accounts.is_blocked` and skipped from then on.

The alert card is rendered here (compact, one message); its buttons lead into the review and
complaint screens (`ReviewCb`/`ComplaintCb` actions of bot/keyboards/reviews.py and
bot/keyboards/complaints.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n.cores.base import BaseCore

from bot.callbacks import (
    ChatAct,
    ChatCb,
    ComplaintAction,
    ComplaintCb,
    MenuCb,
    MenuSection,
    ReviewAction,
    ReviewCb,
    StatsAction,
    StatsCb,
    encode_chat_id,
)
from bot.render import MESSAGE_LIMIT, clip, fit, fmt_date, size, stars
from bot.views.common import share
from services import metrics
from services.access import AccessService
from services.chats.alerts import ChatAlert
from services.complaints import complaint_fingerprint
from services.digest import WeeklyDigest
from services.notifier import Delivery, Notice, Recipient, ReviewCard
from services.wb.limits import Limit, LimitsConfig, MemoryRateLimiter, RedisRateLimiter

log = logging.getLogger(__name__)

DIGEST_MAX_ITEMS = 15
ALERT_BUDGET = MESSAGE_LIMIT - 96
"""What an alert or digest may take (as the review cards: slack for the i18n isolation marks)."""


class Pacer:
    """Telegram's limits per bot: one message per `per_chat` seconds to a chat and
    `per_second` overall, as GCRA buckets (services/wb/limits.py). With a Redis limiter every
    replica draws from the same buckets; in memory, one process.

    A send first waits until its chat may receive, then books the global slot (the message
    goes at that slot), then books the chat at that moment. So the global budget is spent
    only by messages that go out, and the people waiting form one queue, ordered by when
    each may next receive: a person held back by their chat's limit takes no global slot.
    """

    def __init__(
        self,
        *,
        per_second: float = 25.0,
        per_chat: float = 1.0,
        limiter: MemoryRateLimiter | RedisRateLimiter | None = None,
        key: str = "tg",
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.overall = Limit(1.0 / per_second, 1, 1) if per_second > 0 else None
        self.chat = Limit(per_chat, 1, 1) if per_chat > 0 else None
        self.key = key
        self.sleep = sleep
        self.limiter = limiter or MemoryRateLimiter(
            LimitsConfig(max_wait=None), clock=clock or time.monotonic, sleep=sleep
        )

    def _chat_key(self, chat_id: int) -> str:
        return f"{self.key}:chat:{chat_id}"

    async def pause(self, seconds: float) -> None:
        """Telegram said 429: nothing goes for `seconds` (every replica, with Redis)."""
        if self.overall is not None:
            await self.limiter.hold(f"{self.key}:bot", self.overall, seconds)

    async def wait(self, chat_id: int) -> None:
        """Return when a message to `chat_id` may go now; its slots are booked."""
        while True:
            if self.chat is not None:
                held = await self.limiter.peek(self._chat_key(chat_id), self.chat)
                if held > 0:
                    await self.sleep(held)
                    continue
            if self.overall is not None:
                await self.limiter.take(f"{self.key}:bot", self.overall)
            if self.chat is None:
                return
            if await self.limiter.try_take(self._chat_key(chat_id), self.chat) == 0:
                return
            # Another replica sent to this chat meanwhile: its global slot is lost (rare).

    async def sent(self, chat_id: int) -> None:
        """Telegram answered a send to `chat_id`: its next message waits a whole `per_chat`
        from now, so a request that was slow to arrive is not followed too closely."""
        if self.chat is not None:
            await self.limiter.hold(self._chat_key(chat_id), self.chat, self.chat.interval)


class TelegramNotifier:
    def __init__(
        self,
        bot: Bot,
        access: AccessService,
        core: BaseCore[Any],
        *,
        pacer: Pacer | None = None,
        retries: int = 3,
        max_retry_wait: float = 60.0,
    ) -> None:
        self.bot = bot
        self.access = access  # a person who blocked the bot is marked unreachable
        self.core = core
        self.pacer = pacer or Pacer()
        self.retries = retries
        self.max_retry_wait = max_retry_wait

    def _t(self, language: str, key: str, **kwargs: Any) -> str:
        return self.core.get(key, language, **kwargs)

    async def send(
        self, to: Recipient, text: str, keyboard: InlineKeyboardMarkup | None = None
    ) -> Delivery:
        """One message to one person (escaped HTML), paced and retried as alerts are."""
        return await self._send(to, text, keyboard)

    async def _send(
        self, to: Recipient, text: str, keyboard: InlineKeyboardMarkup | None = None
    ) -> Delivery:
        outcome = await self._try_send(to, text, keyboard)
        metrics.SENDS.labels(outcome).inc()
        return outcome

    async def _try_send(
        self, to: Recipient, text: str, keyboard: InlineKeyboardMarkup | None
    ) -> Delivery:
        for _ in range(self.retries + 1):
            await self.pacer.wait(to.telegram_id)
            try:
                # Past the session middlewares: this loop is the one retry layer (see above).
                method = SendMessage(chat_id=to.telegram_id, text=fit(text), reply_markup=keyboard)
                try:
                    await self.bot.session.make_request(self.bot, method)
                finally:
                    await self.pacer.sent(to.telegram_id)
            except TelegramRetryAfter as exc:
                metrics.FLOOD.inc()
                wait = float(exc.retry_after)
                if wait > self.max_retry_wait:
                    return "failed"
                log.warning("Telegram asks to wait %s s before the next send", wait)
                await self.pacer.pause(wait)
                continue
            except TelegramForbiddenError:
                await self.access.set_reachable(to.telegram_id, False)
                return "blocked"
            except TelegramAPIError as exc:
                log.warning("send to user %s failed: %s", to.user_id, exc.message)
                return "failed"
            return "sent"
        return "failed"

    # --- alerts -----------------------------------------------------------------------------

    def render_alert(self, lang: str, card: ReviewCard) -> str:
        """The compact card; each text is clipped to its UTF-16 budget, and the long ones share
        what the message has left, so the card always fits one message."""
        t = self._t
        lines = [
            t(lang, "alert-title", store=clip(card.store_name, 100)),
            f"{stars(card.rating)} · {fmt_date(card.date)}",
            t(
                lang,
                "alert-product",
                name=clip(card.product_name, 120),
                article=clip(card.vendor_code or "—", 60),
                nm=clip(card.nm_id, 20),
            ),
        ]
        if card.author:
            lines.append(t(lang, "alert-author", author=clip(card.author, 60)))
        body = card.text.strip()
        draft = card.complaint_text if card.has_draft and card.complaint_text else ""
        texts = [body, card.pros.strip(), card.cons.strip(), draft]
        caps = [1200, 400, 400, 1000]
        fixed = "\n".join(lines) + "\n\n<i></i>"
        fixed += t(lang, "alert-pros", text="") + t(lang, "alert-cons", text="")
        if draft:
            fixed += "\n\n" + t(lang, "alert-draft", reason=clip(card.reason_name, 200))
            fixed += "\n<code></code>"
        room = ALERT_BUDGET - size(fixed) - 8
        needs = [min(cap, size(clip(x, 10**6))) for x, cap in zip(texts, caps, strict=True)]
        body_n, pros_n, cons_n, draft_n = share(needs, room)
        lines.append("")
        lines.append(f"<i>{clip(body, body_n)}</i>" if body else t(lang, "alert-no-text"))
        if card.pros.strip():
            lines.append(t(lang, "alert-pros", text=clip(card.pros, pros_n)))
        if card.cons.strip():
            lines.append(t(lang, "alert-cons", text=clip(card.cons, cons_n)))
        if draft:
            lines.append("")
            lines.append(t(lang, "alert-draft", reason=clip(card.reason_name, 200)))
            lines.append(f"<code>{clip(draft, draft_n)}</code>")
        return "\n".join(lines)

    def alert_keyboard(self, lang: str, card: ReviewCard) -> InlineKeyboardMarkup:
        t = self._t
        kb = InlineKeyboardBuilder()

        def btn(key: str, data: Any) -> InlineKeyboardButton:
            return InlineKeyboardButton(text=t(lang, key), callback_data=data.pack())

        if card.has_draft and card.complaint_id:
            cid = card.complaint_id
            shown = complaint_fingerprint(card.reason_name, card.complaint_text)
            kb.row(
                btn(
                    "alert-btn-filed",
                    ComplaintCb(action=ComplaintAction.SENT, complaint_id=cid, arg=shown),
                )
            )
            kb.row(
                btn(
                    "alert-btn-regen",
                    ComplaintCb(action=ComplaintAction.REGENERATE, complaint_id=cid),
                ),
                btn("alert-btn-edit", ComplaintCb(action=ComplaintAction.EDIT, complaint_id=cid)),
            )
        elif card.complaint_id:
            kb.row(
                btn(
                    "alert-btn-complaint",
                    ComplaintCb(action=ComplaintAction.OPEN, complaint_id=card.complaint_id),
                )
            )
        elif card.rating < 5:
            kb.row(
                btn(
                    "alert-btn-draft-complaint",
                    ReviewCb(action=ReviewAction.COMPLAINT, review_id=card.review_id),
                )
            )
        kb.row(
            btn("alert-btn-reply", ReviewCb(action=ReviewAction.DRAFT, review_id=card.review_id)),
            btn("alert-btn-review", ReviewCb(action=ReviewAction.OPEN, review_id=card.review_id)),
        )
        kb.row(btn("alert-btn-reviews", MenuCb(section=MenuSection.REVIEWS)))
        return kb.as_markup()

    async def review_alert(self, to: Recipient, card: ReviewCard) -> Delivery:
        lang = to.language
        return await self._send(to, self.render_alert(lang, card), self.alert_keyboard(lang, card))

    async def weekly_digest(self, to: Recipient, digest: WeeklyDigest) -> Delivery:
        """The Monday digest of one store (services/digest.py), with a button to its stats."""
        from bot.views.stats import digest_text

        def t(key: str, **kwargs: Any) -> str:
            return self._t(to.language, key, **kwargs)

        kb = InlineKeyboardBuilder()
        kb.button(
            text=t("digest-btn-stats"),
            callback_data=StatsCb(action=StatsAction.OPEN, store_id=digest.store_id),
        )
        return await self._send(to, digest_text(t, digest), kb.as_markup())

    async def review_digest(self, to: Recipient, cards: list[ReviewCard]) -> Delivery:
        return await self._send(to, self.render_digest(to.language, cards), self._digest_kb(to))

    def render_digest(self, lang: str, cards: list[ReviewCard]) -> str:
        """One line per review and the start of its text; the texts share what is left."""
        shown = cards[:DIGEST_MAX_ITEMS]
        heads: list[str] = []
        for i, card in enumerate(shown, 1):
            heads.append(
                f"{i}. {stars(card.rating)} {clip(card.store_name, 60)}"
                f" · {clip(card.product_name, 60)}"
                + (f" · {clip(card.vendor_code, 30)}" if card.vendor_code else "")
            )
        texts = [c.text.strip() or c.cons.strip() or c.pros.strip() for c in shown]
        drafted = self._t(lang, "alert-digest-drafted")
        more = (
            self._t(lang, "alert-digest-more", count=len(cards) - DIGEST_MAX_ITEMS)
            if len(cards) > DIGEST_MAX_ITEMS
            else ""
        )
        title = self._t(lang, "alert-digest-title", count=len(cards))
        fixed = size("\n".join([title, "", *heads, more])) + sum(
            (size("\n   <i></i>") if x else 0) + (4 + size(drafted) if c.has_draft else 0)
            for x, c in zip(texts, shown, strict=True)
        )
        room = ALERT_BUDGET - fixed
        needs = [min(160, size(clip(x, 10**6))) for x in texts]
        lines = [title, ""]
        for head, text, card, n in zip(heads, texts, shown, share(needs, room), strict=True):
            lines.append(head)
            if text:
                lines.append(f"   <i>{clip(text, n)}</i>")
            if card.has_draft:
                lines.append("   " + drafted)
        if more:
            lines.append(more)
        return "\n".join(lines)

    def _digest_kb(self, to: Recipient) -> InlineKeyboardMarkup:
        kb = InlineKeyboardBuilder()
        kb.row(
            InlineKeyboardButton(
                text=self._t(to.language, "alert-btn-reviews"),
                callback_data=MenuCb(section=MenuSection.REVIEWS).pack(),
            )
        )
        return kb.as_markup()

    async def notice(self, to: Recipient, notice: Notice) -> Delivery:
        args = {k: clip(v, 500) if isinstance(v, str) else v for k, v in notice.args.items()}
        key = {
            "auth_failed": "notice-auth-failed",
            "token_expiring": "notice-token-expiring",
            "sequence_refused": "notice-sequence-refused",
        }[notice.key]
        return await self._send(to, self._t(to.language, key, **args))

    async def chat_alert(self, to: Recipient, alert: ChatAlert) -> Delivery:
        """New buyer messages of one store: a line per chat, a button per chat and the board."""
        lang = to.language
        lines = [
            self._t(lang, "ch-alert-new", store=clip(alert.store_name, 60), count=alert.messages)
        ]
        kb = InlineKeyboardBuilder()
        for line in alert.lines:
            lines.append(
                self._t(
                    lang,
                    "ch-alert-line",
                    buyer=clip(line.buyer or "—", 40),
                    text=clip(line.text, 200),
                )
            )
            data = ChatCb(act=ChatAct.OPEN, chat=encode_chat_id(line.chat_id)).pack()
            label = f"{self._t(lang, 'ch-btn-open-chat')}: {line.buyer[:30]}"
            kb.row(InlineKeyboardButton(text=label, callback_data=data))
        board = MenuCb(section=MenuSection.CHATS).pack()
        kb.row(InlineKeyboardButton(text=self._t(lang, "ch-btn-board"), callback_data=board))
        return await self._send(to, "\n".join(lines), kb.as_markup())
