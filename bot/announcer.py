"""Tells a store's people about new questions (batched) and automatic replies waiting out their cancel window, each with a
"Не отправлять" button (services/autoreplies.py `Announcer`). Sent through the shared notifier
(pacer, blocked chats); a failed send does not stop the window, the settings list shows it."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.keyboards.autoreplies import cancel_window_keyboard
from bot.keyboards.questions import QListAction, QListCb
from bot.notifier import TelegramNotifier
from bot.render import clip
from bot.views.autoreplies import render_announcement
from services.autoreplies import AutoReplyService, Scheduled
from services.notifier import Delivery, Recipient
from services.questions import QuestionAlertItem


class _Lang:
    def __init__(self, notifier: TelegramNotifier, language: str) -> None:
        self.notifier = notifier
        self.language = language

    def get(self, key: str, **kwargs: object) -> str:
        return self.notifier.core.get(key, self.language, **kwargs)


class TelegramAnnouncer:
    def __init__(self, notifier: TelegramNotifier, autoreplies: AutoReplyService) -> None:
        self.notifier = notifier
        self.autoreplies = autoreplies

    async def announce(self, items: Sequence[Scheduled]) -> None:
        for item in items:
            name = await self.autoreplies.store_name(item.store_id)
            for person in await self.autoreplies.people(item.store_id):
                lang = _Lang(self.notifier, person.language)
                await self.notifier.send(
                    person,
                    render_announcement(lang, name, item),
                    cancel_window_keyboard(lang, item.review_id),
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
