"""WB complaint reasons (portal categories 11-20): one table for prompts, validation, the bot.

Names are exactly as `domain-rules.md` gives them; the model must answer an id from this table
and the name stored with a complaint is always taken from here, never from the model.
"""

from __future__ import annotations

from typing import Final

COMPLAINT_REASONS: Final[dict[int, str]] = {
    11: "Отзыв не относится к товару",
    12: "Отзыв оставили конкуренты",
    13: "Спам-реклама в тексте",
    14: "Спам-реклама в фото",
    15: "Нецензурное содержимое",
    16: "Нецензурная лексика, угрозы, оскорбления",
    17: "Фото не о товаре",
    18: "Политический контекст",
    19: "Вредоносные ссылки",
    20: "Другое",
}

MIN_REASON_ID: Final = min(COMPLAINT_REASONS)
MAX_REASON_ID: Final = max(COMPLAINT_REASONS)
OTHER_REASON_ID: Final = 20


def reason_name(reason_id: int) -> str:
    """The portal name of a reason; KeyError for an id outside 11-20."""
    return COMPLAINT_REASONS[reason_id]


def is_valid_reason(reason_id: object) -> bool:
    return (
        isinstance(reason_id, int)
        and not isinstance(reason_id, bool)
        and (reason_id in COMPLAINT_REASONS)
    )


def reasons_table() -> str:
    """The table as prompt lines: `11 — Отзыв не относится к товару`."""
    return "\n".join(f"{rid} — {name}" for rid, name in COMPLAINT_REASONS.items())
