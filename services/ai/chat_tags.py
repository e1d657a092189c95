"""The schema's 12 chat tags with the meaning the classifier prompt gives the model."""

from __future__ import annotations

from typing import Final, Literal, get_args

ChatTag = Literal[
    "active",
    "successful",
    "unsuccessful",
    "no_reply",
    "untagged",
    "completed",
    "deletion_candidate",
    "deletion_offered",
    "deletion_agreed",
    "deletion_confirmed",
    "refund_requested",
    "spam",
]

CHAT_TAGS: Final[tuple[ChatTag, ...]] = get_args(ChatTag)

CHAT_TAG_MEANINGS: Final[dict[ChatTag, str]] = {
    "active": "идёт диалог, покупатель отвечает, вопрос ещё не решён",
    "successful": "проблема покупателя решена, он доволен",
    "unsuccessful": "договориться не удалось, покупатель недоволен или отказался",
    "no_reply": "покупатель не отвечает на сообщения продавца",
    "untagged": "нельзя понять, о чём переписка",
    "completed": "разговор завершён, действий больше не нужно",
    "deletion_candidate": (
        "покупатель недоволен товаром, но открыт к решению; можно предложить помощь"
    ),
    "deletion_offered": "продавец уже предложил решение и попросил пересмотреть отзыв",
    "deletion_agreed": "покупатель согласился изменить или убрать свой отзыв",
    "deletion_confirmed": "покупатель сообщил, что изменил или убрал отзыв",
    "refund_requested": "покупатель просит вернуть деньги или оформить возврат",
    "spam": "реклама, бессмыслица или сообщения не по теме",
}


def tags_table() -> str:
    """The tags as prompt lines: `spam — реклама, ...`."""
    return "\n".join(f"{tag} — {CHAT_TAG_MEANINGS[tag]}" for tag in CHAT_TAGS)
