"""Every code a service hands the bot has words in both languages: WB problems, token
problems and warnings. A code added to a service without its text keys fails here."""

from __future__ import annotations

from typing import Any

import pytest

from bot.i18n import create_core
from bot.views.sequences import start_error_text
from bot.views.stores import (
    progress_label,
    token_problems_text,
    warning_text,
    wb_error_text,
    wb_problem_text,
)
from services.sequences import SequenceStartError, StartError
from services.stores import StoreTokenError, TokenProblem, TokenWarning
from services.sync.base import INTERNAL_ERROR, TAKEN_OVER, SyncStep
from services.sync.problems import WBProblem, WBProblemCode, wb_problem
from services.wb.factory import TOKEN_UNREADABLE

LANGUAGES = ("ru", "en")


class Strict:
    """Texts of one language that fail on a missing key instead of showing it."""

    def __init__(self, locale: str) -> None:
        self.core = create_core()
        self.locale = locale

    def get(self, key: str, locale: str | None = None, /, **kwargs: Any) -> str:
        text = self.core.get(key, locale or self.locale, **kwargs)
        assert text and text != key, f"no text for {key!r} in {self.locale}"
        return text


SAMPLES = {
    WBProblemCode.NO_CATEGORY: WBProblem(WBProblemCode.NO_CATEGORY, category="chat"),
    WBProblemCode.HTTP_STATUS: WBProblem(WBProblemCode.HTTP_STATUS, status=401),
    WBProblemCode.OTHER: WBProblem(WBProblemCode.OTHER, detail="x"),
}


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize("code", list(WBProblemCode))
def test_every_wb_problem_code_has_words(locale: str, code: WBProblemCode) -> None:
    text = wb_problem_text(Strict(locale), SAMPLES.get(code, WBProblem(code)))
    assert text.strip()


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize("code", list(TokenProblem))
def test_every_token_problem_has_words(locale: str, code: TokenProblem) -> None:
    texts = Strict(locale)
    text = token_problems_text(texts, StoreTokenError([code.value]))
    assert text != "• " + texts.get("stores-problem-other", code=code.value)  # its own words


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize("code", list(TokenWarning))
def test_every_token_warning_has_words(locale: str, code: TokenWarning) -> None:
    assert warning_text(Strict(locale), code.value) != code.value


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ("token expired", WBProblemCode.TOKEN_EXPIRED),
        ("token has no chat category", WBProblemCode.NO_CATEGORY),
        (TOKEN_UNREADABLE, WBProblemCode.TOKEN_UNREADABLE),
        (f"{INTERNAL_ERROR}: KeyError", WBProblemCode.INTERNAL),
        (TAKEN_OVER, WBProblemCode.TAKEN_OVER),
        ("feedbacks: HTTP 403", WBProblemCode.HTTP_STATUS),
        ("WB said something new", WBProblemCode.OTHER),
    ],
)
def test_the_stored_text_is_read_into_a_code(error: str, code: WBProblemCode) -> None:
    assert wb_problem(error).code is code
    assert wb_error_text(Strict("en"), error).strip()


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize("step", list(SyncStep))
def test_every_sync_step_has_a_progress_label(locale: str, step: SyncStep) -> None:
    assert progress_label(Strict(locale), step)


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize("code", list(StartError))
def test_every_sequence_start_error_has_words(locale: str, code: StartError) -> None:
    assert start_error_text(Strict(locale), SequenceStartError(code)).strip()  # type: ignore[arg-type]
