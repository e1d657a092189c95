"""Tells a store's people about automatic replies waiting out their cancel window, each with a
"Не отправлять" button (services/autoreplies.py `Announcer`). Sent through the shared notifier
(pacer, blocked chats); a failed send does not stop the window, the settings list shows it."""

from __future__ import annotations

from collections.abc import Sequence

from bot.keyboards.autoreplies import cancel_window_keyboard
from bot.notifier import TelegramNotifier
from bot.views.autoreplies import render_announcement
from services.autoreplies import AutoReplyService, Scheduled


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
