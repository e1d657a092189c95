"""The services' `Notifier` for Telegram: renders alerts, digests and notices, paces sends.

Pacing keeps within Telegram's limits: about 25 messages a second overall and one a second
per chat. A 429 (`TelegramRetryAfter`) pauses every send for the time Telegram asks, then the
message is tried again; a person who blocked the bot (`TelegramForbiddenError`) is marked in
`telegram_accounts.is_blocked` and skipped from then on.

The alert card is rendered here (compact, one message); its buttons lead into the review and
complaint screens (`ReviewCb`/`ComplaintCb` actions of bot/keyboards/reviews.py and
bot/keyboards/complaints.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n.cores.base import BaseCore

from bot.callbacks import ComplaintCb, MenuCb, ReviewCb
from bot.render import cut, esc, fit, fmt_date, stars
from db.repos import users as users_repo
from services.notifier import Delivery, Notice, Recipient, ReviewCard

log = logging.getLogger(__name__)

DIGEST_MAX_ITEMS = 15


class Pacer:
    """Reserves a send slot: at most `per_second` overall, one per `per_chat` seconds a chat."""

    def __init__(
        self,
        *,
        per_second: float = 25.0,
        per_chat: float = 1.0,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.step = 1.0 / per_second
        self.per_chat = per_chat
        self.clock = clock or (lambda: asyncio.get_running_loop().time())
        self.sleep = sleep
        self._next_global = 0.0
        self._next_chat: dict[int, float] = {}
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    async def wait(self, chat_id: int) -> None:
        now = self.clock()
        slot = max(now, self._next_global, self._paused_until)
        self._next_global = slot + self.step
        at = max(slot, self._next_chat.get(chat_id, 0.0))
        self._next_chat[chat_id] = at + self.per_chat
        if len(self._next_chat) > 10_000:  # forget chats whose slot has passed
            self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}
        if at > now:
            await self.sleep(at - now)


class TelegramNotifier:
    def __init__(
        self,
        bot: Bot,
        pool: asyncpg.Pool,
        core: BaseCore[Any],
        *,
        pacer: Pacer | None = None,
        retries: int = 3,
        max_retry_wait: float = 60.0,
    ) -> None:
        self.bot = bot
        self.pool = pool
        self.core = core
        self.pacer = pacer or Pacer()
        self.retries = retries
        self.max_retry_wait = max_retry_wait

    def _t(self, language: str, key: str, **kwargs: Any) -> str:
        return self.core.get(key, language, **kwargs)

    async def _send(
        self, to: Recipient, text: str, keyboard: InlineKeyboardMarkup | None = None
    ) -> Delivery:
        for _ in range(self.retries + 1):
            await self.pacer.wait(to.telegram_id)
            try:
                await self.bot.send_message(to.telegram_id, fit(text), reply_markup=keyboard)
            except TelegramRetryAfter as exc:
                wait = float(exc.retry_after)
                if wait > self.max_retry_wait:
                    return "failed"
                log.warning("Telegram asks to wait %s s before the next send", wait)
                self.pacer.pause(wait)
                continue
            except TelegramForbiddenError:
                await users_repo.set_telegram_blocked(self.pool, to.telegram_id, True)
                return "blocked"
            except TelegramAPIError as exc:
                log.warning("send to user %s failed: %s", to.user_id, exc.message)
                return "failed"
            return "sent"
        return "failed"

    # --- alerts -----------------------------------------------------------------------------

    def render_alert(self, lang: str, card: ReviewCard) -> str:
        t = self._t
        lines = [
            t(lang, "alert-title", store=esc(card.store_name)),
            f"{stars(card.rating)} · {fmt_date(card.date)}",
            t(
                lang,
                "alert-product",
                name=cut(card.product_name, 120),
                article=cut(card.vendor_code or "—", 60),
                nm=esc(card.nm_id),
            ),
        ]
        if card.author:
            lines.append(t(lang, "alert-author", author=cut(card.author, 60)))
        body = card.text.strip()
        lines.append("")
        lines.append(f"<i>{cut(body, 1200)}</i>" if body else t(lang, "alert-no-text"))
        if card.pros.strip():
            lines.append(t(lang, "alert-pros", text=cut(card.pros, 400)))
        if card.cons.strip():
            lines.append(t(lang, "alert-cons", text=cut(card.cons, 400)))
        if card.has_draft and card.complaint_text:
            lines.append("")
            lines.append(t(lang, "alert-draft", reason=esc(card.reason_name or "")))
            lines.append(f"<code>{cut(card.complaint_text, 1000)}</code>")
        return "\n".join(lines)

    def alert_keyboard(self, lang: str, card: ReviewCard) -> InlineKeyboardMarkup:
        t = self._t
        kb = InlineKeyboardBuilder()

        def btn(key: str, data: Any) -> InlineKeyboardButton:
            return InlineKeyboardButton(text=t(lang, key), callback_data=data.pack())

        if card.has_draft and card.complaint_id:
            cid = card.complaint_id
            kb.row(btn("alert-btn-filed", ComplaintCb(action="s", complaint_id=cid)))
            kb.row(
                btn("alert-btn-regen", ComplaintCb(action="g", complaint_id=cid)),
                btn("alert-btn-edit", ComplaintCb(action="e", complaint_id=cid)),
            )
        elif card.complaint_id:
            kb.row(
                btn("alert-btn-complaint", ComplaintCb(action="o", complaint_id=card.complaint_id))
            )
        elif card.rating < 5:
            kb.row(
                btn("alert-btn-draft-complaint", ReviewCb(action="cd", review_id=card.review_id))
            )
        kb.row(
            btn("alert-btn-reply", ReviewCb(action="rd", review_id=card.review_id)),
            btn("alert-btn-review", ReviewCb(action="o", review_id=card.review_id)),
        )
        kb.row(btn("alert-btn-reviews", MenuCb(section="reviews")))
        return kb.as_markup()

    async def review_alert(self, to: Recipient, card: ReviewCard) -> Delivery:
        lang = to.language
        return await self._send(to, self.render_alert(lang, card), self.alert_keyboard(lang, card))

    async def review_digest(self, to: Recipient, cards: list[ReviewCard]) -> Delivery:
        lang = to.language
        lines = [self._t(lang, "alert-digest-title", count=len(cards)), ""]
        for i, card in enumerate(cards[:DIGEST_MAX_ITEMS], 1):
            text = card.text.strip() or card.cons.strip() or card.pros.strip()
            lines.append(
                f"{i}. {stars(card.rating)} {esc(card.store_name)} · {cut(card.product_name, 60)}"
                + (f" · {cut(card.vendor_code, 30)}" if card.vendor_code else "")
            )
            if text:
                lines.append(f"   <i>{cut(text, 160)}</i>")
            if card.has_draft:
                lines.append("   " + self._t(lang, "alert-digest-drafted"))
        if len(cards) > DIGEST_MAX_ITEMS:
            lines.append(self._t(lang, "alert-digest-more", count=len(cards) - DIGEST_MAX_ITEMS))
        kb = InlineKeyboardBuilder()
        kb.row(
            InlineKeyboardButton(
                text=self._t(lang, "alert-btn-reviews"),
                callback_data=MenuCb(section="reviews").pack(),
            )
        )
        return await self._send(to, "\n".join(lines), kb.as_markup())

    async def notice(self, to: Recipient, notice: Notice) -> Delivery:
        args = {k: esc(v) if isinstance(v, str) else v for k, v in notice.args.items()}
        key = {"auth_failed": "notice-auth-failed", "token_expiring": "notice-token-expiring"}[
            notice.key
        ]
        return await self._send(to, self._t(to.language, key, **args))
