"""One normalisation of untrusted text for matching: what the output guard's patterns see.

A text that reaches WB may have been steered by a buyer's review ("prompt injection"), and the
model then writes what the buyer asked for in a form meant to slip past word patterns: Latin
letters that look Cyrillic inside Russian words ("Удaлите oтзыв"), zero-width characters
inside a phrase, full-width or stylised letters, a digit for a letter ("0тзыв"). `fold`
undoes all of that on a copy: Unicode NFKC, no format or invisible characters, no combining
marks, one kind of space, lower case, "ё" -> "е", and look-alikes folded to the script most of
the word is in. It also says which words mixed scripts, since a reply with such a word is
refused whatever it says (`Folded.mixed_words`).

`language_profile` counts letters by language for the "reply in Russian" rule, and
`asks_other_language` reads a store's `ai_instructions` for an explicit other language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Final

# Latin and Greek letters that look like Cyrillic ones (lower case, after NFKC and lower()).
# Generous on purpose: a word is folded only when it already mixes scripts, and such a word
# is refused anyway; the fold just lets the patterns read what it says.
_TO_CYRILLIC: Final = str.maketrans(
    {
        "a": "а",
        "b": "в",
        "c": "с",
        "d": "д",
        "e": "е",
        "g": "д",
        "h": "н",
        "i": "и",
        "k": "к",
        "m": "м",
        "n": "п",
        "o": "о",
        "p": "р",
        "r": "г",
        "t": "т",
        "u": "и",
        "x": "х",
        "y": "у",
        "α": "а",
        "β": "в",
        "γ": "у",
        "ε": "е",
        "η": "н",
        "ι": "и",
        "κ": "к",
        "μ": "м",
        "ν": "v",
        "ο": "о",
        "π": "п",
        "ρ": "р",
        "τ": "т",
        "υ": "у",
        "χ": "х",
        "ω": "w",
        "0": "о",
        "3": "з",
        "6": "б",
    }
)
_TO_LATIN: Final = str.maketrans(
    {
        "а": "a",
        "в": "b",
        "е": "e",
        "ё": "e",
        "і": "i",
        "ј": "j",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "ѕ": "s",
        "ԁ": "d",
        "ԛ": "q",
        "ԝ": "w",
        "0": "o",
    }
)

# Spaces of every width become one plain space; line breaks and tabs stay.
_SPACES: Final = re.compile(r"[^\S\n\t]")
# Letters spelled apart to hide a word: "у д а л и т е", "о-т-з-ы-в", "о.т.з.ы.в" (four or
# more single letters with the same one space, hyphen, dot or underscore between them). Russian has one-letter words, but four in
# a row do not happen in a reply.
_SPELLED_APART: Final = re.compile(
    r"(?<![\w.\-])[^\W\d_]([ \-._])(?:[^\W\d_]\1){2,}[^\W\d_](?![\w\-])"
)
_WORD: Final = re.compile(r"\w+")
# A word with a digit between letters ("от3ыв") or a zero for the first letter ("0тзыв").
_DIGIT_INSIDE: Final = re.compile(r"[^\W\d_]{2,}[036][^\W\d_]{2,}|^0[^\W\d_]{3,}")
# "@" for "а" inside a Cyrillic word ("уд@лите").
_AT_INSIDE: Final = re.compile(r"(?<=[а-яё])@(?=[а-яё])")
# Ukrainian and Belarusian "і", "ї" read as "и" in the matching copy ("удалiте" with a
# Cyrillic "і" is all-Cyrillic, so no script mixing shows it); names keep working.
_I_LIKE: Final = str.maketrans({"і": "и", "ї": "и"})
_RUSSIAN: Final = frozenset("абвгдежзийклмнопрстуфхцчшщъыьэюяё")
# Cyrillic letters that Russian does not use: Ukrainian, Belarusian, Kazakh and others.
_OTHER_CYRILLIC_WORD: Final = re.compile(r"[ѐђѓєѕіїјљњћќѝўџѠ-ԯ]")


def _script(ch: str) -> str:
    """'cyr', 'lat', 'grk' or 'other' for a letter."""
    if "\u0400" <= ch <= "\u052f" or "\u1c80" <= ch <= "\u1c8f" or "\ua640" <= ch <= "\ua69f":
        return "cyr"
    if ch.isascii():
        return "lat"
    if "\u0370" <= ch <= "\u03ff" or "\u1f00" <= ch <= "\u1fff":
        return "grk"
    name = unicodedata.name(ch, "")
    if name.startswith("LATIN"):
        return "lat"
    return "other"


def strip_invisible(text: str) -> str:
    """NFKC, then no format characters (zero-width spaces and joiners, soft hyphens, bidi
    marks, BOM), no combining marks left over (stress marks, variation selectors) and no
    control characters other than the line break and the tab."""
    # NFKC would spell "№" as "No": it stays, as Russian texts use it for numbers.
    t = "№".join(unicodedata.normalize("NFKC", part) for part in text.split("№"))
    out = []
    for ch in t:
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Mn", "Me", "Co", "Cs") or (cat == "Cc" and ch not in "\n\t"):
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


@dataclass(frozen=True, slots=True)
class Folded:
    """`text`: the copy patterns match; `mixed_words`: words (as written, normalised) that
    mixed Latin, Greek and Cyrillic letters or put digits in place of Cyrillic letters."""

    text: str
    mixed_words: tuple[str, ...] = field(default_factory=tuple)


def _fold_word(word: str) -> tuple[str, bool]:
    """A word folded to the script most of its letters are in; True when it was mixed."""
    counts = {"cyr": 0, "lat": 0, "grk": 0}
    for ch in word:
        if ch.isalpha():
            script = _script(ch)
            if script in counts:
                counts[script] += 1
    digit_trick = counts["cyr"] >= 2 and bool(_DIGIT_INSIDE.search(word))
    mixed = counts["cyr"] > 0 and (counts["lat"] > 0 or counts["grk"] > 0)
    if not (mixed or digit_trick):
        return word, False
    if counts["cyr"] >= counts["lat"] + counts["grk"] or digit_trick:
        return word.translate(_TO_CYRILLIC), True
    return word.translate(_TO_LATIN), True


def fold(text: str) -> Folded:
    """The matching copy of `text` (see the module docstring)."""
    t = strip_invisible(text)
    t = _SPACES.sub(" ", t).lower()
    t = _SPELLED_APART.sub(lambda m: re.sub(r"[ \-._]", "", m.group(0)), t)
    mixed: list[str] = []
    if _AT_INSIDE.search(t):
        mixed.extend(w for w in re.findall(r"[\w@]+", t) if "@" in w and _AT_INSIDE.search(w))
        t = _AT_INSIDE.sub("а", t)

    def one(m: re.Match[str]) -> str:
        word, was_mixed = _fold_word(m.group(0))
        if was_mixed:
            mixed.append(m.group(0))
        return word

    t = _WORD.sub(one, t).translate(_I_LIKE)
    return Folded(text=t.replace("ё", "е"), mixed_words=tuple(mixed))


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
            script = _script(ch)
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
