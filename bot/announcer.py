"""Renders and sends, for the services, the batched messages about new questions and about
automatic replies waiting out their cancel window (one message per person and store, a
"Не отправлять" button per reply still in its window: services/autoreplies.py `Announcer`).
Sent through the shared notifier (pacer, blocked chats); the services claim and record each
message (services/delivery.py); a failed send does not stop the window."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.keyboards.autoreplies import cancel_windows_keyboard
from bot.keyboards.questions import QListAction, QListCb
from bot.notifier import TelegramNotifier
from bot.render import clip
from bot.views.autoreplies import ANNOUNCE_SHOWN, render_announcements
from services.autoreplies import Scheduled
from services.notifier import Delivery, Recipient
from services.questions import QuestionAlertItem


class _Lang:
    def __init__(self, notifier: TelegramNotifier, language: str) -> None:
        self.notifier = notifier
        self.language = language

    def get(self, key: str, **kwargs: object) -> str:
        return self.notifier.core.get(key, self.language, **kwargs)


class TelegramAnnouncer:
    def __init__(self, notifier: TelegramNotifier) -> None:
        self.notifier = notifier

    async def announce(
        self, to: Recipient, store_name: str, items: Sequence[Scheduled]
    ) -> Delivery:
        """One message to one person about a store's scheduled replies."""
        lang = _Lang(self.notifier, to.language)
        shown = items[:ANNOUNCE_SHOWN]
        numbered = [
            (0 if len(items) == 1 else n, item.review_id)
            for n, item in enumerate(shown, 1)
            if item.open
        ]
        return await self.notifier.send(
            to,
            render_announcements(lang, store_name, items),
            cancel_windows_keyboard(lang, numbered) if numbered else None,
        )


class TelegramQuestionAlerts:
    """One message per person and store: how many new questions, the newest few, and a
    button to the store's questions (services/questions.py `QuestionAlertSender`)."""

    SHOWN = 5

    def __init__(self, notifier: TelegramNotifier) -> None:
        self.notifier = notifier

    async def send_question_alert(
        self, to: Recipient, store_id: str, store_name: str, items: Sequence[QuestionAlertItem]
    ) -> Delivery:
        lang = _Lang(self.notifier, to.language)
        lines = [lang.get("q-alert-title", store=clip(store_name, 60), count=len(items))]
        for item in items[: self.SHOWN]:
            lines.append(f"• <b>{clip(item.product_name, 50)}</b>: {clip(item.text, 120)}")
        if len(items) > self.SHOWN:
            lines.append(lang.get("q-alert-more", n=len(items) - self.SHOWN))
        kb = InlineKeyboardBuilder()
        kb.button(
            text=lang.get("q-alert-open"),
            callback_data=QListCb(action=QListAction.OPEN, store_id=store_id),
        )
        return await self.notifier.send(to, "\n".join(lines), kb.as_markup())
