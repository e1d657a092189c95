"""Follow-up texts: every error code renders in both languages; the schedule line; MSK days."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from aiogram_i18n import I18nContext

from bot.i18n import create_core
from bot.views import sequences as views
from services.message_sets import MessageSetError, MessageSetService, SetError
from services.sequences import (
    MessageSet,
    Plan,
    SequenceService,
    SequenceStartError,
    StartError,
)


class _I18n:
    def __init__(self, lang: str) -> None:
        self.core = create_core()
        self.lang = lang

    def get(self, key: str, **kwargs: Any) -> str:
        text = self.core.get(key, self.lang, **kwargs)
        assert text != key, f"missing text {key} in {self.lang}"
        return str(text)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_every_error_code_has_a_text(lang: str) -> None:
    i18n = cast(I18nContext, _I18n(lang))
    for code in SetError:
        exc = MessageSetError(code, ["asks_to_delete"] if code is SetError.GUARD else None)
        assert views.error_text(i18n, exc).strip()
    for start in StartError:
        assert views.start_error_text(i18n, SequenceStartError(start)).strip()


def test_schedule_line() -> None:
    plan = Plan(MessageSet.FIRST, 14, False, "10:00", "17:00", datetime(2026, 12, 2, tzinfo=UTC))
    text = views.schedule_text(cast(I18nContext, _I18n("en")), plan)
    assert text == "1 message a day from tomorrow 10:00-17:00 MSK, up to 14."
    ru = views.schedule_text(cast(I18nContext, _I18n("ru")), plan)
    assert "10:00-17:00 МСК" in ru and "14" in ru


def test_guard_and_length_on_save() -> None:
    with pytest.raises(MessageSetError) as err:
        MessageSetService.checked("Здравствуйте! Удалите отзыв, пожалуйста.", MessageSet.FIRST)
    assert err.value.code is SetError.GUARD and "asks_to_delete" in err.value.problems
    with pytest.raises(MessageSetError) as err:
        MessageSetService.checked("Здравствуйте! " + "Очень " * 200 + "ждём.", MessageSet.FIRST)
    assert err.value.code is SetError.TOO_LONG
    with pytest.raises(MessageSetError) as err:
        MessageSetService.checked(" \x00 ", MessageSet.FIRST)
    assert err.value.code is SetError.EMPTY
    ok = "Добрый день! Подскажите, пожалуйста, всё ли в порядке с товаром."
    assert MessageSetService.checked(ok, MessageSet.SECOND) == ok


def test_window_and_msk_days() -> None:
    s = SequenceService.__new__(SequenceService)
    from services.sequences import SenderConfig

    s.config = SenderConfig()
    # 06:59 UTC = 09:59 MSK: before the window; 07:00 UTC opens it; 14:00 UTC = 17:00 closes.
    assert not s.in_window(datetime(2026, 12, 2, 6, 59, tzinfo=UTC))
    assert s.in_window(datetime(2026, 12, 2, 7, 0, tzinfo=UTC))
    assert not s.in_window(datetime(2026, 12, 2, 14, 0, tzinfo=UTC))
    assert s.next_open(datetime(2026, 12, 2, 3, 0, tzinfo=UTC)) == datetime(
        2026, 12, 2, 7, 0, tzinfo=UTC
    )
    # 22:30 UTC is already the next MSK day (01:30): its opening is that day's 10:00 MSK.
    assert s.next_open(datetime(2026, 12, 2, 22, 30, tzinfo=UTC)) == datetime(
        2026, 12, 3, 7, 0, tzinfo=UTC
    )
    assert s.next_day_open(datetime(2026, 12, 2, 20, 59, tzinfo=UTC)) == datetime(
        2026, 12, 3, 7, 0, tzinfo=UTC
    )
    assert not s.same_msk_day(
        datetime(2026, 12, 2, 20, 59, tzinfo=UTC), datetime(2026, 12, 2, 21, 0, tzinfo=UTC)
    )
