"""Language of untrusted text, for the "reply in Russian" rule.

`language_profile` counts letters by language, and `asks_other_language` reads a store's
`ai_instructions` for an explicit other language. The characters themselves (controls,
invisible ones, look-alike letters) and the guard's matching copy (`fold`) are
`services.untrusted`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from services.untrusted import fold, letter_script, strip_invisible

_RUSSIAN: Final = frozenset("абвгдежзийклмнопрстуфхцчшщъыьэюяё")
# Cyrillic letters that Russian does not use: Ukrainian, Belarusian, Kazakh and others.
_OTHER_CYRILLIC_WORD: Final = re.compile(r"[ѐђѓєѕіїјљњћќѝўџѠ-ԯ]")


@dataclass(frozen=True, slots=True)
class LanguageProfile:
    """Letters of a folded text by language. `foreign`: letters of lower-case Latin words
    (capitalised ones are names and brands: "Xiaomi Redmi"), of words with Cyrillic letters
    Russian lacks ("відгук", "рақмет") and of other scripts."""

    russian: int
    foreign: int
    latin_all: int

    @property
    def is_russian(self) -> bool:
        if self.russian == 0:
            return self.foreign + self.latin_all < 3
        return self.foreign <= self.russian


_LETTER_RUN: Final = re.compile(r"[^\W\d_]+")


def language_profile(text: str) -> LanguageProfile:
    """Count on the invisible-free text with its case kept (capitals mark names)."""
    russian = foreign = latin_all = 0
    for m in _LETTER_RUN.finditer(strip_invisible(text)):
        word = m.group(0)
        low = word.lower()
        if _OTHER_CYRILLIC_WORD.search(low):
            foreign += len(word)
            continue
        for ch in low:
            script = letter_script(ch)
            if ch in _RUSSIAN:
                russian += 1
            elif script == "lat":
                latin_all += 1
                if not word[0].isupper():
                    foreign += 1
            elif script != "cyr":
                foreign += 1
    return LanguageProfile(russian=russian, foreign=foreign, latin_all=latin_all)


# An explicit other language in a store's instructions: a language by name ("на английском",
# "по-казахски", "in English") or "the buyer's language".
_LANG_STEMS: Final = (
    r"(?:англ|казах|узбек|кыргыз|киргиз|армян|белорус|украин|грузин|азербайджан|таджик"
    r"|туркмен|немец|француз|испан|итальян|португал|китай|турец|польск|латыш|литов|эстон"
    r"|арабск|иврит|японск|корейск|монгол|татар|башкир|румын|молдав|сербск|чешск)\w*"
)
_OTHER_LANGUAGE: Final = re.compile(
    rf"(?<!\w)(?:на|по)[\s-]+{_LANG_STEMS}"
    rf"|{_LANG_STEMS}\s+(?:язык\w*|текст\w*)"
    r"|на\s+(?:том\s+же\s+)?язык\w*\s+(?:покупател|клиент|отзыв|вопрос|собеседник)\w*"
    r"|на\s+том\s+же\s+язык\w*"
    r"|(?<![a-z])(?:english|kazakh|uzbek|kyrgyz|armenian|belarusian|ukrainian|georgian"
    r"|german|deutsch|french|spanish|italian|chinese|turkish|polish)(?![a-z])"
    r"|in\s+the\s+(?:buyer|customer|reviewer)'?s\s+language",
    re.IGNORECASE,
)


_NEGATION: Final = re.compile(r"(?<!\w)(?:не|никогда|нельзя|don'?t|do\s+not|never|no)(?!\w)")


def asks_other_language(ai_instructions: str | None) -> bool:
    """True when the store's instructions name a language other than Russian for replies:
    then the guard does not require Russian and the prompt does not demand it."""
    if not ai_instructions:
        return False
    text = fold(ai_instructions).text
    for m in _OTHER_LANGUAGE.finditer(text):
        clause = re.split(r"[.,;:!?\n]", text[: m.start()])[-1]
        if not _NEGATION.search(clause):  # "не отвечай на английском" asks for Russian
            return True
    return False
